import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname, join } from "node:path";

/**
 * `npm run bench -- --cpu-prof DIR`: V8 CPU profiles of the measured scan in DIR (hub.cpuprofile,
 * sandbox.cpuprofile) and of the synth child (synth.cpuprofile), to open in Chrome DevTools or to
 * summarise with `npx tsx bench/profile-summary.ts FILE`. The hub and the sandbox child profile
 * themselves through the inspector, started right before the measured scan and stopped right
 * after it, so the sandbox's setup and the warm-up scans are not in them (scan-window.ts); the
 * synth child is all synth and gets `--cpu-prof` on its command line (Node refuses it in
 * NODE_OPTIONS).
 */

/** The node flags of a bench child: tsx, plus `--cpu-prof` into `profileDir` for a child profiled whole. */
export function childExecArgv(name: string, profileDir?: string): string[] {
  return ["--import", "tsx", ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-name", `${name}.cpuprofile`] : [])];
}

/** Starts profiling this process; the returned function stops and writes the profile to `file`. */
export async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  // 1 ms sampling, V8's default for --cpu-prof is 1 ms too.
  await session.post("Profiler.setSamplingInterval", { interval: 1000 });
  await session.post("Profiler.start");
  return async (file) => {
    const { profile } = await session.post("Profiler.stop");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

export const profileFile = (dir: string, name: string) => join(dir, `${name}.cpuprofile`);
