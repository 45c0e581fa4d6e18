import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { ScanSummary } from "../../functions/handler.js";
import { computeTotals } from "../../functions/report/build.js";
import { driftguardNames } from "../../modules/names.js";
import { afterResponse } from "../../sandbox/emulator/services/shared/background.js";
import { deployAndRun, destroyInOrder, type DeployedSandbox, type DeployRunSteps } from "../../sandbox/harness/deploy.js";
import { DEFAULT_SCENARIO } from "../../sandbox/harness/scenario.js";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";
import { demoCommand } from "../../cli/demo.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { startBareTestSandbox } from "../support/sandbox.js";
import { tempDir } from "../support/temp.js";

/**
 * `npm start -- --deploy` around terraform (sandbox/harness/deploy.ts), with terraform behind a
 * fake where it is not what is tested — the real apply, scan and destroy are
 * test/terraform/deploy.test.ts (CI) and deploy-run.test.ts (DRIFTGUARD_TF_RUN=1):
 * - the destroy order: the spokes first and in parallel, then the events their deletions cause
 *   settle (here a write the hub's Lambda makes into the report bucket after a spoke's deletion,
 *   as the deployed forwarding rules make it), then the bucket is emptied of the runs' objects,
 *   and the hub last — whose "terraform destroy" is the bucket's real DeleteObject of the
 *   configuration object and DeleteBucket, which S3 refuses while the bucket holds anything
 *   (BucketNotEmpty, API_DeleteBucket.html);
 * - `--keep`: the exports printed point a client at the kept sandbox and work, nothing is
 *   destroyed, and the sandbox stops only when asked; without it everything applied is destroyed
 *   after the report is printed.
 * One bare sandbox of the example organization for the file, in-process.
 */

const config = loadConfig(EXAMPLE_FILE);
const names = driftguardNames(config);
const HUB = config.hub.accountId;
const REGION = config.hub.region;
const SPOKES = config.accounts.map((a) => names.spokeStack(a));
let sandbox: BareSandbox & { deployerCredentials: SandboxCredentials };

const s3 = (action: string, params: Record<string, unknown>) => sandbox.dispatch(HUB, REGION, "s3", action, { Bucket: names.reportBucket, ...params });

beforeAll(async () => {
  sandbox = await startBareTestSandbox({ config, scenario: { accounts: [{ id: HUB, name: "driftguard-hub" }, ...config.accounts.map((a) => ({ id: a.id, name: a.name }))] } });
});
afterAll(() => sandbox?.close());

describe("--deploy's destroy order (destroyInOrder)", () => {
  it("destroys the spokes in parallel, waits for the events they cause, empties the bucket of the runs' objects and destroys the hub last", async () => {
    // What the apply and a run left: the bucket terraform created with its configuration object, and a run's report.
    await s3("CreateBucket", {});
    await s3("PutObject", { Key: names.configKey, Body: "{}" });
    await s3("PutObject", { Key: "reports/run-1/report.json", Body: "{}" });
    // The scan's faults are off for the administrator's destroy.
    sandbox.setFaults([{ service: "s3", action: "DeleteBucket", error: "AccessDenied" }]);
    const log: string[] = [];
    let running = 0;
    let parallel = 0;
    const printed: string[] = [];
    await destroyInOrder(
      sandbox,
      config,
      SPOKES,
      async (stack) => {
        log.push(`start ${stack}`);
        running++;
        parallel = Math.max(parallel, running);
        if (stack === names.hubStack) {
          // terraform destroys the hub's aws_s3_object, then the bucket: S3 refuses a bucket that is not empty.
          expect(running).toBe(1);
          await s3("DeleteObject", { Key: names.configKey });
          await s3("DeleteBucket", {});
        } else {
          await new Promise((r) => setTimeout(r, 20));
          // The spoke's deletions are CloudTrail events its still-deployed rule forwards; the hub Lambda writes an event report a moment later.
          afterResponse(async () => {
            await new Promise((r) => setTimeout(r, 150));
            await s3("PutObject", { Key: `events/${stack}.json`, Body: "{}" });
          });
        }
        running--;
        log.push(`end ${stack}`);
      },
      (line) => printed.push(line),
    );
    expect(log.slice(0, SPOKES.length).every((l) => l.startsWith("start driftguard-spoke-"))).toBe(true);
    expect(parallel).toBe(SPOKES.length);
    expect(log.slice(-2)).toEqual([`start ${names.hubStack}`, `end ${names.hubStack}`]);
    expect(sandbox.world.buckets.has(names.reportBucket)).toBe(false);
    // The run's report and each spoke's late event report were emptied; the configuration object was left to terraform.
    expect(printed).toEqual([`  emptied ${names.reportBucket} of the ${1 + SPOKES.length} objects the runs wrote (terraform manages only ${names.configKey})`]);
  });
});

