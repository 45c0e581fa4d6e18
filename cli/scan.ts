import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { organizationIdSource } from "../functions/config/load.js";
import { loadConfig } from "../functions/accounts-file/index.js";
import { isKnownRegion, KNOWN_REGIONS, type Region } from "../functions/config/regions.js";
import { MODES, type AccountEntry, type Config, type Mode } from "../functions/config/schema.js";
import { closest } from "../functions/config/suggest.js";
import type { RunReport } from "../functions/core/types.js";
import { configHash, problems, renderHtml, renderMarkdown, summarySubject, totalsTable } from "../functions/report/index.js";
import { newRunId } from "../functions/runtime/index.js";
import { scanOrganization } from "../functions/scanner/index.js";
import { UsageError, type CommandSpec, type Parsed } from "./args.js";
import { callerAccount, cliHubClients, cliLogger, cliScanDeps } from "./aws.js";
import { EXIT_CODES_HELP, FAIL_ON, scanExitCode, type FailOn } from "./exit-codes.js";
import { Progress } from "./progress.js";
import type { Io } from "./io.js";

const COMMON_FLAGS = {
  config: { type: "string", value: "FILE", description: "accounts.yaml to read (default: accounts.yaml, or DRIFTGUARD_CONFIG)" },
  accounts: { type: "string", value: "IDS|NAMES", list: true, description: "only these accounts (ids or names from accounts.yaml, comma-separated)" },
  regions: { type: "string", value: "REGIONS", list: true, description: "only these regions, for every account (comma-separated)" },
  stacks: { type: "string", value: "GLOBS", list: true, description: "only stacks matching these globs, e.g. 'web-*,iam-*'" },
  assume: { type: "string", value: "ROLE", optionalValue: true, description: "assume this role in each account (default: spoke.roleName, the spoke role)" },
  "current-credentials": { type: "boolean", description: "scan only the account your credentials belong to, with them (no AssumeRole, no Organizations calls)" },
  out: { type: "string", value: "DIR", description: "write report.json, report.html and report.md to DIR" },
  format: { type: "string", value: "table|json", choices: ["table", "json"], description: "what to print on stdout (default: table)" },
  "fail-on": { type: "string", value: "drift|errors|never", choices: FAIL_ON, description: "which findings make the exit code non-zero (default: errors)" },
  verbose: { type: "boolean", description: "also print the scanner's structured JSON logs (stderr)" },
} as const satisfies CommandSpec["flags"];

export const SCAN: CommandSpec = {
  name: "scan",
  summary: "scan real AWS accounts with your own credentials (no hub deployment needed)",
  usage: "npx driftguard scan [--accounts ...] [--regions ...] [--stacks ...] [--mode report|remediate] [--assume [ROLE] | --current-credentials] [--out DIR] [--format table|json] [--fail-on drift|errors|never]",
  flags: {
    ...COMMON_FLAGS,
    mode: { type: "string", value: "report|remediate", choices: MODES, description: "override every account's mode (default: the modes in accounts.yaml); nothing is repaired unless an account or this flag says remediate" },
  },
  notes: [
    "Credentials: AWS_PROFILE or the SDK's default chain. The organization id is checked first (organizations:DescribeOrganization).",
    EXIT_CODES_HELP,
    "examples:\n  npx driftguard scan --current-credentials --regions eu-west-1 --out out/   # try it on one real account first\n  npx driftguard scan --accounts payments-prod --fail-on drift --format json",
  ],
};

export const PLAN: CommandSpec = {
  name: "plan",
  summary: "scan in report mode: every repair planned, nothing changed; review, then `driftguard apply --report DIR/report.json`",
  usage: "npx driftguard plan --out DIR [--accounts ...] [--regions ...] [--stacks ...] [--assume [ROLE] | --current-credentials] [--format table|json] [--fail-on ...]",
  flags: COMMON_FLAGS,
  notes: [EXIT_CODES_HELP],
};

function selectAccounts(config: Config, wanted: string[] | undefined): AccountEntry[] {
  if (!wanted) return config.accounts;
  const known = config.accounts.flatMap((a) => [a.id, a.name]);
  return wanted.map((w) => {
    const found = config.accounts.find((a) => a.id === w || a.name === w);
    if (!found) {
      const near = closest(w, known);
      throw new UsageError(`--accounts: "${w}" is not in accounts.yaml${near ? ` (did you mean ${near}?)` : ""}; accounts there: ${config.accounts.map((a) => a.name).join(", ")}`);
    }
    return found;
  });
}

function checkRegions(regions: string[] | undefined): Region[] | undefined {
  return regions?.map((r) => {
    if (isKnownRegion(r)) return r;
    const near = closest(r, KNOWN_REGIONS);
    throw new UsageError(`--regions: "${r}" is not an AWS region${near ? ` (did you mean ${near}?)` : ""}`);
  });
}

