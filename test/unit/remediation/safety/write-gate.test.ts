import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DetachRolePolicyCommand, GetRoleCommand } from "@aws-sdk/client-iam";
import { RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import type { HandlerExecutionContext, MiddlewareStack } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { createSpokeClients, type SpokeClients } from "../../../../functions/aws/clients.js";
import { runPipeline, sendApproved } from "../../../../functions/remediation/pipeline.js";
import type { PlannedStep } from "../../../../functions/remediation/plan.js";
import { isReadOnly, UnapprovedWriteError } from "../../../../functions/aws/write-gate.js";
import { OPEN_GUARDS, TEST_SAFETY } from "../helpers.js";

/**
 * "Every AWS write in functions/ passes the invariant check", proven two ways:
 * - at run time: every spoke client createSpokeClients makes refuses a write sent outside an
 *   approval, and the pipeline opens an approval only for a step the invariants passed;
 * - in the source: only pipeline.ts opens approvals, spoke SDK clients are made only in
 *   aws/clients.ts, and the only writes outside the planners are the hub's own (its report
 *   bucket, its topic, STS), sent through hub clients.
 */

const ROOT = join(import.meta.dirname, "../../../..");
const FUNCTIONS = join(ROOT, "functions");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}
const files = sources(FUNCTIONS).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, "utf8") }));

/** Spoke clients whose requests stop before the network, recording what reached the wire. */
function offlineSpokeClients(): { clients: SpokeClients; sent: string[] } {
  const sent: string[] = [];
  const clients = createSpokeClients("111122223333", "us-east-1", async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }));
  const all = [clients.cloudformation, clients.iam, clients.ec2, clients.s3, clients.cloudtrail, clients.tagging!] as unknown as { middlewareStack: MiddlewareStack<object, object> }[];
  for (const client of all) {
    client.middlewareStack.add(
      (_next: unknown, context: HandlerExecutionContext) => async () => {
        sent.push(String(context.commandName));
        return { output: { $metadata: {} }, response: {} } as never;
      },
      { step: "build", name: "offline" },
    );
  }
  return { clients, sent };
}

const detach = (clients: SpokeClients, role = "payments-api"): PlannedStep => ({
  call: `DetachRolePolicy RoleName=${role} PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess`,
  summary: "detach AdministratorAccess",
  effect: { kind: "detach-role-policy", role: { name: role }, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
  send: () => clients.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
});

describe("the write gate on spoke clients", () => {
  it("lets reads through and refuses every write sent outside the apply path, on every spoke client", async () => {
    const { clients, sent } = offlineSpokeClients();
    await clients.iam.send(new GetRoleCommand({ RoleName: "payments-api" }));
    await expect(clients.iam.send(new DetachRolePolicyCommand({ RoleName: "payments-api", PolicyArn: "arn:x" }))).rejects.toBeInstanceOf(UnapprovedWriteError);
    await expect(clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: "sg-1" }))).rejects.toThrow(/outside the approved apply path/);
    expect(sent).toEqual(["GetRoleCommand"]);
    for (const [name, client] of Object.entries(clients)) {
      if (typeof client !== "object") continue;
      expect(client.middlewareStack.identify().some((e: string) => e.startsWith("driftguardWriteGate")), name).toBe(true);
    }
  });

  it("sends a step the invariants pass, and only that step's API", async () => {
    const { clients, sent } = offlineSpokeClients();
    await sendApproved(detach(clients), TEST_SAFETY);
    expect(sent).toEqual(["DetachRolePolicyCommand"]);
    const smuggling: PlannedStep = { ...detach(clients), send: () => clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: "sg-1" })) };
    await expect(sendApproved(smuggling, TEST_SAFETY)).rejects.toThrow(/may only send DetachRolePolicy/);
    expect(sent).toEqual(["DetachRolePolicyCommand"]);
  });

  it("never sends a refused step: the pipeline returns `refused` and nothing reaches the wire", async () => {
    const { clients, sent } = offlineSpokeClients();
    const action = await runPipeline(
      { ref: { accountId: "111122223333", region: "us-east-1", stackName: "s", logicalResourceId: "R" }, by: "AWS::IAM::Role", mode: "remediate", steps: [detach(clients, "OrganizationAccountAccessRole")] },
      { guards: OPEN_GUARDS, safety: TEST_SAFETY, now: new Date(0), verify: async () => ({ outcome: "remediated", reason: "", steps: [] }) },
    );
    expect(action.outcome).toBe("refused");
    expect(action.reason).toMatch(/^would detach arn:aws:iam::aws:policy\/AdministratorAccess from OrganizationAccountAccessRole: OrganizationAccountAccessRole is a protected role/);
    await expect(sendApproved(detach(clients, "OrganizationAccountAccessRole"), TEST_SAFETY)).rejects.toThrow(/protected role/);
    expect(sent).toEqual([]);
  });
});

describe("writes in functions/ (source meta-test)", () => {
  it("opens write approvals only in the pipeline", () => {
    const callers = files.filter((f) => /withWriteApproval\(/.test(f.text)).map((f) => f.path);
    expect(callers).toEqual(["functions/remediation/pipeline.ts"]);
  });

  it("creates spoke SDK clients only through createSpokeClients, which gates each one it makes", () => {
    const makers = files.filter((f) => /new (CloudFormation|IAM|EC2|CloudTrail|ResourceGroupsTaggingAPI)Client\(/.test(f.text)).map((f) => f.path);
    expect(makers).toEqual([]);
    expect(files.find((f) => f.path === "functions/aws/clients.ts")!.text).toMatch(/c = gateWrites\(new ctor\(/);
  });

  it("sends every other write to the hub's own resources, through hub clients", () => {
    const HUB_WRITES = new Set(["PutObject", "Publish", "AssumeRole"]);
    const PLANNERS = /^functions\/(remediation|events\/guardrails)\//;
    const stray: string[] = [];
    for (const f of files) {
      for (const [, api] of f.text.matchAll(/new ([A-Z]\w*)Command\(/g)) {
        if (isReadOnly(api!) || PLANNERS.test(f.path)) continue;
        if (!HUB_WRITES.has(api!) || /SpokeClients/.test(f.text)) stray.push(`${f.path}: ${api}`);
      }
    }
    expect(stray).toEqual([]);
  });

  it("puts every planner write inside a planned step's `send`", () => {
    const outside: string[] = [];
    for (const f of files.filter((x) => /^functions\/(remediation|events\/guardrails)\//.test(x.path))) {
      const lines = f.text.split("\n");
      lines.forEach((line, i) => {
        for (const [, api] of line.matchAll(/new ([A-Z]\w*)Command\(/g)) {
          if (isReadOnly(api!)) continue;
          // The call must sit in a step's send (or the per-direction send table the SG planner builds its steps from).
          const context = lines.slice(Math.max(0, i - 6), i + 1).join("\n");
          if (!/send: |send\]|\(ec2, GroupId|stagingStep\(|restoreTagsStep\(/.test(context)) outside.push(`${f.path}:${i + 1} ${api}`);
        }
      });
    }
    expect(outside).toEqual([]);
  });
});
