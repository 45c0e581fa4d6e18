import * as cloudformation from "@aws-sdk/client-cloudformation";
import * as cloudtrail from "@aws-sdk/client-cloudtrail";
import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as ec2 from "@aws-sdk/client-ec2";
import * as events from "@aws-sdk/client-eventbridge";
import * as iam from "@aws-sdk/client-iam";
import * as kms from "@aws-sdk/client-kms";
import * as lambda from "@aws-sdk/client-lambda";
import * as organizations from "@aws-sdk/client-organizations";
import * as tagging from "@aws-sdk/client-resource-groups-tagging-api";
import * as s3 from "@aws-sdk/client-s3";
import * as sfn from "@aws-sdk/client-sfn";
import * as sns from "@aws-sdk/client-sns";
import * as sqs from "@aws-sdk/client-sqs";
import * as secretsmanager from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import * as sts from "@aws-sdk/client-sts";
import { NormalizedSchema } from "@smithy/core/schema";

/**
 * The sandbox reads and writes the wire formats from the same Smithy schemas the SDK clients are
 * generated from, so member names, EC2 query names, list member element names and timestamp
 * formats match what the SDK (and the AWS CLI, built from the same models) expect.
 */

const MODULES: Record<string, Record<string, unknown>> = {
  cloudformation,
  cloudtrail,
  ec2,
  iam,
  organizations,
  tagging,
  s3,
  sns,
  sts,
  // The services terraform deploys driftguard with (issue 15).
  logs,
  events,
  kms,
  sqs,
  lambda,
  monitoring: cloudwatch,
  // Chat webhook URLs.
  ssm,
  secretsmanager,
  states: sfn,
};

export interface OperationSchema {
  input: NormalizedSchema;
  output: NormalizedSchema;
  /** REST bindings: [method, uri pattern, success status], for REST-XML operations. */
  http?: [string, string, number];
}

const cache = new Map<string, OperationSchema | undefined>();

/** The operation's schema, keyed by SigV4 signing name and action name; undefined if the SDK has no such operation. */
export function operationSchema(service: string, action: string): OperationSchema | undefined {
  const key = `${service}:${action}`;
  if (cache.has(key)) return cache.get(key);
  // Generated clients export each operation as `<Action>$ = [9, namespace, name, traits, input, output]`.
  const op = MODULES[service]?.[`${action}$`] as [number, string, string, Record<string, unknown> | number, unknown, unknown] | undefined;
  const schema =
    op && op[0] === 9
      ? {
          input: NormalizedSchema.of(op[4] as never),
          output: NormalizedSchema.of(op[5] as never),
          http: typeof op[3] === "object" ? (op[3].http as OperationSchema["http"]) : undefined,
        }
      : undefined;
  cache.set(key, schema);
  return schema;
}

/** Every operation the SDK's model of a service (by signing name) has, implemented by the sandbox or not. */
export function operationNames(service: string): string[] {
  return Object.entries(MODULES[service] ?? {})
    .filter(([name, op]) => name.endsWith("$") && Array.isArray(op) && op[0] === 9)
    .map(([name]) => name.slice(0, -1));
}

/** The literal query keys (and values, where fixed) of a REST uri pattern: `/{Bucket}?list-type=2` → [["list-type", "2"]]. */
export function uriLiterals(uri: string): [string, string | undefined][] {
  const query = uri.split("?")[1] ?? "";
  return query
    .split("&")
    .filter((p) => p !== "")
    .map((p): [string, string | undefined] => {
      const [k, v] = p.split("=");
      return [k!, v];
    });
}

/** The members of a structure that `value` sets, with their schemas: what every shape walker iterates. */
export function presentMembers(schema: NormalizedSchema, value: Record<string, unknown>): [name: string, member: NormalizedSchema, value: unknown][] {
  return [...schema.structIterator()].flatMap(([name, member]): [string, NormalizedSchema, unknown][] => {
    const v = value[name];
    return v === undefined || v === null ? [] : [[name, member, v]];
  });
}

/** Member names change case between conventions: query names are PascalCase, CloudTrail's lowerCamel. */
export function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
