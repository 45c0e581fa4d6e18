import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { describe, expect, it, vi } from "vitest";
import { scoped, type Logger } from "../../../functions/core/logger.js";

describe("scoped", () => {
  it("puts the scope's keys on every line, one merged scope however deep, before the line's own attributes", () => {
    const parent = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
    const stack = scoped(scoped(scoped(parent, { runId: "r1" }), { account: "111122223333", region: "eu-west-1" }), { stack: "app" });
    stack.info("drift detected", { driftStatus: "IN_SYNC" });
    stack.error("stack scan failed", { error: { code: "Throttling" } });
    const scope = { runId: "r1", account: "111122223333", region: "eu-west-1", stack: "app" };
    expect(parent.info).toHaveBeenCalledWith("drift detected", scope, { driftStatus: "IN_SYNC" });
    expect(parent.error).toHaveBeenCalledWith("stack scan failed", scope, { error: { code: "Throttling" } });
  });

  it("writes the keys at the top level of Powertools' JSON line, as persistent keys did", () => {
    const lines: string[] = [];
    // Powertools writes warnings to stderr, info to stdout.
    const record = (chunk: string | Uint8Array) => (lines.push(String(chunk)), true);
    const spies = [vi.spyOn(process.stdout, "write").mockImplementation(record), vi.spyOn(process.stderr, "write").mockImplementation(record)];
    try {
      const log = new PowertoolsLogger({ serviceName: "driftguard-test", logLevel: "INFO" });
      scoped(log, { account: "111122223333", stack: "app" }).warn("could not list the stack's resources for coverage", { error: "AccessDenied" });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const line = JSON.parse(lines.join("").trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "WARN", message: "could not list the stack's resources for coverage", account: "111122223333", stack: "app", error: "AccessDenied" });
  });
});
