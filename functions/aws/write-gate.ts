import { AsyncLocalStorage } from "node:async_hooks";
import type { HandlerExecutionContext, MiddlewareStack } from "@smithy/types";

/**
 * The runtime half of "every write passes the invariants": spoke clients carry this
 * middleware, and a command that changes anything is sent only inside the approval the apply
 * path (remediation/pipeline.ts) opens for one approved step, and only if it is that step's API. A planner
 * that wrote, or a new code path that forgot the pipeline, fails with UnapprovedWrite instead
 * of changing a member account.
 */

/**
 * Operations that change nothing in the account. Detect* starts a drift detection, which reads
 * resources and records a result in CloudFormation, never a resource change.
 */
const READ_ONLY = /^(Get|List|Describe|Detect|Lookup|Head)/;

export function isReadOnly(api: string): boolean {
  return READ_ONLY.test(api);
}

interface Approval {
  api: string;
  call: string;
}

const approvals = new AsyncLocalStorage<Approval>();

export class UnapprovedWriteError extends Error {
  readonly code = "UnapprovedWrite";
  constructor(api: string, approval: Approval | undefined) {
    super(
      approval === undefined
        ? `${api} was sent outside the approved apply path; every write must be a planned step that passed the privilege invariants (functions/remediation/pipeline.ts)`
        : `${api} was sent while applying the approved step "${approval.call}", which may only send ${approval.api}`,
    );
    this.name = "UnapprovedWriteError";
  }
}

/** Runs `send` with permission to send exactly `api`. Only remediation/pipeline.ts may call this (a meta-test checks). */
export function withWriteApproval<T>(approval: Approval, send: () => Promise<T>): Promise<T> {
  return approvals.run(approval, send);
}

const GATE_NAME = "driftguardWriteGate";

export interface GatedClient {
  middlewareStack: Pick<MiddlewareStack<object, object>, "add" | "identify">;
}

export function gateWrites<C extends GatedClient>(client: C): C {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(GATE_NAME))) return client;
  client.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      const api = (context.commandName ?? "").replace(/Command$/, "");
      if (!isReadOnly(api)) {
        const approval = approvals.getStore();
        if (approval === undefined || approval.api !== api) throw new UnapprovedWriteError(api, approval);
      }
      return next(args);
    },
    { step: "initialize", name: GATE_NAME, priority: "high" },
  );
  return client;
}
