import { ConfigError, formatConfigError } from "../functions/config/load.js";
import { helpText, parseFlags, unknownCommand, UsageError, type CommandSpec, type Parsed } from "./args.js";
import { APPLY, applyCommand } from "./apply.js";
import { DEMO, demoCommand } from "./demo.js";
import { EXIT } from "./exit-codes.js";
import { processIo, type Io } from "./io.js";
import { PLAN, SCAN, scanCommand } from "./scan.js";

/**
 * `driftguard <command>`: package.json `bin`, so `npx driftguard …` works in the checkout.
 * Every failure ends as one message and an exit code; a stack trace only for a bug, and only
 * with DRIFTGUARD_DEBUG=1.
 */

interface Command {
  spec: CommandSpec;
  run(flags: Parsed, io: Io): Promise<number>;
}

export const COMMANDS: Command[] = [
  { spec: SCAN, run: (f, io) => scanCommand(f, io) },
  { spec: PLAN, run: (f, io) => scanCommand(f, io, "report") },
  { spec: APPLY, run: applyCommand },
  { spec: DEMO, run: demoCommand },
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    "driftguard: CloudFormation drift detection and repair for an AWS Organization",
    "",
    "usage: npx driftguard <command> [flags]     (npx driftguard <command> --help for its flags)",
    "",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    "",
    "Start with `npm start` (the demo), then try it on one real account: npx driftguard scan --current-credentials --regions <region>",
  ].join("\n");
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  try {
    if (!command) throw unknownCommand(name, COMMANDS.map((c) => c.spec.name));
    const flags = parseFlags(command.spec, rest);
    if (flags.help) {
      io.stdout(`${helpText(command.spec)}\n`);
      return EXIT.ok;
    }
    return await command.run(flags, io);
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = err.command ? `usage: ${err.command.usage}\n(npx driftguard ${err.command.name} --help for every flag)` : "npx driftguard --help lists the commands";
      io.stderr(`driftguard: ${err.message}\n${usage}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.stderr(`${formatConfigError(err)}\n`);
      return EXIT.config;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    // Credentials and network problems are the person's to fix, not bugs: say what and where.
    if (/credential|Could not load|ENOTFOUND|ECONNREFUSED|ExpiredToken|InvalidClientTokenId/i.test(`${e.name} ${e.message}`)) {
      io.stderr(`driftguard: cannot reach AWS: ${e.name}: ${e.message}\nSet AWS_PROFILE (or the default credential chain) and AWS_REGION, then try again.\n`);
      return EXIT.errors;
    }
    io.stderr(`driftguard: internal error: ${e.name}: ${e.message}\n${io.env.DRIFTGUARD_DEBUG ? `${e.stack ?? ""}\n` : "(DRIFTGUARD_DEBUG=1 shows the stack trace; please report it)\n"}`);
    return EXIT.internal;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const io = processIo();
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT.internal;
    },
  );
}
