import { App } from "cdktf";
import type { Config } from "../functions/config/schema.js";
import type { DetectionEstimate } from "../functions/scanner/index.js";
import { HubStack } from "./hub-stack.js";
import { SpokeStack } from "./spoke-stack.js";
import { StackSetSpokesStack } from "./stackset-spokes.js";

export interface DriftguardAppOptions {
  /** Synthesis output directory; cdktf's default (cdktf.out) when omitted. */
  outdir?: string;
  /** Lambda entry to bundle instead of functions/handler.ts. */
  lambdaEntry?: string;
  /** The detection time the runs measured, for `hub.execution: auto` (functions/scanner/detection-times.ts); absent: the configured one. */
  detection?: DetectionEstimate;
}

/**
 * The whole deployment: the hub stack, and the spokes: one terraform stack per active account in
 * accounts.yaml (`spoke.deployment: terraform`), or one stack of service-managed StackSets over
 * the onboarded OUs (`stackset`). Retired accounts synthesize nothing. Every spoke stack depends on
 * the hub (cdktf records it in the manifest and deploys the hub first), because each spoke's
 * trust policy names the hub's scanner role and IAM rejects a principal that does not exist yet.
 */
export function driftguardApp(config: Config, options: DriftguardAppOptions = {}): App {
  // No creation stack trace in every resource's metadata: cdktf captures and source-maps a full
  // stack for each (profile of the 500-account synth, issue 17: ~12 % of its CPU), and nothing
  // reads them; terraform never sees them.
  const app = new App({ outdir: options.outdir, stackTraces: false });
  const hub = new HubStack(app, { config, lambdaEntry: options.lambdaEntry, ...(options.detection ? { detection: options.detection } : {}) });
  const spokes =
    config.spoke.deployment === "stackset"
      ? [new StackSetSpokesStack(app, { config })]
      : config.accounts.filter((a) => a.status !== "retired").map((account) => new SpokeStack(app, { config, account }));
  for (const spoke of spokes) spoke.addDependency(hub);
  return app;
}
