/**
 * Identifiers in the formats CloudFormation and the services it provisions use. Every one is
 * drawn from the sandbox's seeded random source, so a scenario produces the same ids each run.
 */

type Random = () => number;

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function pick(random: Random, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function hex(random: Random, length: number): string {
  return pick(random, "0123456789abcdef", length);
}

export function uuid(random: Random): string {
  return `${hex(random, 8)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 12)}`;
}

export function stackArn(region: string, accountId: string, stackName: string, random: Random): string {
  return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${uuid(random)}`;
}

export function changeSetArn(region: string, accountId: string, name: string, random: Random): string {
  return `arn:aws:cloudformation:${region}:${accountId}:changeSet/${name}/${uuid(random)}`;
}

/**
 * The name CloudFormation generates when a template leaves a resource unnamed:
 * `<stack>-<logicalId>-<RANDOM>`, with the readable prefix cut so the whole fits `maxLength`.
 */
export function generatedName(
  stackName: string,
  logicalId: string,
  random: Random,
  options: { maxLength: number; lowercase?: boolean },
): string {
  const suffix = options.lowercase ? pick(random, LOWER_ALNUM, 12) : pick(random, MIXED_ALNUM, 12);
  const prefix = `${stackName}-${logicalId}`.slice(0, options.maxLength - suffix.length - 1);
  const name = `${prefix}-${suffix}`;
  return options.lowercase ? name.toLowerCase() : name;
}

/** IAM unique ids: a four-letter type prefix (AROA for roles) and 17 upper-case characters. */
export function iamUniqueId(prefix: string, random: Random): string {
  return prefix + pick(random, UPPER_ALNUM, 17);
}
