import type { AwsError, ServiceDefinition } from "./types.js";

/** An HTTP request as the protocol layer sees it: raw path, decoded query, lower-case headers, whole body. */
export interface WireRequest {
  method: string;
  /** Still percent-encoded, exactly as sent (SigV4 signs it that way). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** One AWS wire protocol: HTTP request → (action, SDK-shaped input) and SDK-shaped output/error → HTTP response. */
export interface Codec {
  decode(req: WireRequest, service: ServiceDefinition): { action: string; params: unknown };
  encode(service: ServiceDefinition, action: string, result: unknown, requestId: string): WireResponse;
  encodeError(service: ServiceDefinition, error: AwsError, requestId: string, req: WireRequest): WireResponse;
}

export function header(req: WireRequest, name: string): string | undefined {
  return req.headers[name.toLowerCase()];
}
