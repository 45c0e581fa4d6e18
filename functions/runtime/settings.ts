import { readFileSync } from "node:fs";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../config/load.js";
import { lineOfField } from "../config/yaml-validation.js";
import { configSchema } from "../accounts-file/index.js";
import { MODES, type Config, type Mode } from "../config/schema.js";

/** What the Lambda reads from its environment (see ARCHITECTURE.md, "Lambda runtime settings"). */
export interface Settings {
  /**
   * Where the configuration is: the report bucket's object the hub stack writes (aws_s3_object),
   * so onboarding changes an object, not the Lambda's code; or a local file for runs without one.
   */
  config: { kind: "s3"; key: string } | { kind: "file"; file: string };
  reportBucket: string;
  topicArn: string;
  /** Who this deployment is: a configuration for another organization or hub is refused. */
  identity?: { organizationId: string; hubAccountId: string };
  /** Replaces every account's mode for this run. */
  modeOverride?: Mode;
}

type Env = Record<string, string | undefined>;

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

function configSource(env: Env): Settings["config"] {
  if (env.DRIFTGUARD_CONFIG_KEY) return { kind: "s3", key: env.DRIFTGUARD_CONFIG_KEY };
  if (env.DRIFTGUARD_CONFIG_FILE) return { kind: "file", file: env.DRIFTGUARD_CONFIG_FILE };
  throw new Error("neither DRIFTGUARD_CONFIG_KEY (the hub stack sets it) nor DRIFTGUARD_CONFIG_FILE (local runs) is set; the scanner has no configuration");
}

export function settingsFromEnv(env: Env = process.env): Settings {
  const organizationId = env.DRIFTGUARD_ORGANIZATION_ID;
  const hubAccountId = env.DRIFTGUARD_HUB_ACCOUNT_ID;
  if ((organizationId === undefined) !== (hubAccountId === undefined)) {
    throw new Error("DRIFTGUARD_ORGANIZATION_ID and DRIFTGUARD_HUB_ACCOUNT_ID are set together or not at all (the hub stack sets both)");
  }
  return {
    config: configSource(env),
    reportBucket: required(env, "DRIFTGUARD_REPORT_BUCKET"),
    topicArn: required(env, "DRIFTGUARD_TOPIC_ARN"),
    ...(organizationId && hubAccountId ? { identity: { organizationId, hubAccountId } } : {}),
    modeOverride: modeOverride(env),
  };
}

/** A validated configuration and, for the S3 object, the version that was read. */
export interface LoadedConfig {
  config: Config;
  /** S3 VersionId of the object read (the bucket is versioned); absent for files. */
  version?: string;
  /** s3://bucket/key or the file path, for messages. */
  source: string;
  /** The line of organization.id in what was read (the object is pretty-printed JSON, which is YAML), for the organization check's message. */
  organizationIdLine?: number;
}

/**
 * Validates configuration data as the Lambda reads it: it was validated at synth time, and is
 * validated again because the Lambda must never act on an object that a hand edit or a version
 * skew has broken.
 */
export function validateConfigData(data: unknown, source: string): Config {
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      file: source,
      // ConfigProblem's path notation: accounts[2].id
      path: issue.path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join(""),
      message: issue.message,
    })),
  );
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ file: source, path: "", message: `cannot be read as JSON (${(err as Error).message})` }]);
  }
}

/**
 * A configuration written for another organization or another hub (a copied object, a bucket
 * shared by mistake) would scan and repair the wrong accounts: it is refused, loudly.
 */
export function checkIdentity(config: Config, identity: Settings["identity"], source: string): void {
  if (identity === undefined) return;
  const problems = [
    config.organization.id !== identity.organizationId
      ? { file: source, path: "organization.id", value: config.organization.id, message: `is not this deployment's organization (${identity.organizationId}); the configuration is refused: redeploy the hub stack with the right accounts.yaml` }
      : undefined,
    config.hub.accountId !== identity.hubAccountId
      ? { file: source, path: "hub.accountId", value: config.hub.accountId, message: `is not the account this scanner runs in (${identity.hubAccountId}); the configuration is refused: redeploy the hub stack with the right accounts.yaml` }
      : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new ConfigError(problems);
}

function orgLine(text: string): { organizationIdLine?: number } {
  const line = lineOfField(text, ["organization", "id"]);
  return line === undefined ? {} : { organizationIdLine: line };
}

export async function readConfig(settings: Settings, s3: S3Client): Promise<LoadedConfig> {
  const { config: where } = settings;
  let loaded: LoadedConfig;
  if (where.kind === "file") {
    let text: string;
    try {
      text = readFileSync(where.file, "utf8");
    } catch (err) {
      throw new ConfigError([{ file: where.file, path: "", message: `cannot be read (${(err as Error).message})` }]);
    }
    loaded = { config: validateConfigData(parseJson(text, where.file), where.file), source: where.file, ...orgLine(text) };
  } else {
    const source = `s3://${settings.reportBucket}/${where.key}`;
    const out = await s3.send(new GetObjectCommand({ Bucket: settings.reportBucket, Key: where.key }));
    const text = (await out.Body?.transformToString()) ?? "";
    loaded = { config: validateConfigData(parseJson(text, source), source), source, ...orgLine(text), ...(out.VersionId ? { version: out.VersionId } : {}) };
  }
  checkIdentity(loaded.config, settings.identity, loaded.source);
  return loaded;
}
