// The worker thread of vitest.mutation.config.ts's "kept-threads" pool (scripts/mutation-pool.ts): vitest's
// own threads worker (workers/threads.js, passed as workerData.entry), made to serve one run after another.
//
// Vitest 4.1 tears a worker down after every run: on "stop" its init() removes every "message" listener
// of the port (init-threads' teardown) and the pool terminates the thread. Stryker starts one vitest run
// per mutant, so each mutant paid for a fresh thread importing the AWS SDK, cdktf and zod again. Here the
// teardown keeps init()'s own listener — its "start" case builds a fresh setup context each time — and
// removes only the per-run listeners (each run's RPC channel).
//
// What a run sees is what a fresh thread would give it, except the externals' native module cache:
// - every module vitest evaluated (our sources, the tests, their helpers) is dropped before a run starts,
//   so module state (caches, registries) never leaks from one mutant's run into the next;
// - Stryker's active mutant is reset, so module top-level code runs unmutated as in a fresh thread
//   (its setup file sets the mutant in beforeAll, after imports).
// node_modules packages stay loaded, as they already are between the test files of one non-isolated run.
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";

if (!parentPort) throw new Error("scripts/mutation-worker.mjs must run in a worker thread (vitest.mutation.config.ts)");
const port = parentPort;
port.setMaxListeners(0);

// The port is a MessagePort (a NodeEventTarget: no listeners()), so its "message" listeners are recorded here.
const listening = new Set();
const on = port.on.bind(port);
const off = port.off.bind(port);
port.on = port.addListener = (event, listener) => {
  if (event === "message") listening.add(listener);
  return on(event, listener);
};
port.off = port.removeListener = (event, listener) => {
  if (event === "message") listening.delete(listener);
  return off(event, listener);
};

await import(pathToFileURL(workerData.entry).href);

// Registered after vitest's worker: a listener attached before the import would start the port, and the
// pool's "start" message, arriving while the import is under way, would reach no vitest listener.
port.on("message", (message) => {
  if (message?.__vitest_worker_request__ !== true || message.type !== "start") return;
  const state = globalThis.__vitest_worker__;
  state?.evaluatedModules?.clear();
  state?.moduleExecutionInfo?.clear();
  const stryker = globalThis.__stryker__;
  if (stryker) {
    stryker.activeMutant = undefined;
    stryker.hitCount = 0;
  }
});
const kept = new Set(listening);
const removeAllListeners = port.removeAllListeners.bind(port);
port.removeAllListeners = (event) => {
  if (event !== "message") return removeAllListeners(event);
  for (const listener of [...listening]) if (!kept.has(listener)) port.off("message", listener);
  return port;
};
