import type { ErrorInfo } from "../core/types.js";

/** SDK v3 errors carry the AWS error code in `name`; anything else keeps its own name. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) return { code: err.name || "Error", message: err.message };
  return { code: "Error", message: String(err) };
}

/** One line for a report or log: the AWS error code, then its message. */
export function errorText(err: unknown): string {
  const info = toErrorInfo(err);
  return `${info.code}: ${info.message}`;
}

export function isErrorCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes(err.name);
}
