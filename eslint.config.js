import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", "dist/", "out/", ".tf-test/", "coverage/"] },
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
    files: ["functions/**/*.ts", "modules/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@cdktf/provider-aws", message: "Import provider classes by deep path." }],
          patterns: [{ group: ["**/sandbox/**", "../sandbox/*", "../../sandbox/*"], message: "functions/ and modules/ never import the sandbox." }],
        },
      ],
    },
  },
);
