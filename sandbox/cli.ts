import { parseArgs } from "node:util";
import { ConfigError, formatConfigError } from "../functions/config/load.js";
import { startSandbox, type Sandbox, type SandboxCredentials } from "./server.js";
import { DEFAULT_SCENARIO } from "./scenario.js";

/**
 * `npm run sandbox -- [--scenario FILE] [--port N] [--accounts accounts.yaml] [--seed N]`:
 * serves the emulator until Ctrl-C and prints the shell lines to point the AWS CLI or SDK at it.
 */

const USAGE = "usage: npm run sandbox -- [--scenario sandbox/scenarios/demo.yaml] [--port 4566] [--accounts accounts.yaml] [--seed 42]";

function exports(creds: SandboxCredentials): string {
  const token = creds.sessionToken ? ` AWS_SESSION_TOKEN=${creds.sessionToken}` : "";
  const unset = creds.sessionToken ? "" : "unset AWS_SESSION_TOKEN; ";
  return `${unset}export AWS_ACCESS_KEY_ID=${creds.accessKeyId} AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}${token}`;
}

function banner(sandbox: Sandbox): string {
  const { scenario, hub } = sandbox;
  const lines = [
    `driftguard sandbox listening on ${sandbox.endpoint}`,
    `scenario ${scenario.file}: ${sandbox.world.accounts.size} accounts, ${scenario.stacks.length} stacks, ${scenario.drift.length} drift changes, ${scenario.faults.length} faults`,
    "",
    `export AWS_ENDPOINT_URL=${sandbox.endpoint} AWS_REGION=${hub.region} AWS_EC2_METADATA_DISABLED=true`,
    "",
    `# hub scanner role session (${hub.principal.arn})`,
    exports(sandbox.hubCredentials),
  ];
  for (const account of sandbox.world.accounts.values()) {
    lines.push("", `# root of ${account.id} (${account.name}, ${account.status})`, exports(sandbox.adminCredentials(account.id)));
  }
  lines.push("", "Ctrl-C to stop.");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", default: DEFAULT_SCENARIO },
      port: { type: "string", default: "0" },
      accounts: { type: "string", default: "accounts.yaml" },
      seed: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0 for any free port)\n${USAGE}`);
  const sandbox = await startSandbox({
    scenarioFile: values.scenario,
    accountsFile: values.accounts,
    port,
    seed: values.seed === undefined ? undefined : Number(values.seed),
  });
  console.log(banner(sandbox));
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? formatConfigError(err) : (err as Error).message);
  process.exit(2);
});
