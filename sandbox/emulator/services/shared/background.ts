/**
 * Work a service does after its API call has returned: EventBridge delivers events, Lambda
 * runs an `Event` invocation, and Step Functions runs an execution, asynchronously ("Asynchronous
 * invocation", invocation-async.html; "PutEvents": the call returns once the event is accepted;
 * API_StartExecution.html: "Starts a state machine execution" and answers with its ARN at once). Each piece is counted while it runs,
 * and work a running piece starts is counted before that piece ends, so the count reaching zero
 * means the sandbox has nothing left to do — what a harness waits for before it reads results or
 * stops the sandbox (a run that is cut off would log into a closed server).
 */

let inFlight = 0;

/** Runs `work` after the current call returns (on the next turn of the event loop), counted until it settles. */
export function afterResponse(work: () => Promise<unknown>): void {
  inFlight++;
  setImmediate(() => {
    void work().finally(() => inFlight--);
  });
}

/** Pieces of background work scheduled or running. */
export function backgroundInFlight(): number {
  return inFlight;
}

/** Resolves once no background work is scheduled or running; rejects after `timeoutMs`. */
export async function backgroundSettled(timeoutMs: number, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (inFlight > 0) {
    if (Date.now() > deadline) throw new Error(`the sandbox still had ${inFlight} asynchronous deliveries or invocations running after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
