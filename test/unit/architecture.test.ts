import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { RuleTester } from "eslint";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import boundaries, { areaOf, KERNEL } from "../../lint/import-boundaries.js";

/**
 * The layer structure of functions/, checked against the source itself: folder-level imports form
 * no cycle, every feature folder has its public surface, and the boundary lint rule rejects what
 * it must (so a green lint means something).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith(".ts") ? [rel] : [];
  });
}

/** area → areas it imports, from every relative import (static, re-export or dynamic) of functions/. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles("functions")) {
    const from = areaOf(file);
    const edges = graph.get(from) ?? graph.set(from, new Set()).get(from)!;
    for (const ref of ts.preProcessFile(readFileSync(path.join(ROOT, file), "utf8"), true, true).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const to = areaOf(path.posix.normalize(path.posix.join(path.posix.dirname(file), ref.fileName)));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** The first cycle found, as a path that ends where it starts; undefined for a DAG. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("functions/ layers", () => {
  it("finds a cycle when there is one (the check below can fail)", () => {
    const graph = new Map([
      ["scanner", new Set(["remediation", "core"])],
      ["remediation", new Set(["scanner"])],
      ["core", new Set<string>()],
    ]);
    expect(findCycle(graph)).toEqual(["scanner", "remediation", "scanner"]);
    expect(findCycle(new Map([["a", new Set(["b"])], ["b", new Set<string>()]]))).toBeUndefined();
  });

  it("has no folder-level import cycle", () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(5);
    expect(findCycle(graph)).toBeUndefined();
  });

  it("gives every feature folder a public surface and keeps the kernel free of features", () => {
    const graph = folderGraph();
    const folders = readdirSync(path.join(ROOT, "functions")).filter((n) => statSync(path.join(ROOT, "functions", n)).isDirectory());
    for (const folder of folders.filter((f) => !(f in KERNEL))) {
      expect(statSync(path.join(ROOT, "functions", folder, "index.ts")).isFile(), `functions/${folder}/index.ts`).toBe(true);
    }
    for (const [kernel, allowed] of Object.entries(KERNEL)) {
      expect([...(graph.get(kernel) ?? [])].filter((to) => !allowed.includes(to)), `functions/${kernel} imports`).toEqual([]);
    }
  });
});

describe("import-boundaries lint rule", () => {
  RuleTester.describe = describe;
  RuleTester.it = it;
  RuleTester.itOnly = it.only;
  const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: "module" } });
  const at = (file: string) => path.join(ROOT, file);
  tester.run("import-boundaries", boundaries.rules["import-boundaries"], {
    valid: [
      { filename: at("functions/events/handle.ts"), code: 'import { runScan } from "../scanner/index.js";' },
      { filename: at("functions/events/handle.ts"), code: 'import { toErrorInfo } from "../core/errors.js"; import { getJson } from "../aws/s3-json.js";' },
      { filename: at("functions/remediation/remediators/iam-role.ts"), code: 'import { runPlan } from "../plan.js";' },
      { filename: at("functions/aws/clients.ts"), code: 'import { partitionOf } from "../config/regions.js";' },
      { filename: at("functions/handler.ts"), code: 'import { runWorker } from "./fanout/index.js";' },
      { filename: at("sandbox/harness/world.ts"), code: 'import { spokeRoleActions } from "../../functions/permissions.js";' },
      { filename: at("test/unit/scanner/run.test.ts"), code: 'import { runScan } from "../../../functions/scanner/run.js";' },
    ],
    invalid: [
      { filename: at("functions/events/handle.ts"), code: 'import { selectStacks } from "../scanner/stacks.js";', errors: [{ message: /through its public surface functions\/scanner\/index\.ts/ }] },
      { filename: at("functions/report/build.ts"), code: 'import { runScan } from "../scanner/index.js";', errors: [{ message: /report\/ never imports scanner\// }] },
      { filename: at("functions/core/tags.ts"), code: 'import { plan } from "../remediation/index.js";', errors: [{ message: /kernel/ }] },
      { filename: at("functions/aws/s3-json.ts"), code: 'export { x } from "../fanout/index.js";', errors: [{ message: /kernel/ }] },
      { filename: at("functions/scanner/run.ts"), code: 'const m = import("./index.js");', errors: [{ message: /own index/ }] },
      { filename: at("functions/scanner/run.ts"), code: 'import { w } from "../../sandbox/harness/world.js";', errors: [{ message: /never import the sandbox/ }] },
      { filename: at("sandbox/emulator/services/s3/service.ts"), code: 'import { FLAPPING_STATE_KEY } from "../../../../functions/aws/bucket-layout.js";', errors: [{ message: /emulator never imports functions/ }] },
      { filename: at("bench/run.ts"), code: 'import { runScan } from "../functions/scanner/run.js";', errors: [{ message: /public surface/ }] },
      { filename: at("sandbox/harness/deploy.ts"), code: 'import { prepareToolchain } from "../../test/terraform/toolchain.js";', errors: [{ message: /never imports test\// }] },
    ],
  });
});
