import { cloudFormationService } from "../cloudformation/service.js";
import type { ServiceDefinition } from "../protocol/types.js";
import { cloudtrailService } from "./cloudtrail.js";
import { ec2Service } from "./ec2.js";
import { eventsService } from "./events.js";
import { iamService } from "./iam.js";
import { kmsService } from "./kms.js";
import { logsService } from "./logs.js";
import { organizationsService } from "./organizations.js";
import { s3Service } from "./s3.js";
import { snsService } from "./sns.js";
import { sqsService } from "./sqs.js";
import { stsService } from "./sts.js";
import { taggingService } from "./tagging.js";

/** Every emulated service, by SigV4 signing name. */
export const SERVICES: ServiceDefinition[] = [
  stsService,
  organizationsService,
  iamService,
  s3Service,
  snsService,
  ec2Service,
  taggingService,
  cloudtrailService,
  cloudFormationService,
  // What the deployment adds (issue 15): terraform creates driftguard through these.
  logsService,
  eventsService,
  kmsService,
  sqsService,
];
