import { readFileSync } from "node:fs";
import { ConfigError, formatConfigError } from "./functions/config/load.js";
import { loadConfig } from "./functions/accounts-file/index.js";
import { driftguardApp } from "./modules/app.js";
import { chooseExecution, describeExecution, estimateDetection, parseDetectionTimes, type DetectionEstimate } from "./functions/scanner/index.js";
import type { Config } from "./functions/config/schema.js";

// cdktf runs this (cdktf.json "app"); `npm run synth` runs it directly. Both write cdktf.out/.
const configFile = process.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";
// The runs' measured detection times, copied from the report bucket's state/detection-times.json
// (`aws s3 cp s3://<report bucket>/state/detection-times.json .`): hub.execution auto and the
// estimate below then assume the learnt detection time instead of hub.scanEstimate's. Synth itself
// reads no AWS account, so the copy is explicit.
const detectionTimesFile = process.env.DRIFTGUARD_DETECTION_TIMES;

function detectionEstimate(config: Config): DetectionEstimate | undefined {
  if (!detectionTimesFile) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(detectionTimesFile, "utf8"));
  } catch (err) {
    console.error(`DRIFTGUARD_DETECTION_TIMES=${detectionTimesFile}: unreadable (${(err as Error).message}); using hub.scanEstimate.detectionSeconds`);
    return undefined;
  }
  const record = parseDetectionTimes(raw, detectionTimesFile);
  if ("error" in record) {
    console.error(`${record.error}; using hub.scanEstimate.detectionSeconds`);
    return undefined;
  }
  return estimateDetection(record, config.hub.scanEstimate.detectionSeconds);
}

try {
  const config = loadConfig(configFile);
  const detection = detectionEstimate(config);
  driftguardApp(config, detection ? { detection } : {}).synth();
  // The scan's expected duration against the Lambda timeout, and what hub.execution: auto chose.
  console.error(describeExecution(chooseExecution(config, detection)));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(formatConfigError(err));
  process.exit(1);
}
