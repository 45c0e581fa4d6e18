import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../functions/accounts-file/index.js";
import type { Config } from "../../functions/config/schema.js";
import { Dispatcher } from "../emulator/protocol/dispatcher.js";
import type { FaultRule } from "../emulator/protocol/faults.js";
import { createRequestHandler } from "../emulator/protocol/http-handler.js";
import type { SandboxRuntime } from "../emulator/protocol/types.js";
import { DEFAULT_SCENARIO, loadScenario, scenarioFromObject, type LoadedScenario, type ScenarioInput } from "./scenario.js";
import { recordCall, type CloudTrailBridgeEvent } from "../emulator/services/cloudtrail/record.js";
import { deliverToBus, fireSchedule, type BusEvent } from "../emulator/services/events/delivery.js";
import { startAlarmClock } from "../emulator/services/cloudwatch/alarm-evaluation.js";
import { afterResponse } from "../emulator/services/shared/background.js";
import { SERVICES } from "../emulator/services/index.js";
import { adminPrincipal } from "../emulator/services/iam/principals.js";
import type { Principal, World } from "../emulator/state.js";
import { seededRandom } from "./random.js";
import { runningWorlds } from "./running-worlds.js";
import { createBareWorld, createWorld, provisionScenario, type HubResources } from "./world.js";

/**
 * Starts the emulator: builds the world from a scenario and accounts.yaml, deploys the scenario's
 * stacks and drift, then serves the AWS wire protocols on 127.0.0.1. Faults and API latency apply
 * only once setup is done, so a scenario's own setup is never throttled.
 */

export interface SandboxOptions {
  /** Scenario file; sandbox/scenarios/demo.yaml when neither this nor `scenario` is given. */
  scenarioFile?: string;
  /** A scenario built in code (validated like a file; template paths resolve from the cwd). */
  scenario?: ScenarioInput;
  /** accounts.yaml to derive the hub and spoke setup from; ./accounts.yaml by default. */
  accountsFile?: string;
  /** An already loaded config, instead of `accountsFile`. */
  config?: Config;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Overrides the scenario's latency. */
  latency?: Partial<SandboxRuntime["latency"]>;
  /** Overrides the scenario's seed. */
  seed?: number;
  /**
   * The emulated cloud's clock (Date.now by default). A test that drives time itself, as the
   * scanner's tests do with an injected now/sleep, passes the same clock: drift detections then
   * complete (latency.detectionMs), sessions expire and request signatures are checked against
   * it, so a detection takes as long as the test's clock says, not the machine's.
   */
  clock?: () => number;
}

export interface SandboxCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A sandbox with only the organization (`--bare`): driftguard is deployed into it by terraform. */
export interface BareSandbox {
  /** e.g. http://127.0.0.1:43123 — give it to SDK clients as `endpoint` (or AWS_ENDPOINT_URL). */
  endpoint: string;
  port: number;
  /**
   * The same services, but requests here count as plain HTTP to IAM (aws:SecureTransport is
   * false), so the bucket and topic policies that deny insecure transport can be seen to hold.
   * `endpoint` stands in for AWS's HTTPS endpoints, which are what the SDKs use.
   */
  insecureEndpoint: string;
  world: World;
  runtime: SandboxRuntime;
  scenario: LoadedScenario;
  /** The accounts.yaml the world was built from. */
  config: Config;
  /** Static credentials of an account's root user (AKIA<account>ADMN). */
  adminCredentials(accountId: string): SandboxCredentials;
  /** Calls an action in-process, through latency, faults and CloudTrail like an HTTP call; the account's root by default. */
  dispatch(accountId: string, region: string, service: string, action: string, params: unknown, principal?: Principal): Promise<unknown>;
  setFaults(rules: FaultRule[]): void;
  setLatency(latency: Partial<SandboxRuntime["latency"]>): void;
  /**
   * Sends a schedule rule's "Scheduled Event" to its targets now, as EventBridge does when the
   * schedule comes due (`npm run sandbox -- fire-schedule` does the same from outside).
   */
  fireSchedule(accountId: string, region: string, ruleName: string): Promise<BusEvent>;
  /** Receives an EventBridge "AWS API Call via CloudTrail" event for every successful mutating management call; returns an unsubscribe function. */
  onEvent(listener: (event: CloudTrailBridgeEvent) => void): () => void;
  close(): Promise<void>;
}

/** The sandbox with driftguard's hub and spokes built as the cdktf deployment would create them. */
export interface Sandbox extends BareSandbox {
  hub: HubResources;
  /** The hub scanner role's session: arn:aws:sts::<hub>:assumed-role/driftguard-scanner/sandbox. */
  hubCredentials: SandboxCredentials;
}

