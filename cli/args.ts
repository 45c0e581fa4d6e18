import { closest } from "../functions/config/suggest.js";

/**
 * Command-line flags as a table per command: the parser, `--help` and the did-you-mean for a
 * typo all read the same table, so a flag cannot be accepted without being documented.
 */

export interface FlagSpec {
  type: "string" | "boolean";
  /** One line for --help. */
  description: string;
  /** Shown in --help, e.g. "DIR", "drift|errors|never". */
  value?: string;
  /** Allowed values of a string flag; anything else is a usage error with a did-you-mean. */
  choices?: readonly string[];
  /** A string flag that may also stand alone (`--assume` means the spoke role). */
  optionalValue?: boolean;
  /** Several occurrences or a comma-separated list. */
  list?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  /** Paragraphs after the flags: exit codes, examples. */
  notes?: string[];
}

export type Parsed = Record<string, string | boolean | string[] | undefined>;

/** A mistake on the command line: printed with the command's usage, exit code 64 (EX_USAGE). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

const HELP: FlagSpec = { type: "boolean", description: "show this help" };

function suggestion(word: string, candidates: string[]): string {
  const match = closest(word, candidates);
  return match ? ` (did you mean ${match}?)` : "";
}

/** Parses argv for one command; throws UsageError, never anything else. */
export function parseFlags(spec: CommandSpec, argv: readonly string[]): Parsed {
  const flags: Record<string, FlagSpec> = { ...spec.flags, help: HELP };
  const names = Object.keys(flags).map((n) => `--${n}`);
  const out: Parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h") {
      out.help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"; ${spec.name} takes only flags (see --help)`, spec);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = flags[name];
    if (!flag) throw new UsageError(`unknown flag --${name}${suggestion(`--${name}`, names)}`, spec);
    if (flag.type === "boolean") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`, spec);
      out[name] = true;
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      } else if (flag.optionalValue) {
        value = "";
      } else {
        throw new UsageError(`--${name} needs a value${flag.value ? ` (${flag.value})` : ""}`, spec);
      }
    }
    if (flag.choices && !flag.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${flag.choices.join(", ")} (got "${value}")${suggestion(value, [...flag.choices])}`, spec);
    }
    if (flag.list) {
      const items = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
      out[name] = [...((out[name] as string[] | undefined) ?? []), ...items];
    } else {
      if (out[name] !== undefined) throw new UsageError(`--${name} given twice`, spec);
      out[name] = value;
    }
  }
  return out;
}

export function helpText(spec: CommandSpec): string {
  const flags = Object.entries({ ...spec.flags, help: HELP });
  const left = flags.map(([name, f]) => `--${name}${f.value ? (f.optionalValue ? ` [${f.value}]` : ` ${f.value}`) : ""}`);
  const width = Math.max(...left.map((l) => l.length));
  return [
    `driftguard ${spec.name}: ${spec.summary}`,
    "",
    `usage: ${spec.usage}`,
    "",
    ...flags.map(([, f], i) => `  ${left[i]!.padEnd(width)}  ${f.description}`),
    ...(spec.notes ?? []).flatMap((n) => ["", n]),
  ].join("\n");
}

/** A command name typed wrong: "did you mean scan?". */
export function unknownCommand(word: string, commands: string[]): UsageError {
  return new UsageError(`unknown command "${word}"${suggestion(word, commands)}; commands: ${commands.join(", ")}`);
}
