import { defineConfig } from "vitest/config";

// The tests `npm run mutation` runs against each mutant (see stryker.config.json): the unit tests
// of the mutated folders. The terraform and e2e projects are far too slow to run per mutant.
export default defineConfig({
  test: {
    include: ["test/unit/remediation/**/*.test.ts", "test/unit/events/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
