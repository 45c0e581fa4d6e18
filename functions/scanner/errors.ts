import type { ErrorInfo } from "../core/types.js";

/** SDK v3 errors carry the AWS error code in `name`; anything else keeps its own name. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) return { code: err.name || "Error", message: err.message };
  return { code: "Error", message: String(err) };
}

export function isErrorCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes(err.name);
}
