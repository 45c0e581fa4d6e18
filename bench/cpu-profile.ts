import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/**
 * `npm run bench -- --cpu-prof DIR`: a V8 CPU profile of every process of the run (hub, sandbox
 * child, synth child) in DIR, to open in Chrome DevTools or to summarise with
 * `npx tsx bench/profile-summary.ts FILE`. Node refuses `--cpu-prof` in NODE_OPTIONS, so the
 * children get it on their command line and the hub profiles itself through the inspector.
 */

const ENV = "DRIFTGUARD_BENCH_CPU_PROF";

/** The node flags of a bench child: tsx, plus `--cpu-prof` when the run profiles. */
export function childExecArgv(name: string): string[] {
  const dir = process.env[ENV];
  return ["--import", "tsx", ...(dir ? ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", `${name}.cpuprofile`] : [])];
}

/** Starts profiling this process; the returned function writes DIR/hub.cpuprofile. */
export async function profileHub(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  process.env[ENV] = dir;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  // 1 ms sampling, V8's default for --cpu-prof is 1 ms too.
  await session.post("Profiler.setSamplingInterval", { interval: 1000 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir, "hub.cpuprofile"), JSON.stringify(profile));
    session.disconnect();
  };
}
