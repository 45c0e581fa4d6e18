import { defineConfig } from "vitest/config";
import { keptThreads } from "./scripts/mutation-pool.js";

// The tests `npm run mutation` runs against each mutant (see stryker.config.json, scripts/mutation.ts):
// the unit tests of the mutated folders, nothing that starts a sandbox, terraform or a browser, and
// no permissions recorder (the unit project's globalSetup/setupFiles). Stryker runs only the tests
// that cover a mutant ("perTest"), one vitest run per mutant. Non-isolated files share one worker per
// run, so a mutant covered by tests in five files imports the SDK once instead of five times (the 25
// files ran in 67 s instead of 284 s, import 42 s instead of 219 s, at load 20), and the "kept-threads"
// pool (scripts/mutation-pool.ts) keeps that worker's thread from one mutant's run to the next, so the
// node_modules it imports (the AWS SDK clients, cdktf, zod: 30.7 s of budget.test.ts's 39 s run at load
// 20) load once per Stryker test runner instead of once per mutant: functions/fanout/budget.ts's 117
// mutants took 1.2 s each at load 23 (was ~48 s each at load 20, one runner both times).
//
// The write-gate tests need the SDK's real Client#send (its middleware stack), and the engine and
// security-group remediator tests send real requests to an in-process sandbox; the other files'
// aws-sdk-client-mock stubs on client prototypes would leak into them in a shared worker, so they
// keep their own isolated worker (vitest's threads pool: a fresh thread per run).
const ISOLATED = ["test/unit/remediation/safety/write-gate*.test.ts", "test/unit/remediation/engine.test.ts", "test/unit/remediation/remediators/ec2-security-group.test.ts"];
// Pure unit tests outside those folders written for a file in scope: core/metrics.test.ts is the
// test of events/metrics.ts's counts (without it every one of its mutants survived in session 6).
const OUTSIDE = ["test/unit/core/metrics.test.ts"];
const shared = { testTimeout: 20_000, hookTimeout: 60_000, pool: "threads" as const };
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [keptThreads()],
        test: {
          ...shared,
          name: "mutation",
          include: ["test/unit/remediation/**/*.test.ts", "test/unit/events/**/*.test.ts", "test/unit/fanout/budget.test.ts", ...OUTSIDE],
          exclude: ISOLATED,
          isolate: false,
        },
      },
      { test: { ...shared, name: "mutation-isolated", include: ISOLATED, isolate: true } },
    ],
  },
});
