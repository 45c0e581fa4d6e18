import type { ErrorInfo } from "./types.js";

/**
 * driftguard's own errors. Like the SDK's service exceptions, the code is also the `name`, so a
 * report row, a log line and `isErrorCode` read one field whichever kind of error it was; the
 * message says what failed, where, and how to fix it.
 */
export class DriftguardError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = code;
    this.code = code;
  }
}

/** SDK v3 errors carry the AWS error code in `name`; anything else keeps its own name. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof DriftguardError) return { code: err.code, message: err.message };
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
