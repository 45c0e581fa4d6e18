// Types for import-boundaries.js, which eslint.config.js loads as plain JavaScript.
import type { Rule } from "eslint";

export declare const KERNEL: Record<"core" | "config" | "aws", string[]>;
export declare const FORBIDDEN: { from: string; to: string; why: string }[];
export declare const SANDBOX_EMULATOR: string;
export declare function areaOf(repoPath: string): string;
export declare function boundaryViolation(from: string, to: string): string | undefined;
declare const plugin: { rules: { "import-boundaries": Rule.RuleModule } };
export default plugin;
