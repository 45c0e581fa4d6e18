import { CreateTagsCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import type { ChangeActor } from "../../core/types.js";
import { tagMap } from "../../core/tags.js";
import { isErrorCode } from "../../core/errors.js";
import { type Guardrail, type GuardrailSettings } from "./types.js";

/** EC2 tag values are at most 256 characters. */
const MAX_TAG_VALUE = 256;

function tagValue(configured: string, actor: ChangeActor): string {
  const value = configured === "creator" ? (actor.arn ?? "unknown") : configured;
  return value.slice(0, MAX_TAG_VALUE);
}

/** The required tags an instance lacks, with the values they should get. */
export function missingTags(
  present: Record<string, string>,
  required: GuardrailSettings["requiredTags"],
  actor: ChangeActor,
): { Key: string; Value: string }[] {
  return required.filter((t) => !Object.hasOwn(present, t.key)).map((t) => ({ Key: t.key, Value: tagValue(t.value, actor) }));
}

export const requiredTags: Guardrail = {
  name: "required-tags",
  eventNames: ["RunInstances"],
  resourceType: "AWS::EC2::Instance",
  actions: ["ec2:DescribeInstances", "ec2:CreateTags"],
  enabled: (settings) => settings.requiredTags.length > 0,
  async inspect({ resource, clients, settings, actor }) {
    const id = resource.physicalId;
    let instance;
    try {
      const out = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    } catch (error) {
      if (!isErrorCode(error, "InvalidInstanceID.NotFound")) throw error;
    }
    if (!instance || instance.State?.Name === "terminated") return { state: "gone", reason: `instance ${id} no longer exists` };

    const tags = tagMap(instance.Tags);
    const missing = missingTags(tags, settings.requiredTags, actor);
    if (missing.length === 0) return { state: "compliant", reason: `instance ${id} has every required tag`, tags };
    return {
      state: "violation",
      reason: `instance ${id} was launched without required tag(s) ${missing.map((t) => t.Key).join(", ")}`,
      tags,
      steps: [
        {
          call: `CreateTags Resources=${id} ${missing.map((t) => `${t.Key}=${t.Value}`).join(", ")}`,
          summary: `add required tag(s) ${missing.map((t) => t.Key).join(", ")}`,
          effect: { kind: "tag-resource", resource: id },
          send: () => clients.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: missing })),
        },
      ],
    };
  },
};
