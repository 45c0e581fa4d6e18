import { toErrorInfo } from "../scanner/errors.js";

/** One line for a report or log: the AWS error code, then its message. */
export function errorText(error: unknown): string {
  const info = toErrorInfo(error);
  return `${info.code}: ${info.message}`;
}
