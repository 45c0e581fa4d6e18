import type { CfnStack } from "../../../state.js";
import type { CfnEnv } from "../env.js";
import { validationError } from "../errors.js";
import { templateFromUrl } from "../resources/nested-stack.js";
import { checkServiceRole } from "../resources/on-behalf.js";
import { requireCapabilities } from "../template/capabilities.js";
import { bindParameters, type ParameterInput } from "../template/parameters.js";
import { parseTemplate } from "../template/parse.js";
import type { StackUpdate } from "../update.js";
import { capabilityList, flag, list, optionalText, tags } from "./params.js";

/** The members CreateStack, UpdateStack, CreateChangeSet and ValidateTemplate share (the SDK's input shapes). */
export interface TemplateInput {
  TemplateBody?: string | undefined;
  TemplateURL?: string | undefined;
  UsePreviousTemplate?: boolean | undefined;
  Parameters?: ParameterInput[] | undefined;
  Tags?: { Key?: string | undefined; Value?: string | undefined }[] | undefined;
  Capabilities?: string[] | undefined;
  RoleARN?: string | undefined;
}

const NO_TEMPLATE = "Either Template URL or Template Body must be specified.";

/** The template a call names by TemplateBody or TemplateURL (undefined when it names neither). */
export function templateBodyOf(env: CfnEnv, params: TemplateInput): string | undefined {
  const body = optionalText(params.TemplateBody);
  const url = optionalText(params.TemplateURL);
  if (body !== undefined || url === undefined) return body;
  try {
    return templateFromUrl(env.world, url);
  } catch (error) {
    throw validationError((error as Error).message);
  }
}

export function requiredTemplateBody(env: CfnEnv, params: TemplateInput): string {
  const body = templateBodyOf(env, params);
  if (body === undefined) throw validationError(NO_TEMPLATE);
  return body;
}

/**
 * What UpdateStack and an UPDATE change set apply (API_UpdateStack.html, API_CreateChangeSet.html):
 * a new TemplateBody/TemplateURL or UsePreviousTemplate, each parameter given or UsePreviousValue
 * (a parameter left out takes its default, not its previous value), the capabilities the new
 * template needs, the stack tags when given, and RoleARN (else the stack's current service role).
 */
export function stackUpdateOf(env: CfnEnv, stack: CfnStack, params: TemplateInput): StackUpdate {
  const body = templateBodyOf(env, params);
  const previous = flag(params.UsePreviousTemplate);
  if (previous && body !== undefined) throw validationError("You cannot specify both usePreviousTemplate and Template Body/Template URL");
  if (!previous && body === undefined) throw validationError(NO_TEMPLATE);
  const templateBody = previous ? stack.templateBody : body!;
  const template = parseTemplate(templateBody);
  const capabilities = capabilityList(params.Capabilities);
  requireCapabilities(template, capabilities);
  return {
    template,
    templateBody,
    parameters: bindParameters(template, list<ParameterInput>(params.Parameters), stack.parameters),
    ...(params.Tags !== undefined ? { tags: tags(params.Tags) } : {}),
    capabilities,
    ...(optionalText(params.RoleARN) !== undefined ? { roleArn: checkServiceRole(env, optionalText(params.RoleARN)) } : {}),
  };
}
