import { CreateTagsCommand, DescribeInstancesCommand, type EC2Client, type Instance } from "@aws-sdk/client-ec2";
import type { ChangeActor } from "../../core/types.js";
import { tagMap } from "../../core/tags.js";
import { isErrorCode } from "../../core/errors.js";
import { parseTagRule, ruleValue, type TagFacts } from "../../core/tag-rules.js";
import { z } from "zod";
import { type Guardrail, type SettingsOf } from "./types.js";

/** A required tag's value is a rule (core/tag-rules.ts). */
const requiredTag = z
  .object({
    key: z
      .string()
      // EC2 tag keys: 1-128 characters; the aws: prefix is reserved (EC2 User Guide, "Tag restrictions").
      .regex(/^.{1,128}$/u, { error: "must be a tag key of 1-128 characters" })
      .refine((key) => !key.toLowerCase().startsWith("aws:"), { error: 'must not start with "aws:" (reserved for AWS; nobody can set it)' }),
    /** A fixed value, `creator` (who launched the instance) or `launch+<N>d` (launch date plus N days, YYYY-MM-DD). */
    value: z
      .string()
      .min(1)
      .superRefine((value, ctx) => {
        const rule = parseTagRule(value);
        if ("problem" in rule) ctx.addIssue({ code: "custom", message: `${rule.problem}; allowed: a fixed value, creator, or launch+<days>d` });
      })
      .default("creator"),
  })
  .strict();

const settings = {
  /** Tags every instance no stack manages must carry; [] turns the rule off. */
  requiredTags: z.array(requiredTag).default([]),
};
type RequiredTags = SettingsOf<typeof settings>["requiredTags"];

export interface MissingTags {
  /** Tags to add, with the values their rules give. */
  fill: { Key: string; Value: string }[];
  /** Required tags whose value cannot be known (e.g. creator not found): reported, left unset. */
  unknown: { key: string; why: string }[];
}

/** The required tags an instance lacks, with the values they should get. */
export function missingTags(present: Record<string, string>, required: RequiredTags, facts: TagFacts): MissingTags {
  const out: MissingTags = { fill: [], unknown: [] };
  for (const t of required) {
    if (Object.hasOwn(present, t.key)) continue;
    const rule = parseTagRule(t.value);
    // The config schema rejects bad rules; one that slips through is reported, not written.
    const found = "problem" in rule ? { unknown: rule.problem } : ruleValue(rule, facts);
    if ("value" in found) out.fill.push({ Key: t.key, Value: found.value });
    else out.unknown.push({ key: t.key, why: found.unknown });
  }
  return out;
}

async function describeInstance(ec2: EC2Client, id: string): Promise<Instance | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
  } catch (error) {
    if (isErrorCode(error, "InvalidInstanceID.NotFound")) return undefined;
    throw error;
  }
}

const needsCreator = (required: RequiredTags, present: Record<string, string>) =>
  required.some((t) => t.value === "creator" && !Object.hasOwn(present, t.key));

/** Adds missing tags by rule; never stops or terminates anything, whatever the tags say. */
export const requiredTags: Guardrail<typeof settings> = {
  name: "required-tags",
  settings,
  eventNames: ["RunInstances"],
  resourceType: "AWS::EC2::Instance",
  actions: ["ec2:DescribeInstances", "ec2:CreateTags"],
  enabled: (settings) => settings.requiredTags.length > 0,
  async inspect({ resource, clients, settings, actor, live, lookupCreator }) {
    const id = resource.physicalId;
    const instance = (live as Instance | undefined) ?? (await describeInstance(clients.ec2, id));
    if (!instance || instance.State?.Name === "terminated" || instance.State?.Name === "shutting-down") return { state: "gone", reason: `instance ${id} no longer exists` };

    const tags = tagMap(instance.Tags);
    if (settings.requiredTags.every((t) => Object.hasOwn(tags, t.key))) return { state: "compliant", reason: `instance ${id} has every required tag`, tags };
    // CloudTrail is asked only when a creator tag is missing and the event did not say who.
    const creator: ChangeActor | undefined = actor.arn !== undefined || !needsCreator(settings.requiredTags, tags) ? actor : await lookupCreator?.();
    const missing = missingTags(tags, settings.requiredTags, { actor: creator, launchTime: instance.LaunchTime });
    const unknown = missing.unknown.length > 0 ? `; left unset: ${missing.unknown.map((u) => `${u.key} (${u.why})`).join(", ")}` : "";
    const keys = missing.fill.map((t) => t.Key);
    return {
      state: "violation",
      reason: `instance ${id} lacks required tag(s) ${[...keys, ...missing.unknown.map((u) => u.key)].join(", ")}${unknown}`,
      tags,
      steps:
        missing.fill.length === 0
          ? []
          : [
              {
                call: `CreateTags Resources=${id} ${missing.fill.map((t) => `${t.Key}=${t.Value}`).join(", ")}`,
                summary: `add required tag(s) ${keys.join(", ")}`,
                effect: { kind: "tag-resource", resource: id },
                send: () => clients.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: missing.fill })),
              },
            ],
    };
  },
};
