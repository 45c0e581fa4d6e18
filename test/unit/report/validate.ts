import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import schema from "../../../functions/report/report.schema.json" with { type: "json" };

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** The JSON Schema's verdict on a report as it would be stored (after a JSON round trip). */
export function schemaErrors(report: unknown): string[] {
  const ok = validate(JSON.parse(JSON.stringify(report)));
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

export { schema };
