/**
 * A target's InputTransformer (API_InputTransformer.html; EventBridge User Guide, "Amazon
 * EventBridge input transformation", eb-transform-target-input.html): InputPathsMap names up to
 * 100 variables, each a JSON path into the event, and InputTemplate is the text sent to the target
 * with each <variable> filled in. The placeholders' semantics, as the guide's examples table shows
 * them (event detail {"instance-id": "i-0123456789", "state": "RUNNING"}):
 * - outside a JSON string a placeholder becomes the value as JSON: `{"instance" : <instance>}` →
 *   `{"instance" : "i-0123456789"}`, and `<aws.events.event>` the whole event object;
 * - inside a JSON string it becomes the value's text, unquoted and unescaped: `"instance
 *   \"<instance>\" is in <state>"` → `"instance \"i-0123456789\" is in RUNNING"` ("EventBridge
 *   doesn't escape values extracted by Input Path", Common Issues);
 * - a path the event does not have creates no variable, and its placeholder "won't appear in
 *   the output" (Common Issues): it is replaced by nothing;
 * - the predefined variables aws.events.rule-arn, aws.events.rule-name, aws.events.event,
 *   aws.events.event.ingestion-time and aws.events.event.json ("the exact payload of an event as
 *   a string") need no path, and InputPathsMap may not define them ("These variables are reserved").
 * "The JSON that is passed to the target is minified": an output that parses as JSON is sent
 * minified; any other text (a template that is not JSON) is sent as it is.
 * JSON paths: dot notation with array indices (`$.detail.items[0].id`), the supported syntax the
 * guide lists; a wildcard is refused at PutTargets rather than misread.
 */

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate?: string;
}

export const PREDEFINED_VARIABLES = ["aws.events.rule-arn", "aws.events.rule-name", "aws.events.event", "aws.events.event.ingestion-time", "aws.events.event.json"] as const;

/** A path of API_InputTransformer's "JSON dot notation": `$`, then `.name` or `[index]` steps. */
const PATH = /^\$((?:\.[A-Za-z0-9_\-/@:]+|\[\d+\])*)$/;

/** Why PutTargets refuses this transformer, or undefined when it is valid (API_InputTransformer.html limits). */
export function transformerProblem(t: InputTransformer): string | undefined {
  const template = t.InputTemplate;
  if (template === undefined || template.length < 1 || template.length > 8192) return "InputTemplate must be between 1 and 8192 characters.";
  const entries = Object.entries(t.InputPathsMap ?? {});
  if (entries.length > 100) return "InputPathsMap can have at most 100 entries.";
  for (const [name, path] of entries) {
    if ((PREDEFINED_VARIABLES as readonly string[]).includes(name) || /^aws\./i.test(name)) return `InputPathsMap key ${name} is reserved: keys cannot start with "AWS."`;
    if (!PATH.test(path)) return `InputPathsMap value ${path} for ${name} is not a valid JSON path (dot notation and array indices, e.g. $.detail.items[0]).`;
  }
  return undefined;
}

function valueAt(event: unknown, path: string): { found: boolean; value?: unknown } {
  let value: unknown = event;
  for (const [, name, index] of (PATH.exec(path)?.[1] ?? "").matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    const key = name ?? Number(index);
    if (value === null || typeof value !== "object" || !(key in value)) return { found: false };
    value = (value as Record<string | number, unknown>)[key];
  }
  return { found: true, value };
}

export interface TransformContext {
  ruleArn: string;
  /** When EventBridge received the event (ISO 8601). */
  ingestionTime: string;
}

/** The text EventBridge sends the target for `event` through `t`. */
export function transformInput(t: InputTransformer, event: unknown, ctx: TransformContext): string {
  const variables = new Map<string, unknown>([
    ["aws.events.rule-arn", ctx.ruleArn],
    ["aws.events.rule-name", ctx.ruleArn.split("/").at(-1)],
    ["aws.events.event", event],
    ["aws.events.event.ingestion-time", ctx.ingestionTime],
    ["aws.events.event.json", JSON.stringify(event)],
  ]);
  for (const [name, path] of Object.entries(t.InputPathsMap ?? {})) {
    const { found, value } = valueAt(event, path);
    if (found) variables.set(name, value);
  }
  const names = new Set([...PREDEFINED_VARIABLES, ...Object.keys(t.InputPathsMap ?? {})]);
  const template = t.InputTemplate ?? "";
  let out = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === "\\" && inString) {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    const placeholder = c === "<" ? /^<([^<>\s]+)>/.exec(template.slice(i)) : null;
    if (!placeholder || !names.has(placeholder[1]!)) {
      out += c;
      continue;
    }
    i += placeholder[0].length - 1;
    if (!variables.has(placeholder[1]!)) continue;
    const value = variables.get(placeholder[1]!);
    out += inString ? (typeof value === "string" ? value : JSON.stringify(value)) : JSON.stringify(value);
  }
  try {
    return JSON.stringify(JSON.parse(out));
  } catch {
    return out;
  }
}
