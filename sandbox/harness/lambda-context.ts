import type { Context } from "aws-lambda";
import { invocationContext } from "../emulator/services/lambda/context.js";

/** What a Lambda context offers the handler, for invoking it outside Lambda with `budgetMs` left to run. */
export function lambdaContext(budgetMs: number, functionName: string): Context {
  const deadline = Date.now() + budgetMs;
  return invocationContext({
    functionName,
    functionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryMb: 1024,
    requestId: `local-${deadline}`,
    deadline,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
  });
}
