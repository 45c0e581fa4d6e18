import type { ExemptionState } from "./types.js";

/**
 * The one sentence every output says an exemption with — the action's reason, the HTML and
 * Markdown reports, the CLI: "exempt by stack tag: INC-123 break-glass (until 2026-12-31)".
 * The grammar of the tag itself is remediation/exemption.ts.
 */
export function describeExemption(state: ExemptionState): string {
  switch (state.kind) {
    case "none":
      return "not exempt";
    case "exempt":
      return `exempt by ${state.on} tag: ${state.reason}${state.until ? ` (until ${state.until})` : " (no expiry)"}`;
    case "expired":
      return `${state.on} exemption expired on ${state.until} (${state.reason})`;
    case "invalid":
      return `invalid ${state.on} exemption "${state.raw}" (exempts nothing): ${state.problem}`;
  }
}
