import { readFileSync } from "node:fs";

/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]`: where a V8 CPU profile's time went —
 * self time by package or project folder, and the TOP functions by self time and by inclusive time.
 * Shares of the profile, not seconds, so profiles taken at different machine loads compare.
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package> (scoped kept), a project folder (functions/scanner), node: internals or (program). */
export function bucketOf(url: string): string {
  if (url === "") return "(native/gc/idle)";
  if (url.startsWith("node:")) return url.split("/")[0]!;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const project = url.match(/\/(functions|sandbox|bench|modules)\/(.*)$/);
  if (project) {
    const dirs = project[2]!.split("/");
    return [project[1], ...dirs.slice(0, Math.min(2, dirs.length - 1))].join("/");
  }
  return url;
}

function summarise(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, us]) => a + us, 0);
  const busyUs = totalUs - idleUs;
  const key = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${bucketOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const buckets = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)") continue;
    buckets.set(bucketOf(node.callFrame.url), (buckets.get(bucketOf(node.callFrame.url)) ?? 0) + us);
    selfFn.set(key(node), (selfFn.get(key(node)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us)}  ${k}`)
      .join("\n");
  return [
    `busy ${(busyUs / 1e6).toFixed(2)} s of ${(totalUs / 1e6).toFixed(2)} s sampled`,
    "self time by package/folder:",
    list(buckets),
    "self time by function:",
    list(selfFn),
    "inclusive time by function:",
    list(inclusive),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error("usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]");
  console.log(summarise(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(top ?? 25)));
}
