import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium package (apt-get install chromium); playwright-core downloads no browser. */
const CHROMIUM = "/usr/bin/chromium";
/** Screenshots are test artifacts, never committed (.gitignore). */
export const ARTIFACTS = resolve("test-artifacts", "browser");

export interface Session {
  context: BrowserContext;
  close(): Promise<void>;
  /** Writes `html` to a temporary file and opens it from file://, as a reader would. */
  open(name: string, html: string): Promise<{ page: Page; consoleErrors: string[] }>;
  /** Writes several files under one folder (relative paths kept) and opens `first` from file://. */
  openTree(name: string, files: Record<string, string>, first: string): Promise<{ page: Page; consoleErrors: string[] }>;
}

export async function launch(): Promise<Session> {
  const profile = mkdtempSync(join(tmpdir(), "driftguard-chromium-"));
  const files = mkdtempSync(join(tmpdir(), "driftguard-report-"));
  // A fresh profile per file: playwright takes it as launchPersistentContext's userDataDir (it
  // refuses --user-data-dir in args) and passes it to chromium as that flag.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1366, height: 768 },
    // Flags: no sandbox (containers run as root), nothing reaching the network on its own.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(files, { recursive: true, force: true });
    },
    open: (name, html) => openTree(name, { [`${name}.html`]: html }, `${name}.html`),
    openTree,
  };

  async function openTree(name: string, tree: Record<string, string>, first: string): Promise<{ page: Page; consoleErrors: string[] }> {
      for (const [path, text] of Object.entries(tree)) {
        const file = join(files, name, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") consoleErrors.push(m.text());
      });
      page.on("pageerror", (err) => consoleErrors.push(err.message));
      // Any request other than the files themselves would be the page reaching the network.
      page.on("request", (r) => {
        if (!r.url().startsWith("file://")) consoleErrors.push(`network request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(join(files, name, first)).href);
      return { page, consoleErrors };
  }
}

/** The report's script unpacks the resource details after load (html.ts); wait for it. */
export async function detailsReady(page: Page): Promise<void> {
  await page.locator("#details-body[data-ready]").waitFor({ state: "attached" });
}
