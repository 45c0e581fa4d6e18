import type { Context } from "aws-lambda";

/**
 * The context object Lambda's Node.js runtime passes a handler ("Using the Lambda context object
 * to retrieve Node.js function information", docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html):
 * the function's name, version, ARN, memory, request id, log group and stream, and the time left
 * before the function's timeout.
 */
export interface InvocationFacts {
  functionName: string;
  functionArn: string;
  memoryMb: number;
  requestId: string;
  /** Epoch ms when the invocation times out. */
  deadline: number;
  logGroupName: string;
  logStreamName: string;
  now?: () => number;
}

export function invocationContext(facts: InvocationFacts): Context {
  const now = facts.now ?? Date.now;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: facts.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: facts.functionArn,
    memoryLimitInMB: String(facts.memoryMb),
    awsRequestId: facts.requestId,
    logGroupName: facts.logGroupName,
    logStreamName: facts.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, facts.deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
