import { header, type Codec } from "./codec.js";
import { AwsError, type ServiceDefinition } from "./types.js";

/**
 * The awsJson1_0/1_1 protocols (Organizations, Resource Groups Tagging API, CloudTrail, Logs, EventBridge, KMS, SQS, Step Functions): POST with
 * `X-Amz-Target: <Prefix>.<Action>` and a JSON body; errors carry `__type`. Timestamps travel as
 * epoch seconds, which is what the SDK's JSON deserializer expects by default.
 */

function contentType(service: ServiceDefinition): string {
  return `application/x-amz-json-${service.jsonVersion ?? "1.1"}`;
}

function epochDates(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(epochDates);
  if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, epochDates(v)]));
  }
  return value;
}

export const jsonCodec: Codec = {
  decode(req) {
    const target = header(req, "x-amz-target");
    const action = target?.split(".").pop();
    if (!action) throw new AwsError("UnknownOperationException", "Missing X-Amz-Target header");
    const text = req.body.toString("utf8");
    try {
      return { action, params: text.trim() === "" ? {} : JSON.parse(text) };
    } catch {
      throw new AwsError("SerializationException", "Request body is not valid JSON");
    }
  },
  encode(service, _action, result, requestId) {
    return {
      status: 200,
      headers: { "content-type": contentType(service), "x-amzn-requestid": requestId },
      body: JSON.stringify(epochDates(result ?? {})),
    };
  },
  encodeError(service, error, requestId) {
    const queryCode = service.queryErrorCodes?.[error.code];
    return {
      status: error.status,
      headers: {
        "content-type": contentType(service),
        "x-amzn-requestid": requestId,
        ...(queryCode ? { "x-amzn-query-error": `${queryCode};${error.senderFault ? "Sender" : "Receiver"}` } : {}),
      },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  },
};
