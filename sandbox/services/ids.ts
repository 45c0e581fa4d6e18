/** Resource identifiers in AWS's own formats, drawn from the sandbox's seeded random source. */

const HEX = "0123456789abcdef";
const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE64ISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function randomChars(random: () => number, length: number, alphabet: string): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** e.g. sg-0a1b2c3d4e5f67890, vpc-…, i-…, r-…: the 17-hex-digit form EC2 uses today. */
export function ec2Id(random: () => number, prefix: string): string {
  return `${prefix}-${randomChars(random, 17, HEX)}`;
}

/** IAM unique ids: AROA… for roles. */
export function iamUniqueId(random: () => number, prefix: string): string {
  return prefix + randomChars(random, 17, UPPER_ALNUM);
}

/** Temporary access keys start with ASIA, long-term ones with AKIA. */
export function accessKeyId(random: () => number, prefix: "ASIA" | "AKIA"): string {
  return prefix + randomChars(random, 16, UPPER_ALNUM);
}

export function secretKey(random: () => number): string {
  return randomChars(random, 40, BASE64ISH);
}

export function sessionToken(random: () => number): string {
  return "FwoGZXIvYXdzE" + randomChars(random, 180, BASE64ISH);
}

export function uuid(random: () => number): string {
  const h = randomChars(random, 32, HEX);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[Math.floor(random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
