import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECORDS_ENV } from "./records.js";

/**
 * One directory per `vitest run` for the permission records every worker writes (recorder.ts);
 * set before workers start, so they all inherit it. Each project's globalSetup runs this, and
 * only the first creates the directory — and removes it in its teardown, which vitest calls "after
 * all test files have finished running" (vitest.dev/config/globalsetup), the permissions project's
 * included. A directory given from outside (RECORDS_ENV already set) is left alone.
 */
export default function setup(): (() => void) | undefined {
  if (process.env[RECORDS_ENV] !== undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "driftguard-permissions-"));
  process.env[RECORDS_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
