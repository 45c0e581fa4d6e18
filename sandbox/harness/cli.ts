import { parseArgs } from "node:util";
import { ConfigError, formatConfigError } from "../../functions/config/load.js";
import { startBareSandbox, startSandbox, type BareSandbox, type SandboxCredentials } from "./server.js";
import { MANAGEMENT_ADMIN_ROLE, ORGANIZATION_ACCESS_ROLE } from "./world.js";
import { DEFAULT_SCENARIO } from "./scenario.js";

/**
 * `npm run sandbox -- [--scenario FILE] [--port N] [--accounts accounts.yaml] [--seed N] [--bare]`:
 * serves the emulator until Ctrl-C and prints the shell lines to point the AWS CLI or SDK at it.
 * `--bare` leaves driftguard out (no scanner, spoke roles, bucket or topic): the organization,
 * its accounts' bootstrap roles and the scenario's stacks, for `terraform apply` of the synthesized stacks.
 */

const USAGE = "usage: npm run sandbox -- [--scenario sandbox/scenarios/demo.yaml] [--port 4566] [--accounts accounts.yaml] [--seed 42] [--bare]";

function exports(creds: SandboxCredentials): string {
  const token = creds.sessionToken ? ` AWS_SESSION_TOKEN=${creds.sessionToken}` : "";
  const unset = creds.sessionToken ? "" : "unset AWS_SESSION_TOKEN; ";
  return `${unset}export AWS_ACCESS_KEY_ID=${creds.accessKeyId} AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}${token}`;
}

function banner(sandbox: BareSandbox, region: string, hub?: { arn: string; credentials: SandboxCredentials }): string {
  const { scenario } = sandbox;
  const lines = [
    `driftguard sandbox listening on ${sandbox.endpoint}${hub ? "" : " (bare: driftguard is not deployed)"}`,
    `scenario ${scenario.file}: ${sandbox.world.accounts.size} accounts, ${scenario.stacks.length} stacks, ${scenario.drift.length} drift changes, ${scenario.faults.length} faults`,
    "",
    `export AWS_ENDPOINT_URL=${sandbox.endpoint} AWS_REGION=${region} AWS_EC2_METADATA_DISABLED=true`,
  ];
  if (hub) lines.push("", `# hub scanner role session (${hub.arn})`, exports(hub.credentials));
  else if ("deployerCredentials" in sandbox) {
    const management = sandbox.world.organization.managementAccountId;
    lines.push(
      "",
      `# ${MANAGEMENT_ADMIN_ROLE} session in the management account (${management}); every member account's ${ORGANIZATION_ACCESS_ROLE} trusts it: run terraform with these`,
      exports(sandbox.deployerCredentials as SandboxCredentials),
    );
  }
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
      bare: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0 for any free port)\n${USAGE}`);
  const options = {
    scenarioFile: values.scenario,
    accountsFile: values.accounts,
    port,
    seed: values.seed === undefined ? undefined : Number(values.seed),
  };
  let sandbox: BareSandbox;
  if (values.bare) {
    sandbox = await startBareSandbox(options);
    console.log(banner(sandbox, sandbox.config.hub.region));
  } else {
    const full = await startSandbox(options);
    sandbox = full;
    console.log(banner(full, full.hub.region, { arn: full.hub.principal.arn, credentials: full.hubCredentials }));
  }
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
