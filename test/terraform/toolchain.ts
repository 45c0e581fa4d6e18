import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { devNull, homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
    `terraform validate runs offline and needs the ${req.address} ${req.version} provider (${platform()}) in a filesystem mirror.`,
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
  if (found === undefined || mirror === undefined) throw new Error(problems.join("\n\n"));
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
  };
}