function credentialsOf(p: Principal): SandboxCredentials {
  return { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, ...(p.sessionToken ? { sessionToken: p.sessionToken } : {}) };
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  let hub: HubResources | undefined;
  const sandbox = await serve(opts, (scenario, config, runtime) => {
    const built = createWorld(scenario, config, runtime.random, runtime.now());
    hub = built.hub;
    return built.world;
  });
  return { ...sandbox, hub: hub!, hubCredentials: credentialsOf(hub!.principal) };
}

/**
 * `npm run sandbox -- --bare`: the organization, its accounts with the bootstrap roles
 * Organizations creates, and the scenario's stacks — nothing of driftguard, which terraform deploys.
 */
export async function startBareSandbox(opts: SandboxOptions = {}): Promise<BareSandbox & { deployerCredentials: SandboxCredentials }> {
  let deployer: Principal | undefined;
  const sandbox = await serve(opts, (scenario, config, runtime) => {
    const built = createBareWorld(scenario, config, runtime.random, runtime.now());
    deployer = built.deployer;
    return built.world;
  });
  return { ...sandbox, deployerCredentials: credentialsOf(deployer!) };
}

async function serve(opts: SandboxOptions, build: (scenario: LoadedScenario, config: Config, runtime: SandboxRuntime) => World): Promise<BareSandbox> {
  const scenario = opts.scenario ? scenarioFromObject(opts.scenario) : loadScenario(opts.scenarioFile ?? DEFAULT_SCENARIO);
  const config = opts.config ?? loadConfig(opts.accountsFile ?? "accounts.yaml");
  const latency = { ...scenario.latency, ...opts.latency };
  const runtime: SandboxRuntime = { latency: { apiMs: 0, detectionMs: latency.detectionMs, changeSetMs: latency.changeSetMs }, now: opts.clock ?? (() => Date.now()), random: seededRandom(opts.seed ?? scenario.seed), duplicateExpressExecutions: scenario.duplicateExpressExecutions };
  const world = build(scenario, config, runtime);

  const dispatcher = new Dispatcher(world, runtime, SERVICES);
  runningWorlds.add(world);
  const listeners = new Set<(event: CloudTrailBridgeEvent) => void>();
  dispatcher.onMutation((call, result, service) => {
    const event = recordCall(world, service, call, result, runtime.now(), runtime.random);
    // EventBridge delivers asynchronously: a listener never runs inside the API call it observes.
    if (event) for (const listener of listeners) setImmediate(() => listener(event));
    // CloudTrail's management events reach the default bus of the account and region of the call
    // (eb-service-event.html#eb-service-event-cloudtrail), where the deployed rules pick them up.
    if (event) afterResponse(() => deliverToBus({ world, runtime }, event.account, event.region, "default", event));
  });
  const dispatch: Sandbox["dispatch"] = (accountId, region, service, action, params, principal) =>
    dispatcher.invoke({ service, action, accountId, region, params, principal: principal ?? adminPrincipal(world, accountId), requestId: randomUUID() });

  await provisionScenario(scenario, world, dispatch);
  dispatcher.faults.setRules(scenario.faults);
  runtime.latency.apiMs = latency.apiMs;
  // CloudWatch evaluates every alarm once a minute, data or not (alarm-evaluation.ts).
  const stopAlarmClock = startAlarmClock({ world, sandbox: runtime });

  const server = createServer(createRequestHandler(dispatcher, randomUUID));
  const insecure = createServer(createRequestHandler(dispatcher, randomUUID, false));
  const listen = (s: typeof server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve((s.address() as AddressInfo).port));
    });
  const port = await listen(server, opts.port ?? 0);
  const insecurePort = await listen(insecure, 0);
  runtime.endpoint = `http://127.0.0.1:${port}`;
  const close = (s: typeof server) =>
    new Promise<void>((resolve, reject) => {
      s.closeAllConnections();
      s.close((err) => (err ? reject(err) : resolve()));
    });

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    insecureEndpoint: `http://127.0.0.1:${insecurePort}`,
    world,
    runtime,
    scenario,
    config,
    adminCredentials: (accountId) => {
      if (!world.accounts.has(accountId)) throw new Error(`${accountId} is not an account of the sandbox organization`);
      return credentialsOf(adminPrincipal(world, accountId));
    },
    dispatch,
    fireSchedule: (accountId, region, ruleName) => fireSchedule({ world, runtime }, accountId, region, ruleName),
    setFaults: (rules) => dispatcher.faults.setRules(rules),
    setLatency: (l) => Object.assign(runtime.latency, l),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      stopAlarmClock();
      runningWorlds.delete(world);
      await Promise.all([close(server), close(insecure)]);
    },
  };
}
