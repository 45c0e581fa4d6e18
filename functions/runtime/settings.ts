import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../config/load.js";
import { configSchema, MODES, type Config, type Mode } from "../config/schema.js";

/** What the Lambda reads from its environment (see ARCHITECTURE.md, "Lambda runtime settings"). */
export interface Settings {
  configFile: string;
  reportBucket: string;
  topicArn: string;
  /** Replaces every account's mode for this run. */
  modeOverride?: Mode;
}

type Env = Record<string, string | undefined>;

function bundleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new Error(`${name} is not set; the hub stack sets it on the Lambda (see docs/ARCHITECTURE.md)`);
  }
  return value;
}

function modeOverride(env: Env): Mode | undefined {
  const raw = env.DRIFTGUARD_MODE;
  if (raw === undefined || raw === "") return undefined;
  if (!(MODES as readonly string[]).includes(raw)) {
    throw new Error(`DRIFTGUARD_MODE is "${raw}"; use one of ${MODES.join(", ")} or leave it unset`);
  }
  return raw as Mode;
}

export function settingsFromEnv(env: Env = process.env): Settings {
  return {
    configFile: env.DRIFTGUARD_CONFIG_FILE || join(env.LAMBDA_TASK_ROOT ?? bundleDir(), "config.json"),
    reportBucket: required(env, "DRIFTGUARD_REPORT_BUCKET"),
    topicArn: required(env, "DRIFTGUARD_TOPIC_ARN"),
    modeOverride: modeOverride(env),
  };
}

/**
 * The bundled config.json was validated at synth time; it is validated again here because the
 * Lambda must never act on a file that a hand edit or a version skew has broken.
 */
export function loadBundledConfig(file: string): Config {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError([{ file, path: "", message: `cannot be read as JSON (${(err as Error).message})` }]);
  }
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      file,
      // ConfigProblem's path notation: accounts[2].id
      path: issue.path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join(""),
      message: issue.message,
    })),
  );
}
