import { cloudFormationService } from "./cloudformation/service.js";
import type { ServiceDefinition } from "../protocol/types.js";
import { cloudtrailService } from "./cloudtrail/service.js";
import { cloudwatchService } from "./cloudwatch/service.js";
import { ec2Service } from "./ec2/service.js";
import { eventsService } from "./events/service.js";
import { iamService } from "./iam/service.js";
import { kmsService } from "./kms/service.js";
import { lambdaService } from "./lambda/service.js";
import { logsService } from "./logs/service.js";
import { organizationsService } from "./organizations/service.js";
import { s3Service } from "./s3/service.js";
import { snsService } from "./sns/service.js";
import { sqsService } from "./sqs/service.js";
import { secretsManagerService } from "./secretsmanager/service.js";
import { ssmService } from "./ssm/service.js";
import { stepFunctionsService } from "./stepfunctions/service.js";
import { stsService } from "./sts/service.js";
import { taggingService } from "./tagging/service.js";

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
  // Where a chat webhook's URL lives: driftguard reads it, never accounts.yaml.
  ssmService,
  secretsManagerService,
  lambdaService,
  cloudwatchService,
  stepFunctionsService,
];
