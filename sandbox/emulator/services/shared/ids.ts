/**
 * Resource identifiers in AWS's own formats. Every one is drawn from the sandbox's seeded random
 * source, so a scenario produces the same ids on every run.
 */

type Random = () => number;

const HEX = "0123456789abcdef";
const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const BASE64ISH = `${MIXED_ALNUM}+/`;

function randomChars(random: Random, length: number, alphabet: string): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** e.g. sg-0a1b2c3d4e5f67890, vpc-…, i-…, r-…, sgr-…: the 17-hex-digit form EC2 uses today. */
export function ec2Id(random: Random, prefix: string): string {
  return `${prefix}-${randomChars(random, 17, HEX)}`;
}

/** IAM unique ids: a four-letter type prefix (AROA for roles) and 17 upper-case characters. */
export function iamUniqueId(random: Random, prefix: string): string {
  return prefix + randomChars(random, 17, UPPER_ALNUM);
}

/** Temporary access keys start with ASIA, long-term ones with AKIA. */
export function accessKeyId(random: Random, prefix: "ASIA" | "AKIA"): string {
  return prefix + randomChars(random, 16, UPPER_ALNUM);
}

export function secretKey(random: Random): string {
  return randomChars(random, 40, BASE64ISH);
}

export function sessionToken(random: Random): string {
  return "FwoGZXIvYXdzE" + randomChars(random, 180, BASE64ISH);
}

/** A version 4 UUID: request ids, event ids, message ids, the suffix of stack ARNs. */
export function uuid(random: Random): string {
  const h = randomChars(random, 32, HEX);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[Math.floor(random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function stackArn(random: Random, region: string, accountId: string, stackName: string): string {
  return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${uuid(random)}`;
}

export function changeSetArn(random: Random, region: string, accountId: string, name: string): string {
  return `arn:aws:cloudformation:${region}:${accountId}:changeSet/${name}/${uuid(random)}`;
}

/**
 * The name CloudFormation generates when a template leaves a resource unnamed:
 * `<stack>-<logicalId>-<RANDOM>`, with the readable prefix cut so the whole fits `maxLength`.
 */
export function generatedName(
  random: Random,
  stackName: string,
  logicalId: string,
  options: { maxLength: number; lowercase?: boolean },
): string {
  const suffix = randomChars(random, 12, options.lowercase ? LOWER_ALNUM : MIXED_ALNUM);
  const prefix = `${stackName}-${logicalId}`.slice(0, options.maxLength - suffix.length - 1);
  const name = `${prefix}-${suffix}`;
  return options.lowercase ? name.toLowerCase() : name;
}
