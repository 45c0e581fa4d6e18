import type { CallContext, OnBehalfRecorder, SandboxRuntime } from "../../protocol/types.js";
import { regionOf, type AccountState, type CfnStack, type Principal, type World } from "../../state.js";

/** The slice of the world one CloudFormation call works in: one account, one region. */
export interface CfnEnv {
  world: World;
  account: AccountState;
  region: string;
  sandbox: SandboxRuntime;
  /** Who called CloudFormation: the credentials it provisions with when the stack has no service role. */
  caller?: Principal;
  /** Where the calls CloudFormation makes for the caller are recorded (CloudTrail); absent in unit tests without a dispatcher. */
  onBehalf?: OnBehalfRecorder;
}

export function envOf(ctx: CallContext): CfnEnv {
  const account = ctx.world.accounts.get(ctx.accountId);
  // The protocol layer only routes calls signed by a principal of a known account.
  if (!account) throw new Error(`account ${ctx.accountId} is not part of the sandbox world`);
  return { world: ctx.world, account, region: ctx.region, sandbox: ctx.sandbox, caller: ctx.principal, onBehalf: ctx.onBehalf };
}

export function stacksOf(env: CfnEnv): CfnStack[] {
  return regionOf(env.account, env.region).stacks;
}

export function isoNow(env: CfnEnv): string {
  return new Date(env.sandbox.now()).toISOString();
}
