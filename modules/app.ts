import { App } from "cdktf";
import type { Config } from "../functions/config/schema.js";
import { HubStack } from "./hub-stack.js";
import { SpokeStack } from "./spoke-stack.js";

export interface DriftguardAppOptions {
  /** Synthesis output directory; cdktf's default (cdktf.out) when omitted. */
  outdir?: string;
  /** Lambda entry to bundle instead of functions/handler.ts. */
  lambdaEntry?: string;
}

/** The whole deployment: one hub stack and one spoke stack per account in accounts.yaml. */
export function driftguardApp(config: Config, options: DriftguardAppOptions = {}): App {
  const app = new App({ outdir: options.outdir });
  new HubStack(app, { config, lambdaEntry: options.lambdaEntry });
  for (const account of config.accounts) new SpokeStack(app, { config, account });
  return app;
}
