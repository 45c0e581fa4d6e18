import { generatedName } from "../../shared/ids.js";
import type { ResourceProvider } from "./types.js";

/**
 * Every type the emulator doesn't model: the stack records it with a generated physical id and
 * an Arn attribute, nothing is created in the World, and drift detection reports NOT_CHECKED.
 */
export const opaqueProvider: ResourceProvider = {
  async create(_properties, ctx) {
    const { account, region, sandbox } = ctx.env;
    const physicalId = generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 128 });
    // AWS::SQS::Queue → sqs
    const service = (ctx.resourceType.split("::")[1] ?? "unknown").toLowerCase();
    return { physicalId, attributes: { Arn: `arn:aws:${service}:${region}:${account.id}:${physicalId}` } };
  },

  async delete() {
    // Nothing was created in the World.
  },

  async updateInPlace() {
    // Nothing in the World to change: the stack keeps the new properties.
  },
};
