import { AsyncLocalStorage } from "node:async_hooks";
import { appendFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Client } from "@smithy/core/client";
import type { DeserializeHandler, DeserializeHandlerArguments, HandlerExecutionContext, MetadataBearer } from "@smithy/types";
import { expect } from "vitest";
import { leanAttempts, type LeanAttempt } from "../../functions/aws/lean-query.js";
import { iamActionOf } from "../../sandbox/emulator/authorization/requests.js";
import { principalOfAccessKey } from "../../sandbox/harness/running-worlds.js";
import { RECORDS_ENV, type PermissionRecord } from "./records.js";

/**
 * The permission recorder (a vitest setup file for the unit and e2e projects): an SDK middleware
 * on every client records each call a driftguard role sends to a sandbox — the role (from the
 * access key that signed it), the IAM action, and the functions/ code that sent it. Paginators,
 * waiters and helpers all go through `send`, so nothing is missed the way a source scan misses
 * them. test/permissions/permissions.test.ts checks the records against the synthesized policies.
 */

const ROOT = join(import.meta.dirname, "../..");
const NAME = "driftguardPermissionRecorder";
const AUTHORIZATION = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

/** The nearest frame in functions/ of the stack that called `send`. */
function callsiteOf(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const path = relative(ROOT, m[1]!.replace(/^file:\/\//, ""));
    if (path.startsWith("functions/")) return `${path}:${m[2]}`;
  }
  return undefined;
}

function write(record: PermissionRecord): void {
  const dir = process.env[RECORDS_ENV];
  if (dir) appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/** The record of one signed request: the role from its access key, the IAM action, where in functions/ it was sent. */
function recordOf(headers: Record<string, string>, commandName: string | undefined, callsite: string | undefined): PermissionRecord | undefined {
  const m = AUTHORIZATION.exec(headers.authorization ?? "");
  const role = (m ? principalOfAccessKey(m[1]!) : undefined)?.roleArn?.split("/").pop();
  const operation = String(commandName ?? "").replace(/Command$/, "");
  return role && m ? { role, action: iamActionOf(m[2]!, operation), operation, callsite, testFile: relative(ROOT, expect.getState().testPath ?? "") } : undefined;
}

function recorder(callsite: string | undefined) {
  return (next: DeserializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) => async (args: DeserializeHandlerArguments<object>) => {
    const base = recordOf((args.request as { headers?: Record<string, string> }).headers ?? {}, context.commandName, callsite);
    try {
      const out = await next(args);
      if (base) write(base);
      return out;
    } catch (err) {
      if (base) write({ ...base, error: (err as { name?: string }).name, message: (err as { message?: string }).message });
      throw err;
    }
  };
}

/** What a `recordActions` window collects: the IAM action of each command sent in it. */
const windows: AsyncLocalStorage<Set<string>> = ((globalThis as Record<symbol, unknown>)[Symbol.for("driftguard.recorder.windows")] ??= new AsyncLocalStorage<Set<string>>()) as AsyncLocalStorage<Set<string>>;

/**
 * The IAM action of every SDK command sent while `work` runs (in its async context), named from
 * the SDK's own metadata: the client's signing name and the command's operation schema
 * ([9, namespace, operation, …]), through the sandbox's operation table (iamActionOf). For the
 * meta-tests that derive what a piece of code calls by running it, not by reading its source.
 */
export async function recordActions<T>(work: () => Promise<T>): Promise<{ result: T; actions: Set<string> }> {
  const actions = new Set<string>();
  const result = await windows.run(actions, work);
  return { result, actions };
}

interface SentCommand {
  middlewareStack: { add: (...a: unknown[]) => void };
  schema?: readonly unknown[];
}

function actionOf(client: { config?: { defaultSigningName?: string; serviceId?: string } }, command: SentCommand): string {
  const signingName = client.config?.defaultSigningName ?? client.config?.serviceId?.toLowerCase() ?? "";
  return iamActionOf(signingName, String(command.schema?.[2] ?? command.constructor.name.replace(/Command$/, "")));
}

/** The callsite of the `send` in progress, for the lean path's attempts (they carry no command middleware). */
const callsites = new AsyncLocalStorage<string | undefined>();

const PATCHED = Symbol.for("driftguard.recorder.patched");
if (!(Client.prototype as unknown as Record<symbol, unknown>)[PATCHED]) {
  const send = Client.prototype.send;
  // The SDK has no hook on every client, so the base class's send puts the middleware on each command.
  Client.prototype.send = function (this: Client<never, never, never, never>, command: SentCommand, ...rest: unknown[]) {
    windows.getStore()?.add(actionOf(this as never, command));
    const callsite = callsiteOf(new Error().stack);
    command.middlewareStack.add(recorder(callsite), { step: "deserialize", name: NAME, override: true });
    return callsites.run(callsite, () => (send as (...a: unknown[]) => unknown).call(this, command, ...rest));
  } as typeof Client.prototype.send;
  // CloudFormation's hot reads skip the deserialize step (functions/aws/lean-query.ts): each of their attempts is published instead.
  leanAttempts.subscribe((message) => {
    const attempt = message as LeanAttempt;
    const base = recordOf(attempt.request.headers, attempt.operation, callsites.getStore());
    if (base) write(attempt.error ? { ...base, error: attempt.error.name, message: attempt.error.message } : base);
  });
  (Client.prototype as unknown as Record<symbol, unknown>)[PATCHED] = true;
}
