import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { classifyInvocation, createHandler, type Routes } from "../../../functions/handler.js";
import type { FanoutRequest } from "../../../functions/fanout/requests.js";

const RUN = "20260102T030405Z-a1b2c3";

describe("the handler's fan-out route", () => {
  it("classifies the state machine's payloads", () => {
    expect(classifyInvocation({ fanout: "plan", input: { trigger: "schedule" } })).toEqual({ kind: "fanout", request: { step: "plan", trigger: "schedule" } });
    expect(classifyInvocation({ fanout: "reduce", runId: RUN })).toEqual({ kind: "fanout", request: { step: "reduce", runId: RUN } });
    expect(classifyInvocation({ fanout: "scan", runId: RUN })).toEqual({ kind: "unknown", description: "fan-out payload: accountId undefined is not a 12-digit account id" });
  });

  it("hands a worker's item to the fan-out route and returns its small answer", async () => {
    const seen: FanoutRequest[] = [];
    const routes: Routes = {
      scan: async () => {
        throw new Error("not this route");
      },
      changeEvent: async () => {
        throw new Error("not this route");
      },
      fanout: async (request) => {
        seen.push(request);
        return { accountId: "222222222222", key: `runs/${RUN}/parts/222222222222.json` };
      },
    };
    const answer = await createHandler(routes)({ fanout: "scan", runId: RUN, accountId: "222222222222" }, {} as Context);
    expect(answer).toEqual({ accountId: "222222222222", key: `runs/${RUN}/parts/222222222222.json` });
    expect(seen).toEqual([{ step: "scan", item: { fanout: "scan", runId: RUN, accountId: "222222222222" } }]);
  });
});
