import { defineConfig } from "vitest/config";

// Three projects so the slow suites can be run alone (`npx vitest run --project terraform`)
// while `npm test` runs everything CI runs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // bench/*.test.ts: the benchmark's own arithmetic (its lower bound), tested where it lives.
          include: ["test/unit/**/*.test.ts", "test/constructs/**/*.test.ts", "bench/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "terraform",
          include: ["test/terraform/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
