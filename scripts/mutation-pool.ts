import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Plugin } from "vite";
import type { PoolOptions, PoolWorker } from "vitest/node";

/**
 * The "kept-threads" vitest pool of vitest.mutation.config.ts: vitest's threads pool with one worker thread
 * kept from one run to the next (scripts/mutation-worker.mjs explains what is kept and what is reset).
 *
 * Why: Stryker's vitest runner starts one vitest run per mutant, and vitest 4.1 terminates the worker
 * thread after every run, so every mutant paid for a thread importing the AWS SDK clients, cdktf (through
 * the sandbox harness) and zod again: budget.test.ts's import was 30.7 s of a 39 s run at load 20
 * (@aws-sdk/client-ec2 alone 5.9 s, cdktf 2.8 s), ~48 s a mutant with one runner at load 20.
 *
 * Stryker passes `pool: "threads"` on vitest's command line, which overrides every project's `pool`; the
 * plugin sets the pool back on the project after vitest resolved it (configureVitest runs after that).
 */

const ENTRY = fileURLToPath(new URL("./mutation-worker.mjs", import.meta.url));
const NAME = "kept-threads";

/** One thread per test-runner process (Stryker runs vitest with maxWorkers 1): the one kept. */
let kept: Worker | undefined;

class KeptThreadsPoolWorker implements PoolWorker {
  readonly name = NAME;
  private readonly listeners: [string, (arg: unknown) => void][] = [];
  private piped: Worker | undefined;

  constructor(private readonly options: PoolOptions) {}

  private get thread(): Worker {
    if (!this.piped) throw new Error("kept-threads: the worker thread was not started (scripts/mutation-pool.ts)");
    return this.piped;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.listeners.push([event, callback]);
    this.thread.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.thread.off(event, callback);
  }

  send(message: unknown): void {
    this.thread.postMessage(message);
  }

  deserialize(data: unknown): unknown {
    return data;
  }

  async start(): Promise<void> {
    if (!kept) {
      const thread = new Worker(ENTRY, {
        env: this.options.env,
        execArgv: this.options.execArgv,
        stdout: true,
        stderr: true,
        workerData: { entry: resolve(this.options.distPath, "workers/threads.js") },
      });
      // A thread that dies (an out-of-memory test, a crash) is replaced at the next run.
      thread.once("exit", () => {
        if (kept === thread) kept = undefined;
      });
      kept = thread;
    }
    this.piped = kept;
    const { outputStream, errorStream } = this.options.project.vitest.logger;
    this.piped.stdout.pipe(outputStream);
    this.piped.stderr.pipe(errorStream);
  }

  async stop(): Promise<void> {
    const thread = this.piped;
    if (!thread) return;
    for (const [event, callback] of this.listeners.splice(0)) thread.off(event, callback);
    const { outputStream, errorStream } = this.options.project.vitest.logger;
    thread.stdout.unpipe(outputStream);
    thread.stderr.unpipe(errorStream);
    this.piped = undefined;
  }
}

/** The vite plugin putting the project whose `plugins` hold it on the kept-threads pool (a non-isolated project only). */
export function keptThreads(): Plugin {
  return {
    name: "driftguard:kept-threads",
    configureVitest({ project, vitest }) {
      if (project.config.isolate) throw new Error(`kept-threads: project ${project.name} is isolated; a kept thread would share modules between its files`);
      project.config.pool = NAME;
      project.config.poolRunner = { name: NAME, createPoolWorker: (options) => new KeptThreadsPoolWorker(options) };
      vitest.onClose(async () => {
        await kept?.terminate();
        kept = undefined;
      });
    },
  };
}
