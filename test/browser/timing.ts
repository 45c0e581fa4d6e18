/**
 * How fast report.html answers in a real browser (issue 18: "a 5,000-stack report … interactive
 * in under 1 s"). Renders the generated 300-account organization (17 stacks each, every 5th
 * drifted: 5,100 stacks, 2,000 drifted resources), opens it from file:// in Debian's chromium
 * (playwright-core, no browser download) RUNS times in fresh pages, and prints per run and as the
 * median: interactive (the page's data-interactive, ms after navigation start), one filter
 * keystroke to the next frame, the filter's answer (their sum: the target), details unpacked
 * (data-ready), and chromium's own task breakdown (CDP Performance.getMetrics: script, layout,
 * style recalculation). With `--profile DIR`, also a CDP CPU profile of the first load
 * (DIR/report-load.cpuprofile, opens in Chrome DevTools' Performance panel).
 *
 *   npx tsx test/browser/timing.ts [--runs 7] [--profile DIR]
 *
 * The machine's load average is printed: compare runs made back to back on the same machine.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { renderHtml } from "../../functions/report/index.js";
import { fleetReport } from "../unit/report/generate.js";

const CHROMIUM = "/usr/bin/chromium";
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, profile: { type: "string" } } });
const runs = Number(values.runs);

interface Sample {
  interactive: number;
  keystroke: number;
  answers: number;
  unpacked: number;
  script: number;
  layout: number;
  style: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};

async function main() {
  const report = fleetReport({ accounts: 300, stacksPerAccount: 17, driftEvery: 5 });
  const html = renderHtml(report);
  const dir = mkdtempSync(join(tmpdir(), "driftguard-timing-"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const account = report.accounts.find((a) => a.regions.some((r) => r.stacks.some((s) => s.resources.length > 0)))!;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  const samples: Sample[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Performance.enable");
      const profiling = values.profile !== undefined && i === 0;
      if (profiling) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
        await cdp.send("Profiler.start");
      }
      await page.goto(pathToFileURL(file).href);
      await page.locator("html[data-interactive]").waitFor({ state: "attached" });
      const interactive = Number(await page.locator("html").getAttribute("data-interactive"));
      // Page-side code as a string: this project compiles without the DOM library.
      const keystroke = await page.evaluate<number>(`(async () => {
        const input = document.getElementById("filter");
        const t0 = performance.now();
        input.value = ${JSON.stringify(`(${account.accountId})`)};
        input.dispatchEvent(new Event("input"));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return Math.round(performance.now() - t0);
      })()`);
      await page.locator("#details-body[data-ready]").waitFor({ state: "attached" });
      const unpacked = Number(await page.locator("#details-body").getAttribute("data-ready"));
      if (profiling) {
        const { profile } = (await cdp.send("Profiler.stop")) as { profile: unknown };
        mkdirSync(resolve(values.profile!), { recursive: true });
        writeFileSync(join(resolve(values.profile!), "report-load.cpuprofile"), JSON.stringify(profile));
      }
      const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
      const m = (name: string) => Math.round((metrics.find((x) => x.name === name)?.value ?? 0) * 1000);
      samples.push({ interactive, keystroke, answers: interactive + keystroke, unpacked, script: m("ScriptDuration"), layout: m("LayoutDuration"), style: m("RecalcStyleDuration") });
      console.info(`run ${i + 1}: ${JSON.stringify(samples.at(-1))}`);
      await context.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = Object.fromEntries((Object.keys(samples[0]!) as (keyof Sample)[]).map((k) => [k, median(samples.map((s) => s[k]))]));
  console.info(
    `${report.totals.stacksScanned}-stack report, ${report.totals.resourcesDrifted} drifted, ${(Buffer.byteLength(html) / 2 ** 20).toFixed(2)} MiB, median of ${runs}: ` +
      `interactive ${med.interactive} ms, keystroke ${med.keystroke} ms, filter answers ${med.answers} ms after navigation (target < 1,000), details unpacked ${med.unpacked} ms; ` +
      `chromium script ${med.script} ms, layout ${med.layout} ms, style ${med.style} ms; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
}

await main();
