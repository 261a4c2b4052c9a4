import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { COMMANDS, type CommandSpec } from './commands.ts';
import { reportError, EXIT, OptionError } from './report.ts';

const NAME = 'shikaku-print';
const ROOT_USAGE = `${NAME} <command> [options]; ${NAME} --help lists the commands`;

/** The version of package.json: what `--version` prints. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The usage line of a command, as errors about its options show it. */
function usageOf(spec: CommandSpec): string {
  return `${NAME} ${spec.name} ${spec.usage}; ${NAME} ${spec.name} --help lists the options`;
}

/** The command an argument list names: its first word, when that is a command. */
function commandOf(argv: readonly string[]): CommandSpec | undefined {
  const word = argv.find((a) => !a.startsWith('-'));
  return COMMANDS.find((c) => c.name === word);
}

/**
 * The program: every command with its options. Parse errors, --help and --version end it by throwing
 * (exitOverride), so that reportError alone decides what is printed and the exit status; `ran` is told
 * the status of the command that ran.
 */
function program(ran: (status: number) => void): Command {
  const root = new Command(NAME)
    .description("print engine for Japan's health-insurance documents: 資格確認書 and 資格情報のお知らせ, print-exact PDF and PNG")
    .usage('<command> [options]')
    .version(version(), '-V, --version', 'print the version')
    .option('--debug', 'on a failure, also print where it happened (the stack trace)')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', "print a command's help")
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `\nExit status: 0 done, 1 a failure (or a difference, for golden and diff), 2 a wrong command line or invalid input.\n${NAME} <command> --help lists the options of a command.`,
    );
  for (const spec of COMMANDS) {
    const command = root
      .command(spec.name)
      .summary(spec.summary)
      .description(spec.description ?? spec.summary)
      .usage(spec.usage);
    command.helpOption('-h, --help', 'print this help');
    for (const [name, description] of spec.arguments ?? []) command.argument(name, description);
    for (const option of spec.options()) command.addOption(option);
    command.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      const opts = self.opts();
      // The commands read their options by the names the operator types (`with-job`, not `withJob`).
      const values = Object.fromEntries(self.options.map((o) => [o.long?.slice(2) ?? o.name(), opts[o.attributeName()]]));
      ran(await spec.run(values, self.args));
    });
  }
  return root;
}

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const spec = commandOf(argv);
  let status: number = EXIT.ok;
  const root = program((s) => (status = s));
  if (argv.every((a) => a === '--debug')) {
    // No command: what there is to do, and the status of a wrong command line.
    process.stdout.write(root.helpInformation());
    return EXIT.invalid;
  }
  try {
    // commander answers `help NOSUCH` with the whole help as an error; an unknown command is one line.
    if (argv[0] === 'help' && argv[1] !== undefined && !argv[1].startsWith('-') && !COMMANDS.some((c) => c.name === argv[1]))
      throw new OptionError(`unknown command '${argv[1]}'`);
    await root.parseAsync(spec?.prepare ? spec.prepare(argv) : argv, { from: 'user' });
    return status;
  } catch (err) {
    return reportError(err, { debug, usage: spec ? usageOf(spec) : ROOT_USAGE });
  }
}
