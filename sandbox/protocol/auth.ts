import type { Principal, World } from "../state.js";
import type { WireRequest } from "./codec.js";
import { protocolError } from "./errors.js";
import { signatureMatches, type SigV4Authorization } from "./sigv4.js";
import type { ServiceDefinition } from "./types.js";

/**
 * Authenticates a SigV4-signed request against the credentials the sandbox issued, failing the
 * way the target service does (InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, …).
 */
export async function authenticate(
  req: WireRequest,
  auth: SigV4Authorization,
  service: ServiceDefinition,
  world: World,
  now: number,
): Promise<Principal> {
  const principal = world.credentials.get(auth.accessKeyId);
  if (!principal) throw protocolError(service, "unknownKey");
  if ((req.headers["x-amz-security-token"] ?? undefined) !== principal.sessionToken) throw protocolError(service, "badToken");
  if (!(await signatureMatches(req, auth, principal.secretAccessKey))) throw protocolError(service, "badSignature");
  if (principal.expiresAt !== undefined && now >= principal.expiresAt) throw protocolError(service, "expired");
  return principal;
}
