import { defineConfig } from "vitest/config";

// The tests `npm run mutation` runs against each mutant (see stryker.config.json, scripts/mutation.ts):
// the unit tests of the mutated folders, nothing that starts a sandbox, terraform or a browser, and
// no permissions recorder (the unit project's globalSetup/setupFiles). Stryker runs only the tests
// that cover a mutant ("perTest"), but every mutant run starts a fresh vitest worker that imports
// the test files again: that import (the AWS SDK clients, aws-sdk-client-mock) is most of a
// mutant's time. Non-isolated files share one worker per run, so a mutant covered by tests in
// five files imports the SDK once instead of five times (measured: the 25 files ran in 67 s
// instead of 284 s, import 42 s instead of 219 s, at load 20).
//
// The write-gate tests need the SDK's real Client#send (its middleware stack); the other files'
// aws-sdk-client-mock stubs on client prototypes would leak into them in a shared worker, so they
// keep their own isolated worker.
const ISOLATED = ["test/unit/remediation/safety/write-gate*.test.ts"];
const shared = { testTimeout: 20_000, pool: "threads" as const };
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "mutation",
          include: ["test/unit/remediation/**/*.test.ts", "test/unit/events/**/*.test.ts", "test/unit/fanout/budget.test.ts"],
          exclude: ISOLATED,
          isolate: false,
        },
      },
      { test: { ...shared, name: "mutation-isolated", include: ISOLATED, isolate: true } },
    ],
  },
});
