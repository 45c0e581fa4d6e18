import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { devNull, homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The terraform CLI as the sandbox's deployments (`npm start -- --deploy`, the deploy e2e and the
 * terraform tests) run it: terraform and the offline provider mirror found or explained, one CLI
 * config that installs hashicorp/aws only from the mirror, and a runner that points the provider
 * at the sandbox through AWS_ENDPOINT_URL alone, as the AWS SDKs do.
 */

/** What `terraform init` must find offline: the provider the pinned @cdktf/provider-aws was generated from. */
export interface ProviderRequirement {
  /** e.g. registry.terraform.io/hashicorp/aws */
  address: string;
  version: string;
}

export interface Toolchain {
  terraform: string;
  terraformVersion: string;
  mirror: string;
  /** Env for every terraform call: our own CLI config (mirror only, no network), no prompts. */
  env: NodeJS.ProcessEnv;
  /** The lock every `terraform init` on this machine takes (withInitLock). */
  initLock: string;
}

/**
 * Runs `fn` (a `terraform init`) holding the machine-wide init lock. Every init re-links the
 * provider's entry in the shared plugin cache, and terraform does not make that safe for concurrent
 * use ("the plugin cache directory is not guaranteed to be concurrency safe", CLI configuration,
 * plugin_cache_dir): two inits at once failed CI with `failed to create directory
 * …/plugin-cache/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64: file exists` (a deploy
 * test's parallel inits beside the validate test's, in two vitest workers). Inits take a few
 * seconds; applies, plans and validates still run in parallel. The lock is a directory (mkdir is
 * atomic) holding the owner's pid, taken over when that process is gone.
 */
