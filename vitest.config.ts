import { defineConfig } from "vitest/config";

// Three projects so the slow suites can be run alone (`npx vitest run --project terraform`)
// while `npm test` runs everything CI runs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/constructs/**/*.test.ts"],
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
