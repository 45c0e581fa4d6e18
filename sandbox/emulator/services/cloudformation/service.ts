import type { ServiceDefinition } from "../../protocol/types.js";
import { changeSetHandlers } from "./handlers/change-sets.js";
import { driftHandlers } from "./handlers/drift.js";
import { exportHandlers } from "./handlers/exports.js";
import { resourceHandlers } from "./handlers/resources.js";
import { stackHandlers } from "./handlers/stacks.js";

/** The emulated CloudFormation API (query protocol, 2010-05-15). */
export const cloudFormationService: ServiceDefinition = {
  name: "cloudformation",
  protocol: "query",
  xmlNamespace: "http://cloudformation.amazonaws.com/doc/2010-05-15/",
  actions: { ...stackHandlers, ...resourceHandlers, ...driftHandlers, ...changeSetHandlers, ...exportHandlers },
};
