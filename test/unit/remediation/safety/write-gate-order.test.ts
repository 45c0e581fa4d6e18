import { DetachRolePolicyCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { HandlerExecutionContext, MiddlewareStack } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { gateWrites, UnapprovedWriteError, withWriteApproval } from "../../../../functions/aws/write-gate.js";

/**
 * Where the write gate sits on a client and what it throws, on a real SDK client (no network: a
 * last middleware answers instead of the wire). Found missing by `npm run mutation` (issue 20):
 * gating a client twice, a gate placed after the client's own initialize middleware, and the
 * error's code and name were not checked.
 */

type Stack = MiddlewareStack<object, object>;

/** An IAM client with a middleware of its own (added before the gate), recording what it saw, and nothing sent over the network. */
function client(): { iam: IAMClient; seenBeforeGate: string[]; sent: string[] } {
  const seenBeforeGate: string[] = [];
  const sent: string[] = [];
  const iam = new IAMClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } });
  const stack = iam.middlewareStack as unknown as Stack;
  // A middleware the client had before it was gated, at the gate's own step and the default priority.
  stack.add(
    ((next: (args: unknown) => Promise<unknown>, context: HandlerExecutionContext) => async (args: unknown) => {
      seenBeforeGate.push(String(context.commandName));
      return next(args);
    }) as never,
    { step: "initialize", name: "earlierMiddleware" },
  );
  stack.add(
    (_next: unknown, context: HandlerExecutionContext) => async () => {
      sent.push(String(context.commandName));
      return { output: { $metadata: {} }, response: {} } as never;
    },
    { step: "build", name: "offline" },
  );
  return { iam: gateWrites(iam), seenBeforeGate, sent };
}

const gates = (iam: IAMClient): string[] => (iam.middlewareStack as unknown as Stack).identify().filter((e) => e.startsWith("driftguardWriteGate"));

describe("the write gate's place on a client", () => {
  it("refuses a write before any other middleware of the client sees it, and lets reads through to them", async () => {
    const { iam, seenBeforeGate, sent } = client();
    await expect(iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }))).rejects.toBeInstanceOf(UnapprovedWriteError);
    expect(seenBeforeGate).toEqual([]);
    await iam.send(new GetRoleCommand({ RoleName: "app" }));
    expect(seenBeforeGate).toEqual(["GetRoleCommand"]);
    expect(sent).toEqual(["GetRoleCommand"]);
  });

  it("gates a client once however often it is gated (a client shared by two factories)", async () => {
    const { iam, sent } = client();
    expect(gateWrites(gateWrites(iam))).toBe(iam);
    expect(gates(iam)).toHaveLength(1);
    await withWriteApproval({ api: "DetachRolePolicy", call: "DetachRolePolicy RoleName=app" }, () => iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: "arn:x" })));
    expect(sent).toEqual(["DetachRolePolicyCommand"]);
  });

  it("throws an error with its code and name, naming the API and the approved step it did not match", async () => {
    const { iam } = client();
    const outside = await iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: "arn:x" })).catch((e: unknown) => e);
    expect(outside).toMatchObject({ code: "UnapprovedWrite", name: "UnapprovedWriteError" });
    expect((outside as Error).message).toBe(
      "DetachRolePolicy was sent outside the approved apply path; every write must be a planned step that passed the privilege invariants (functions/remediation/pipeline.ts)",
    );
    const other = await withWriteApproval({ api: "AttachRolePolicy", call: "AttachRolePolicy RoleName=app PolicyArn=arn:x" }, () =>
      iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: "arn:x" })),
    ).catch((e: unknown) => e);
    expect((other as Error).message).toBe('DetachRolePolicy was sent while applying the approved step "AttachRolePolicy RoleName=app PolicyArn=arn:x", which may only send AttachRolePolicy');
  });
});
