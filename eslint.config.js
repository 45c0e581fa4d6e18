import js from "@eslint/js";
import tseslint from "typescript-eslint";
import boundaries from "./lint/import-boundaries.js";

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", "dist/", "out/", ".tf-test/", "coverage/", ".stryker-tmp*/", "reports/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@cdktf/provider-aws", message: "Import provider classes by deep path, e.g. @cdktf/provider-aws/lib/iam-role: the root import loads hundreds of MB." }],
        },
      ],
    },
  },
  {
    // Layer boundaries (lint/import-boundaries.js): kernel, feature index.ts surfaces, sandbox isolation.
    files: ["**/*.ts"],
    ignores: ["test/**"],
    plugins: { driftguard: boundaries },
    rules: { "driftguard/import-boundaries": "error" },
  },
);
