import { join } from "node:path";
import { Testing, type App } from "cdktf";
import { tempDir } from "./temp.js";

/**
 * A cdktf App for construct tests. Testing.app() makes a new cdktf.outdir.* in the system temp
 * directory for every app and never removes it (thousands after a day of runs); these apps share one
 * directory per test file, removed after the file's tests. Testing.synth writes nothing there.
 */
let outdir: string | undefined;

export function testApp(): App {
  outdir ??= tempDir("driftguard-cdktf-");
  return Testing.app({ outdir: join(outdir, "out") });
}
