import { fileURLToPath } from "node:url";
import { Testing } from "cdktf";
import { testApp } from "../support/cdktf.js";
import type { Config } from "../../functions/config/schema.js";
import { HubStack } from "../../modules/hub-stack.js";
import { SpokeStack } from "../../modules/spoke-stack.js";

/** A tiny Lambda entry so synthesizing a hub takes milliseconds. */
export const TINY_HANDLER = fileURLToPath(new URL("./fixtures/tiny-handler.ts", import.meta.url));

type Block = Record<string, unknown>;
type Json = Record<string, Record<string, Record<string, Block>>>;

export interface PolicyStatement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** Read access to one synthesized stack's JSON, with policy references resolved. */
export class Synth {
  constructor(readonly json: Json) {}

  /** All blocks of a resource type, keyed by their logical id. */
  resources(type: string): Record<string, Block> {
    return this.json.resource?.[type] ?? {};
  }

  /** The single block of a type; fails the test when there are zero or several. */
  only(type: string): Block {
    const blocks = Object.values(this.resources(type));
    if (blocks.length !== 1) throw new Error(`expected exactly one ${type}, found ${blocks.length}`);
    return blocks[0]!;
  }

  /** `${aws_x.id.attr}` for the block of `type` that is `block`. */
  ref(type: string, block: Block, attribute: string): string {
    const entry = Object.entries(this.resources(type)).find(([, b]) => b === block);
    if (entry === undefined) throw new Error(`block not found among ${type}`);
    return `\${${type}.${entry[0]}.${attribute}}`;
  }

  /** Statements of the policy document a `${data.aws_iam_policy_document.X.json}` reference points to. */
  policy(reference: unknown): PolicyStatement[] {
    const match = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(reference));
    if (match === null) throw new Error(`${String(reference)} is not a policy document reference`);
    const doc = this.json.data?.aws_iam_policy_document?.[match[1]!];
    if (doc === undefined) throw new Error(`policy document ${match[1]} not found`);
    return doc.statement as PolicyStatement[];
  }
}

export function synthHub(config: Config): { stack: HubStack; synth: Synth } {
  const stack = new HubStack(testApp(), { config, lambdaEntry: TINY_HANDLER });
  return { stack, synth: new Synth(JSON.parse(Testing.synth(stack, true)) as Json) };
}

export function synthSpoke(config: Config, accountName: string): { stack: SpokeStack; synth: Synth } {
  const account = config.accounts.find((a) => a.name === accountName);
  if (account === undefined) throw new Error(`no account named ${accountName}`);
  const stack = new SpokeStack(testApp(), { config, account });
  return { stack, synth: new Synth(JSON.parse(Testing.synth(stack, true)) as Json) };
}