export async function withInitLock<T>(toolchain: Toolchain, fn: () => Promise<T>): Promise<T> {
  const lock = toolchain.initLock;
  const owner = join(lock, "pid");
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!ownerAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function ownerAlive(owner: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(owner, "utf8"));
  } catch {
    return true; // being written right now by the process that just made the directory
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** terraform or the provider mirror is missing; the message says how to provide each. */
export class ToolchainError extends Error {
  readonly code = "TERRAFORM_TOOLCHAIN_MISSING";
  override readonly name = "ToolchainError";
}

export const MIRROR_ENV = "DRIFTGUARD_TF_PROVIDER_MIRROR";

/** Conventional filesystem-mirror roots, checked in order when MIRROR_ENV is unset. */
export const CONVENTIONAL_MIRRORS = [
  join(homedir(), ".terraform.d", "plugins"),
  join(homedir(), ".local", "share", "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
  "/opt/tf-plugins",
];

export function providerRequirement(): ProviderRequirement {
  const pkg = fileURLToPath(new URL("../../node_modules/@cdktf/provider-aws/package.json", import.meta.url));
  const { cdktf } = JSON.parse(readFileSync(pkg, "utf8")) as { cdktf: { provider: { name: string; version: string } } };
  return { address: cdktf.provider.name, version: cdktf.provider.version };
}

export function platform(): string {
  const arch = ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/** True when `root` holds the provider in either mirror layout terraform accepts. */
export function mirrorHasProvider(root: string, req: ProviderRequirement): boolean {
  const dir = join(root, req.address);
  const type = req.address.split("/").at(-1)!;
  return (
    existsSync(join(dir, req.version, platform())) ||
    existsSync(join(dir, `terraform-provider-${type}_${req.version}_${platform()}.zip`))
  );
}

function howToProvideMirror(req: ProviderRequirement, looked: string[]): string {
  const type = req.address.split("/").at(-1)!;
  return [
    `terraform runs offline here and needs the ${req.address} ${req.version} provider (${platform()}) in a filesystem mirror.`,
    `Looked in: ${looked.join(", ")}.`,
    "Provide it one of these ways, then set the variable:",
    `  - with network access, in any directory: terraform providers mirror -platform=${platform()} <dir>  (using a main.tf that requires ${req.address} = ${req.version})`,
    `  - or unpack terraform-provider-${type}_${req.version}_${platform()}.zip from releases.hashicorp.com into <dir>/${req.address}/${req.version}/${platform()}/`,
    `  export ${MIRROR_ENV}=<dir>`,
  ].join("\n");
}

/** The mirror from MIRROR_ENV, else the first conventional root holding the provider; throws how-to otherwise. */
export function findProviderMirror(req: ProviderRequirement, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[MIRROR_ENV];
  if (configured !== undefined && configured !== "") {
    if (mirrorHasProvider(configured, req)) return configured;
    throw new Error(`${MIRROR_ENV}=${configured} does not contain the provider.\n${howToProvideMirror(req, [configured])}`);
  }
  const found = CONVENTIONAL_MIRRORS.find((root) => mirrorHasProvider(root, req));
  if (found !== undefined) return found;
  throw new Error(`${MIRROR_ENV} is not set and no conventional mirror has the provider.\n${howToProvideMirror(req, CONVENTIONAL_MIRRORS)}`);
}

export function findTerraform(env: NodeJS.ProcessEnv): { terraform: string; version: string } {
  const terraform = env.DRIFTGUARD_TERRAFORM || "terraform";
  try {
    const out = execFileSync(terraform, ["version", "-json"], { encoding: "utf8", env });
    return { terraform, version: (JSON.parse(out) as { terraform_version: string }).terraform_version };
  } catch (err) {
    throw new Error(
      `terraform CLI not runnable as "${terraform}" (${(err as Error).message.split("\n")[0]}).\n` +
        "Install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) and put it on PATH, " +
        "or set DRIFTGUARD_TERRAFORM to its path.",
    );
  }
}

/**
 * Checks terraform and the mirror (throwing instructions when either is missing) and writes a
 * CLI config that installs the provider only from the mirror and caches it, so 50+
 * `terraform init`s link one copy instead of each unpacking ~700 MB. Any TF_CLI_CONFIG_FILE
 * already set (possibly pointing at a missing file) is replaced.
 */
export function prepareToolchain(workDir: string): Toolchain {
  const req = providerRequirement();
  // Both checks run first so a newcomer missing both learns about both at once.
  const problems: string[] = [];
  const attempt = <T>(find: () => T): T | undefined => {
    try {
      return find();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const found = attempt(() => findTerraform({ ...process.env, TF_CLI_CONFIG_FILE: devNull, CHECKPOINT_DISABLE: "1" }));
  const mirror = attempt(() => findProviderMirror(req));
  if (found === undefined || mirror === undefined) throw new ToolchainError(problems.join("\n\n"));
  const pluginCache = join(tmpdir(), "driftguard-tf-plugin-cache");
  mkdirSync(pluginCache, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const cliConfig = join(workDir, "terraform.rc");
  writeFileSync(
    cliConfig,
    `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = [${JSON.stringify(req.address)}]
  }
  direct {
    exclude = [${JSON.stringify(req.address)}]
  }
}
plugin_cache_dir = ${JSON.stringify(pluginCache)}
`,
  );
  return {
    terraform: found.terraform,
    terraformVersion: found.version,
    mirror,
    env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" },
    initLock: `${pluginCache}.init-lock`,
  };
}

const exec = promisify(execFile);

export interface SandboxTarget {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region: string;
}

export type TerraformRun = (args: string[]) => Promise<{ stdout: string; stderr: string }>;

/**
 * terraform in `cwd` against the sandbox: the endpoint for every service, the given session, and
 * nothing of the machine's own AWS configuration (no profile, no instance metadata). A failure
 * throws with the stack's name, terraform's stderr and the end of its output.
 */
export function terraformIn(toolchain: Toolchain, cwd: string, label: string, target: SandboxTarget): TerraformRun {
  const { credentials: creds } = target;
  const env = {
    ...toolchain.env,
    AWS_ENDPOINT_URL: target.endpoint,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_REGION: target.region,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: devNull,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
  };
  const run = (args: string[]) =>
    exec(toolchain.terraform, [...args, "-no-color"], { cwd, maxBuffer: 64 * 1024 * 1024, env }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`terraform ${args[0]} of ${label} exited ${err.code}:\n${err.stderr ?? ""}\n${(err.stdout ?? "").slice(-30000)}`);
    });
  return (args) => (args[0] === "init" ? withInitLock(toolchain, () => run(args)) : run(args));
}

/** "aws_sqs_queue.dlq (25 s), …" from terraform's "<address>: Creation complete after 25s [id=…]" lines. */
export function slowestCreates(applyOutput: string, count: number): string {
  const seconds = (d: string) => [...d.matchAll(/(\d+)([hms])/g)].reduce((t, [, n, u]) => t + Number(n) * ({ h: 3600, m: 60, s: 1 } as Record<string, number>)[u!]!, 0);
  const creates = [...applyOutput.matchAll(/^(\S+): Creation complete after ((?:\d+[hms])+)/gm)].map(([, address, d]) => ({ address: address!, s: seconds(d!) }));
  return creates
    .sort((a, b) => b.s - a.s)
    .slice(0, count)
    .map((c) => `${c.address} (${c.s} s)`)
    .join(", ");
}
