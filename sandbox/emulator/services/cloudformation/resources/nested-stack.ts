import type { World } from "../../../state.js";
import { isPlainObject } from "../template/intrinsics.js";
import type { ResourceProvider } from "./types.js";

const UNREADABLE_URL = "TemplateURL must reference a valid S3 object to which you have access.";

/**
 * Reads a TemplateURL from the sandbox's S3: virtual-hosted (`https://b.s3.amazonaws.com/k`,
 * `https://b.s3.<region>.amazonaws.com/k`) or path-style (`https://s3.amazonaws.com/b/k`, and the
 * sandbox's own `http://127.0.0.1:port/b/k`).
 */
export function templateFromUrl(world: World, templateUrl: string): string {
  let url: URL;
  try {
    url = new URL(templateUrl);
  } catch {
    throw new Error(UNREADABLE_URL);
  }
  const path = decodeURIComponent(url.pathname).replace(/^\//, "");
  const virtualHost = /^(.+)\.s3[.-]/.exec(url.hostname);
  const [bucketName, key] = virtualHost
    ? [virtualHost[1], path]
    : [path.slice(0, path.indexOf("/")), path.slice(path.indexOf("/") + 1)];
  const object = world.buckets.get(bucketName)?.objects.get(key);
  if (!object) throw new Error(UNREADABLE_URL);
  return object.body.toString("utf8");
}

/**
 * AWS::CloudFormation::Stack: the nested stack is a stack of its own (ParentId/RootId set),
 * named `<parent>-<logicalId>-<RANDOM>`; its Outputs are the resource's `Outputs.<Name>`
 * attributes. The template comes from TemplateURL or, sandbox only, an inline TemplateBody.
 * CloudFormation doesn't check nested stacks when detecting drift on the parent.
 */
export const nestedStackProvider: ResourceProvider = {
  async create(properties, ctx) {
    const templateBody =
      properties.TemplateBody !== undefined
        ? typeof properties.TemplateBody === "string"
          ? properties.TemplateBody
          : JSON.stringify(properties.TemplateBody)
        : templateFromUrl(ctx.env.world, String(properties.TemplateURL ?? ""));
    const parameters = isPlainObject(properties.Parameters)
      ? Object.fromEntries(Object.entries(properties.Parameters).map(([key, value]) => [key, String(value)]))
      : {};
    const child = await ctx.nested.create({ logicalId: ctx.logicalId, templateBody, parameters });
    if (child.status !== "CREATE_COMPLETE") {
      await ctx.nested.delete(child.stackId);
      throw new Error(`Embedded stack ${child.stackId} was not successfully created: ${child.statusReason ?? child.status}`);
    }
    const attributes = Object.fromEntries((child.outputs ?? []).map((output) => [`Outputs.${output.key}`, output.value]));
    return { physicalId: child.stackId, attributes, nestedStackId: child.stackId };
  },

  delete(stackId, ctx) {
    return ctx.nested.delete(stackId);
  },
};
