import { MODES, type Mode } from "../functions/config/schema.js";
import { EXECUTIONS, runLocal, type Execution } from "../sandbox/harness/run-local.js";
import { DEFAULT_SCENARIO, DEMO_ACCOUNTS } from "../sandbox/harness/scenario.js";
import type { CommandSpec, Parsed } from "./args.js";
import { EXIT } from "./exit-codes.js";
import type { Io } from "./io.js";

export const DEMO: CommandSpec = {
  name: "demo",
  summary: "run the scanner against a local sandbox organization (no AWS account needed); `npm start` runs this",
  usage: "npm start -- [--mode report|remediate] [--scenario FILE] [--accounts FILE] [--execution single|fanout] [--out DIR] [--verbose] [--deploy [--keep]]",
  flags: {
    mode: { type: "string", value: "report|remediate", choices: MODES, description: "override every account's mode (default: each account's mode in the demo's accounts file)" },
    scenario: { type: "string", value: "FILE", description: "sandbox scenario: accounts, stacks, drift, faults (default: sandbox/scenarios/demo.yaml)" },
    accounts: { type: "string", value: "FILE", description: "accounts.yaml for the scenario (default: sandbox/scenarios/demo-accounts.yaml)" },
    execution: {
      type: "string",
      value: "single|fanout",
      choices: EXECUTIONS,
      description: "one invocation, or planner/workers/reducer as Step Functions would run them (default: the accounts file's hub.execution); with --deploy, the hub.execution synthesized and deployed",
    },
    out: { type: "string", value: "DIR", description: "where report.json/html/md are copied (default: out)" },
    verbose: { type: "boolean", description: "also print the Lambda's structured JSON logs" },
    deploy: {
      type: "boolean",
      description:
        "deploy the synthesized stacks with terraform into a bare sandbox, fire the deployed schedule and let the deployed Lambda (or, fanned out, the deployed state machine) scan, then terraform destroy it all (needs terraform and the provider mirror; --mode comes from the accounts file)",
    },
    keep: { type: "boolean", description: "with --deploy: do not destroy; keep the deployment up and the sandbox serving until Ctrl-C" },
  },
};

export async function demoCommand(flags: Parsed, io: Io): Promise<number> {
  const print = (line: string) => io.stdout(`${line}\n`);
  if (flags.keep === true && flags.deploy !== true) {
    io.stderr("--keep keeps what --deploy applied: use it with --deploy\n");
    return EXIT.usage;
  }
  if (flags.deploy === true) {
    if (flags.mode !== undefined) {
      // Each account's mode is in the configuration object the hub stack writes: it is deployed, not a flag of the run.
      io.stderr("--deploy runs what the accounts file deploys: set each account's mode there instead of --mode\n");
      return EXIT.usage;
    }
    const { deployAndRun, ToolchainError } = await import("../sandbox/harness/deploy.js");
    try {
      await deployAndRun(
        {
          scenario: (flags.scenario as string | undefined) ?? DEFAULT_SCENARIO,
          accounts: (flags.accounts as string | undefined) ?? DEMO_ACCOUNTS,
          out: (flags.out as string | undefined) ?? "out",
          verbose: flags.verbose === true,
          keep: flags.keep === true,
          ...(flags.execution ? { execution: flags.execution as Execution } : {}),
        },
        print,
      );
    } catch (error) {
      if (!(error instanceof ToolchainError)) throw error;
      io.stderr(`driftguard: --deploy applies the synthesized stacks with terraform, and cannot here:\n\n${error.message}\n\n\`npm start\` without --deploy needs neither.\n`);
      return EXIT.config;
    }
    return EXIT.ok;
  }
  const execution = flags.execution as Execution | undefined;
  await runLocal(
    {
      scenario: (flags.scenario as string | undefined) ?? DEFAULT_SCENARIO,
      accounts: (flags.accounts as string | undefined) ?? DEMO_ACCOUNTS,
      ...(flags.mode ? { mode: flags.mode as Mode } : {}),
      ...(execution ? { execution } : {}),
      out: (flags.out as string | undefined) ?? "out",
      verbose: flags.verbose === true,
    },
    print,
  );
  return EXIT.ok;
}
