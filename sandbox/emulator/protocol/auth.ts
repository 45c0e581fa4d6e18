import type { Principal, World } from "../state.js";
import type { WireRequest } from "./codec.js";
import { protocolError } from "./errors.js";
import { checkPresignedExpiry, type PresignedAuthorization, presignedSignatureMatches } from "./presigned.js";
import { signatureMatches, type SigV4Authorization } from "./sigv4.js";
import type { ServiceDefinition } from "./types.js";

/** SigV4 basic format, as the signature errors print times: 20130524T000000Z. */
function basic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * A signed request is valid for 15 minutes either side of the server's clock; past that, AWS
 * refuses it. Returns the sentence the query and JSON protocols answer, or undefined when the
 * time is fine. Source: "Elements of an AWS API request signature" (docs.aws.amazon.com/IAM/latest/
 * UserGuide/signing-elements.html, "the signature expires 15 minutes after the timestamp") and
 * S3's RequestTimeTooSkewed (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
function clockSkew(amzDate: string | undefined, now: number): string | undefined {
  const m = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!m) return undefined;
  const signed = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (signed < now - MAX_SKEW_MS) return `Signature expired: ${amzDate} is now earlier than ${basic(now - MAX_SKEW_MS)} (${basic(now)} - 15 min.)`;
  if (signed > now + MAX_SKEW_MS) return `Signature not yet current: ${amzDate} is still later than ${basic(now + MAX_SKEW_MS)} (${basic(now)} + 15 min.)`;
  return undefined;
}

/**
 * Authenticates a SigV4-signed request against the credentials the sandbox issued, failing the
 * way the target service does (InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, …).
 */
export async function authenticate(
  req: WireRequest,
  auth: SigV4Authorization | PresignedAuthorization,
  service: ServiceDefinition,
  world: World,
  now: number,
): Promise<Principal> {
  const principal = world.credentials.get(auth.accessKeyId);
  if (!principal) throw protocolError(service, "unknownKey");
  const presigned = "expiresSeconds" in auth ? auth : undefined;
  const token = presigned ? presigned.sessionToken : req.headers["x-amz-security-token"];
  if ((token ?? undefined) !== principal.sessionToken) throw protocolError(service, "badToken");
  if (presigned) {
    // A presigned URL is valid for its own X-Amz-Expires, not the 15 minutes of a signed header.
    if (!presignedSignatureMatches(req, presigned, principal.secretAccessKey)) throw protocolError(service, "badSignature");
    checkPresignedExpiry(presigned, now);
  } else {
    const skew = clockSkew(req.headers["x-amz-date"], now);
    if (skew) throw protocolError(service, "skewed", skew);
    if (!(await signatureMatches(req, auth, principal.secretAccessKey))) throw protocolError(service, "badSignature");
  }
  if (principal.expiresAt !== undefined && now >= principal.expiresAt) throw protocolError(service, "expired");
  return principal;
}
