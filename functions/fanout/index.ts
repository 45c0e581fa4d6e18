/**
 * The fan-out's public surface: the three Step Functions steps (partitioner, worker, reducer), the
 * request they are routed on, and the in-process driver that runs them without Step Functions.
 */
export { driveFanout, runFanoutInProcess, type FanoutSteps } from "./in-process.js";
export { runPartitioner } from "./partitioner.js";
export { runReducer } from "./reduce.js";
export { parseFanoutRequest, type FanoutRequest } from "./requests.js";
export type { PartitionOutput, WorkerOutput } from "./types.js";
export { runWorker } from "./worker.js";
