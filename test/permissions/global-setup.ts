import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECORDS_ENV } from "./records.js";

/**
 * One directory per `vitest run` for the permission records every worker writes (recorder.ts);
 * set before workers start, so they all inherit it. Each project's globalSetup runs this, and
 * only the first creates the directory.
 */
export default function setup(): void {
  process.env[RECORDS_ENV] ??= mkdtempSync(join(tmpdir(), "driftguard-permissions-"));
}
