import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withInitLock, type Toolchain } from "../../../sandbox/harness/terraform.js";
import { tempDir } from "../../support/temp.js";

// terraform's plugin cache is not safe for concurrent inits (sandbox/harness/terraform.ts):
// every init on the machine runs under one lock.
const toolchainWith = (initLock: string) => ({ initLock }) as Toolchain;

describe("withInitLock", () => {
  it("runs inits one at a time, in any number of callers", async () => {
    const tc = toolchainWith(join(tempDir("init-lock-"), "lock"));
    let inside = 0;
    let most = 0;
    const init = () =>
      withInitLock(tc, async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
      });
    await Promise.all([init(), init(), init()]);
    expect(most).toBe(1);
    expect(existsSync(tc.initLock)).toBe(false);
  });

  it("releases the lock when the init fails, and takes over a lock whose process is gone", async () => {
    const tc = toolchainWith(join(tempDir("init-lock-"), "lock"));
    await expect(withInitLock(tc, () => Promise.reject(new Error("init failed")))).rejects.toThrow("init failed");
    expect(existsSync(tc.initLock)).toBe(false);
    mkdirSync(tc.initLock);
    writeFileSync(join(tc.initLock, "pid"), "2147483646"); // no such process
    await expect(withInitLock(tc, () => Promise.resolve("ran"))).resolves.toBe("ran");
  });
});