/** accounts.yaml narrowed by the flags: the same config object the Lambda reads, only smaller. */
export function scopedConfig(config: Config, flags: Parsed, caller?: string): Config {
  const regions = checkRegions(flags.regions as string[] | undefined);
  const stacks = flags.stacks as string[] | undefined;
  let accounts = selectAccounts(config, flags.accounts as string[] | undefined);
  if (caller !== undefined) {
    // The caller's own account, as accounts.yaml configures it, or with the defaults when it is not listed.
    const own = config.accounts.find((a) => a.id === caller) ?? { id: caller, name: "current-account", status: "active" as const };
    if (flags.accounts && !accounts.some((a) => a.id === caller)) {
      throw new UsageError(`--current-credentials scans only your credentials' account ${caller}, which --accounts does not name`);
    }
    accounts = [own];
  }
  const roleName = typeof flags.assume === "string" && flags.assume !== "" ? flags.assume : config.spoke.roleName;
  const narrow = <T extends object>(entry: T): T => ({ ...entry, ...(regions ? { regions } : {}), ...(stacks ? { stacks: { include: stacks, exclude: [] } } : {}) });
  return {
    ...config,
    spoke: { ...config.spoke, roleName },
    accounts: accounts.map(narrow),
    // Named accounts are exactly what is scanned; otherwise the onboarded OUs' members are scanned too.
    organizationalUnits: flags.accounts || caller !== undefined ? [] : config.organizationalUnits.map(narrow),
  };
}

export function writeReport(dir: string, report: RunReport): string[] {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const files: [string, string][] = [
    ["report.json", `${JSON.stringify(report, null, 2)}\n`],
    ["report.html", renderHtml(report)],
    ["report.md", renderMarkdown(report)],
  ];
  return files.map(([name, text]) => {
    const file = join(out, name);
    writeFileSync(file, text);
    return file;
  });
}

/** The drifted resources and problems a person reads first, after the subject line. */
function details(report: RunReport): string[] {
  const lines: string[] = [];
  for (const a of report.accounts) {
    for (const r of a.regions) {
      for (const s of r.stacks) {
        for (const res of s.resources) {
          lines.push(`  ${a.accountId} ${r.region} ${s.stackName} ${res.logicalResourceId} (${res.resourceType}) ${res.status} -> ${res.action.outcome}: ${res.action.reason}`);
        }
      }
    }
  }
  const errs = problems(report).map((p) => `  ${p.where}: ${p.error.code}: ${p.error.message}`);
  return [...(lines.length > 0 ? ["drifted resources:", ...lines] : []), ...(errs.length > 0 ? ["errors:", ...errs] : [])];
}

export async function scanCommand(flags: Parsed, io: Io, forcedMode?: Mode): Promise<number> {
  if (flags["current-credentials"] && flags.assume !== undefined) throw new UsageError("--assume and --current-credentials exclude each other: assume a role in each account, or use your credentials in their own account");
  const file = (flags.config as string | undefined) ?? io.env.DRIFTGUARD_CONFIG ?? "accounts.yaml";
  const config = loadConfig(file);
  const hub = cliHubClients(config.hub.region);
  const currentCredentials = flags["current-credentials"] === true;
  const caller = currentCredentials ? (await callerAccount(hub)).account : undefined;
  const scoped = scopedConfig(config, flags, caller);
  const mode = forcedMode ?? (flags.mode as Mode | undefined);

  const progress = new Progress({ isTTY: io.stderrIsTTY, write: io.stderr });
  io.stderr(`driftguard: scanning ${scoped.accounts.length} account(s) from ${file}${mode ? ` in ${mode} mode` : " in each account's configured mode"}${currentCredentials ? ` with your credentials (account ${caller})` : `, assuming ${scoped.spoke.roleName} in each`}\n`);
  const report = await scanOrganization(cliScanDeps(hub, { currentCredentials }, cliLogger(flags.verbose === true)), {
    config: scoped,
    runId: newRunId(new Date()),
    trigger: "cli",
    ...(mode ? { modeOverride: mode } : {}),
    onProgress: progress.onProgress,
    configSource: organizationIdSource(file),
    // The file's hash, not the narrowed copy's: apply compares it with the accounts.yaml it reads.
    configHash: configHash(config),
    organizationCheck: !currentCredentials,
  });
  progress.finish();

  const files = flags.out ? writeReport(flags.out as string, report) : [];
  if (flags.format === "json") io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else {
    io.stdout([summarySubject(report), "", totalsTable(report.totals), ...details(report), ...(files.length > 0 ? ["", `report: ${files.join(", ")}`] : [])].join("\n") + "\n");
  }
  return scanExitCode(report, ((flags["fail-on"] as FailOn | undefined) ?? "errors"));
}
