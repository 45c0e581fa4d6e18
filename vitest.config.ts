import { defineConfig } from "vitest/config";

// Projects so the slow suites can be run alone (`npx vitest run --project terraform`) while
// `npm test` runs everything CI runs. The unit and e2e projects record every call driftguard's
// roles send to a sandbox (test/permissions/recorder.ts); the permissions project runs after
// them (groupOrder 1) and checks the records against the synthesized policies.
const recordPermissions = { globalSetup: ["test/permissions/global-setup.ts"], setupFiles: ["test/permissions/recorder.ts"] };
export default defineConfig({
  test: {
    // One worker more than CI's two cores: about a third of the suite's wall time is waiting, not
    // computing (terraform's provider waits ~55 s in deploy.test.ts, the SDK's and the scanner's
    // retry pauses in the fault and guard e2e files), and a fresh-clone run used ~0.94 of its 2
    // cores on average with two workers. VITEST_MAX_WORKERS overrides it.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: "unit",
          // bench/*.test.ts: the benchmark's own arithmetic (its lower bound), tested where it lives.
          include: ["test/unit/**/*.test.ts", "test/constructs/**/*.test.ts", "bench/**/*.test.ts"],
          testTimeout: 20_000,
          ...recordPermissions,
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
          // One headless chromium per file (test/browser/page.ts); screenshots go to test-artifacts/.
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          ...recordPermissions,
        },
      },
      {
        test: {
          name: "permissions",
          include: ["test/permissions/**/*.test.ts"],
          globalSetup: recordPermissions.globalSetup,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
