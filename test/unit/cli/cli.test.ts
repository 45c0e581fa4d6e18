import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { helpText, parseFlags, UsageError } from "../../../cli/args.js";
import { EXIT, scanExitCode } from "../../../cli/exit-codes.js";
import { COMMANDS, main } from "../../../cli/main.js";
import { Progress } from "../../../cli/progress.js";
import { SCAN } from "../../../cli/scan.js";
import { MIRROR_ENV } from "../../../sandbox/harness/terraform.js";
import type { Io } from "../../../cli/io.js";
import { resource, sampleAccounts, sampleReport } from "../report/sample.js";

function io(): Io & { out: string; err: string } {
  const self = {
    out: "",
    err: "",
    stdout: (t: string) => void (self.out += t),
    stderr: (t: string) => void (self.err += t),
    stderrIsTTY: false,
    stdinIsTTY: false,
    env: {},
    confirm: async () => false,
  };
  return self;
}

describe("flags", () => {
  it("parses lists, values, optional values and booleans", () => {
    expect(parseFlags(SCAN, ["--accounts", "a,b", "--accounts=c", "--assume", "--current-credentials", "--format=json"])).toEqual({ accounts: ["a", "b", "c"], assume: "", "current-credentials": true, format: "json" });
    expect(parseFlags(SCAN, ["--assume", "ReadOnly"]).assume).toBe("ReadOnly");
  });

  it.each([
    [["--regoins", "x"], "unknown flag --regoins (did you mean --regions?)"],
    [["--format", "jsn"], '--format must be one of table, json (got "jsn") (did you mean json?)'],
    [["--out"], "--out needs a value (DIR)"],
    [["--verbose=yes"], "--verbose takes no value"],
    [["scan"], 'unexpected argument "scan"'],
  ])("%j is a usage error: %s", (argv, message) => {
    expect(() => parseFlags(SCAN, argv)).toThrow(UsageError);
    expect(() => parseFlags(SCAN, argv)).toThrow(message);
  });

  it("documents every flag of every command in its --help, derived from the same table", () => {
    for (const { spec } of COMMANDS) {
      const help = helpText(spec);
      for (const name of Object.keys(spec.flags)) expect(help, `${spec.name} --${name}`).toContain(`--${name}`);
    }
  });

  it("an unknown command gets a did-you-mean and exit 64; --help per command exits 0", async () => {
    const t = io();
    expect(await main(["aply"], t)).toBe(EXIT.usage);
    expect(t.err).toContain('unknown command "aply" (did you mean apply?)');
    const h = io();
    expect(await main(["apply", "--help"], h)).toBe(EXIT.ok);
    expect(h.out).toContain("--report FILE|s3://...");
  });
});

describe("scan exit codes", () => {
  const clean = () => {
    const [account] = sampleAccounts();
    const region = account!.regions[0]!;
    const stack = { ...region.stacks.find((s) => s.scan === "scanned")!, error: undefined };
    return { ...account!, status: "scanned" as const, error: undefined, regions: [{ region: region.region, status: "scanned" as const, stacks: [stack] }] };
  };

  it("errors outrank drift, drift counts only what nobody repaired, never is 0", () => {
    const withErrors = sampleReport();
    expect(scanExitCode(withErrors, "drift")).toBe(EXIT.errors);
    expect(scanExitCode(withErrors, "errors")).toBe(EXIT.errors);
    expect(scanExitCode(withErrors, "never")).toBe(EXIT.ok);
    const repaired = clean();
    repaired.regions[0]!.stacks[0]!.resources = [resource()];
    expect(scanExitCode(sampleReport([repaired], []), "drift")).toBe(EXIT.ok);
    const planned = clean();
    planned.regions[0]!.stacks[0]!.resources = [resource({ action: { outcome: "planned", reason: "would detach", steps: ["x"] } })];
    expect(scanExitCode(sampleReport([planned], []), "drift")).toBe(EXIT.drift);
    expect(scanExitCode(sampleReport([planned], []), "errors")).toBe(EXIT.ok);
  });
});

describe("progress", () => {
  const stackEvent = { kind: "stack" as const, accountId: "1", region: "r", stack: { stackName: "s", scan: "scanned" as const, exemption: { kind: "none" as const }, resources: [resource()] } };

  it("rewrites one line on a terminal", () => {
    let text = "";
    const p = new Progress({ isTTY: true, write: (t) => void (text += t) });
    p.onProgress({ kind: "accounts", configured: 2, toScan: 2 });
    p.onProgress({ kind: "stacks", accountId: "1", region: "r", targets: 3 });
    p.onProgress(stackEvent);
    p.finish();
    expect(text.split("\n")).toHaveLength(2);
    expect(text).toContain("\r\x1b[2Kaccounts 0/2, stacks 1/3, drifted 1, remediated 1, errors 0");
  });

  it("writes a plain line at most every interval otherwise, and the totals at the end", () => {
    let now = 0;
    const lines: string[] = [];
    const p = new Progress({ isTTY: false, write: (t) => void lines.push(t) }, () => now, 15_000);
    for (let i = 0; i < 1000; i++) {
      now += 100;
      p.onProgress(stackEvent);
    }
    p.finish();
    // 100 s of events: the first line, one per 15 s, and the final totals.
    expect(lines.length).toBeLessThanOrEqual(9);
    expect(lines.at(-1)).toBe("accounts 0/0, stacks 1000/0, drifted 1000, remediated 1000, errors 0\n");
  });
});

describe("npm start -- --deploy without terraform or the provider mirror", () => {
  const saved = { terraform: process.env.DRIFTGUARD_TERRAFORM, mirror: process.env[MIRROR_ENV] };
  afterEach(() => {
    for (const [key, value] of [["DRIFTGUARD_TERRAFORM", saved.terraform], [MIRROR_ENV, saved.mirror]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("says what is missing and how to provide both, exits EX_CONFIG, and starts nothing", async () => {
    process.env.DRIFTGUARD_TERRAFORM = "/nonexistent/terraform";
    process.env[MIRROR_ENV] = mkdtempSync(join(tmpdir(), "driftguard-empty-mirror-"));
    const out = io();
    expect(await main(["demo", "--deploy"], out)).toBe(EXIT.config);
    expect(out.err).toMatch(/--deploy applies the synthesized stacks with terraform, and cannot here/);
    expect(out.err).toMatch(/terraform CLI not runnable as "\/nonexistent\/terraform"[\s\S]*Install Terraform/);
    expect(out.err).toMatch(new RegExp(`${MIRROR_ENV}=\\S+ does not contain the provider[\\s\\S]*terraform providers mirror`));
    expect(out.err).toContain("`npm start` without --deploy needs neither.");
    expect(out.out).toBe("");
  });

  it("refuses --mode, which the deployment takes from the accounts file, and --keep without --deploy", async () => {
    const out = io();
    expect(await main(["demo", "--deploy", "--mode", "report"], out)).toBe(EXIT.usage);
    expect(out.err).toContain("set each account's mode there instead of --mode");
    const kept = io();
    expect(await main(["demo", "--keep"], kept)).toBe(EXIT.usage);
    expect(kept.err).toContain("--keep keeps what --deploy applied: use it with --deploy");
  });
});
