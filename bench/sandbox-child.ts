import { performance } from "node:perf_hooks";
import { startSandbox, type Sandbox } from "../sandbox/harness/server.js";
import { startProfile } from "./cpu-profile.js";
import { processCpuMs } from "./scan-window.js";
import type { FromChild, RegionDetections, ToChild } from "./child-protocol.js";
import { benchOrg, stackKind, TEMPLATES } from "./org.js";

/**
 * The benchmark's sandbox, in its own process (see child-protocol.ts). It builds the same org
 * from the same options as the hub process, serves it, and answers the hub's questions.
 */

let sandbox: Sandbox | undefined;
let stopProfile: ((file: string) => Promise<void>) | undefined;

function send(message: FromChild): void {
  process.send!(message);
}

function detections(sb: Sandbox): RegionDetections[] {
  const regions: RegionDetections[] = [];
  for (const account of sb.world.accounts.values()) {
    for (const [region, state] of account.regions) {
      if (state.stacks.length === 0) continue;
      regions.push({
        accountId: account.id,
        region,
        stacks: state.stacks.map((s) => ({ stackName: s.stackName, detectionMs: s.detections.map((d) => d.completesAt - Date.parse(d.startedAt)) })),
      });
    }
  }
  return regions;
}

async function start(message: Extract<ToChild, { type: "start" }>): Promise<void> {
  const started = performance.now();
  const org = benchOrg(message.org);
  sandbox = await startSandbox({ scenario: org.scenario, config: org.config, latency: message.latency });
  const first = org.config.accounts[0]!;
  const region = org.config.defaults.regions[0]!;
  const stacks = sandbox.world.accounts.get(first.id)?.regions.get(region)?.stacks ?? [];
  const groupIds = stacks
    .filter((_, i) => stackKind(i) === "security-group")
    .map((s) => s.resources.find((r) => r.logicalId === TEMPLATES["security-group"].logicalId)!.physicalId)
    .slice(0, message.eventGroups);
  send({
    type: "ready",
    endpoint: sandbox.endpoint,
    hubRegion: sandbox.hub.region,
    reportBucket: sandbox.hub.reportBucket,
    topicArn: sandbox.hub.topicArn,
    hubCredentials: sandbox.hubCredentials,
    eventTarget: { accountId: first.id, region, groupIds, admin: sandbox.adminCredentials(first.id) },
    setupMs: performance.now() - started,
  });
}

process.on("message", (message: ToChild) => {
  const handle = async () => {
    switch (message.type) {
      case "start":
        return start(message);
      case "detections":
        return send({ type: "detections", regions: detections(sandbox!) });
      case "cpu":
        return send({ type: "cpu", cpuMs: processCpuMs() });
      case "profile":
        if (message.action === "start") stopProfile = await startProfile();
        else await stopProfile?.(message.file);
        return send({ type: "profiled" });
      case "subscribe-events":
        sandbox!.onEvent((event) => send({ type: "event", event }));
        return;
      case "close":
        await sandbox?.close();
        process.disconnect();
    }
  };
  handle().catch((err: unknown) => send({ type: "failed", message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