describe("deployAndRun around a fake terraform", () => {
  const summary: ScanSummary = { runId: "run-fake", incomplete: false, totals: computeTotals([]), reportKey: "reports/run-fake/report.json", s3: false, sns: false };

  function steps(calls: string[]): DeployRunSteps {
    return {
      deploy: async ({ config: deployedConfig }) => {
        calls.push("deploy");
        const deployed: DeployedSandbox = {
          sandbox,
          config: deployedConfig,
          stackDirs: Object.fromEntries([names.hubStack, ...SPOKES].map((s) => [s, `/nowhere/${s}`])),
          applySeconds: { [names.hubStack]: 1 },
          terraform: () => Promise.reject(new Error("no terraform here")),
          destroy: async () => {
            calls.push("destroy");
            return { [names.hubStack]: 1 };
          },
          close: async () => {
            calls.push("close");
          },
        };
        return deployed;
      },
      scan: async (deployed) => {
        calls.push(`scan ${deployed.config.hub.execution}`);
        return { summary };
      },
    };
  }
  const opts = { scenario: DEFAULT_SCENARIO, accounts: EXAMPLE_FILE, out: tempDir("driftguard-deploy-command-") };

  it("without --keep: deploys, scans, prints the run, destroys everything applied, then closes", async () => {
    const calls: string[] = [];
    const out: string[] = [];
    const result = await deployAndRun({ ...opts, execution: "fanout" }, (l) => out.push(l), steps(calls));
    expect(calls).toEqual(["deploy", "scan fanout", "destroy", "close"]);
    expect(result.destroySeconds).toEqual({ [names.hubStack]: 1 });
    const text = out.join("\n");
    expect(text).toContain(`firing ${names.scheduleRule}: EventBridge starts the deployed`);
    expect(text).toContain("run run-fake");
    expect(text).toContain(`destroying what was applied (terraform destroy of ${1 + SPOKES.length} stacks; --keep leaves it up)`);
    expect(text).not.toContain("--keep: the deployment stays up");
  });

  it("prints the run's summary from the topic, not an alarm notice the deployed alarms published after it", async () => {
    const topicArn = `arn:aws:sns:${REGION}:${HUB}:${names.topic}`;
    await sandbox.dispatch(HUB, REGION, "sns", "CreateTopic", { Name: names.topic });
    const fake = steps([]);
    const out: string[] = [];
    await deployAndRun(opts, (l) => out.push(l), {
      ...fake,
      scan: async (deployed) => {
        // The scanner publishes one message per protocol (MessageStructure json); CloudWatch publishes its alarm as plain JSON text.
        await sandbox.dispatch(HUB, REGION, "sns", "Publish", { TopicArn: topicArn, Subject: "driftguard run", MessageStructure: "json", Message: JSON.stringify({ default: "summary (default)", email: "summary (email)" }) });
        await sandbox.dispatch(HUB, REGION, "sns", "Publish", { TopicArn: topicArn, Subject: 'ALARM: "driftguard-no-successful-scan"', Message: JSON.stringify({ AlarmName: "driftguard-no-successful-scan", NewStateValue: "ALARM" }) });
        return fake.scan(deployed);
      },
    });
    const text = out.join("\n");
    expect(text).toContain("Subject: driftguard run\n\nsummary (email)");
    expect(text).not.toContain("no-successful-scan");
  });

  it("--keep: prints exports that reach the kept sandbox, destroys nothing, and closes only when stopped", async () => {
    const calls: string[] = [];
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let waiting = false;
    const run = deployAndRun({ ...opts, keep: true, untilStopped: () => ((waiting = true), stopped) }, (l) => out.push(l), steps(calls));
    while (!waiting) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(["deploy", "scan single"]);
    const exports = out.filter((l) => l.startsWith("export ")).join(" ");
    const env = Object.fromEntries([...exports.matchAll(/(AWS_[A-Z_]+)=(\S+)/g)].map(([, k, v]) => [k!, v!]));
    expect(out.find((l) => l.startsWith("--keep:"))).toContain(`serves on ${sandbox.endpoint} until Ctrl-C`);
    // The printed lines are what a person pastes: the SDK, given only them, is the deployer in the management account.
    const sts = new STSClient({ endpoint: env.AWS_ENDPOINT_URL, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(sandbox.world.organization.managementAccountId);
    stop();
    const result = await run;
    expect(calls).toEqual(["deploy", "scan single", "close"]);
    expect(result.destroySeconds).toBeUndefined();
  });

  it("the CLI refuses --keep without --deploy, and --mode with --deploy", async () => {
    const io = () => {
      const err: string[] = [];
      return { err, io: { stdout: () => undefined, stderr: (t: string) => void err.push(t) } as never };
    };
    const a = io();
    expect(await demoCommand({ keep: true } as never, a.io)).not.toBe(0);
    expect(a.err.join("")).toContain("use it with --deploy");
    const b = io();
    expect(await demoCommand({ deploy: true, mode: "report" } as never, b.io)).not.toBe(0);
    expect(b.err.join("")).toContain("set each account's mode there");
  });
});
