import { parseArgs, type ParseArgsConfig } from 'node:util';
import { renderCommand } from './render-command.ts';
import { layoutsCommand } from './layouts-command.ts';
import { fieldsCommand } from './fields-command.ts';
import { benchCommand } from './bench-command.ts';
import { serveCommand } from './serve-command.ts';
import { goldenCommand, diffCommand } from './qa-commands.ts';
import { studioCommand, layoutCommand } from './studio-command.ts';
import { reportError, UsageError, EXIT } from './report.ts';

type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  /** Rewrites the arguments before parsing: for options with a shape node's parseArgs has not. */
  prepare?: (args: string[]) => string[];
  run: (values: Values, positionals: string[]) => Promise<number>;
}

/** The commands of interfaces.md that exist so far, with their options. */
const COMMANDS: Record<string, Command> = {
  render: {
    summary: 'render every record of a file to one PDF, or to one PNG per page',
    usage:
      'render --layout ID --data FILE --out PATH [--format pdf|png] [--dpi N] [--png proof|k] [--insurers DIR] [--bleed] [--impose a4|a3|sra3|WxH [--duplex long|short] [--order sequential|cut-stack]] [--color office|press [--icc FILE]] [--quiet]',
    options: {
      insurers: { type: 'string' },
      bleed: { type: 'boolean', default: false },
      impose: { type: 'string' },
      duplex: { type: 'string' },
      order: { type: 'string' },
      color: { type: 'string' },
      icc: { type: 'string' },
      layout: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: 'pdf' },
      dpi: { type: 'string', default: '300' },
      png: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    run: (v) => renderCommand(v),
  },
  fields: {
    summary:
      'print the record fields (name, label, kind, what is valid, which layouts need them); --out DIR writes docs/fields.md and sample CSVs',
    usage: 'fields [--out DIR]',
    options: { out: { type: 'string' } },
    run: (v) => fieldsCommand(v),
  },
  layouts: {
    summary: 'list the layouts with page size and sides',
    usage: 'layouts [--json]',
    options: { json: { type: 'boolean', default: false } },
    run: (v) => layoutsCommand(v),
  },
  bench: {
    summary: 'measure throughput: render N generated records and print cards/s, pages/s and memory',
    usage:
      'bench [--layout ID] [--records N] [--format pdf|png] [--tabs N] [--chunk N] [--reference] [--profile] [--cli | --http [--seconds N] | --intake [--mb N] | --impose SHEET | --diff] [--json]  (--http [--clients N] [--with-job N] [--json])',
    options: {
      layout: { type: 'string', default: 'kokuho-card' },
      records: { type: 'string', default: '1000' },
      format: { type: 'string', default: 'pdf' },
      tabs: { type: 'string' },
      chunk: { type: 'string' },
      cli: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      intake: { type: 'boolean', default: false },
      mb: { type: 'string' },
      impose: { type: 'string' },
      json: { type: 'boolean', default: false },
      clients: { type: 'string' },
      reference: { type: 'boolean', default: false },
      'with-job': { type: 'string' },
      profile: { type: 'boolean', default: false },
      diff: { type: 'boolean', default: false },
    },
    run: (v) => benchCommand(v),
  },
  layout: {
    summary: 'make a new layout from a working one, with its samples and a golden case (--extend: a variant that extends it)',
    usage: 'layout new ID --from LAYOUT [--extend] [--layouts DIR] [--goldens DIR]',
    options: {
      from: { type: 'string' },
      extend: { type: 'boolean', default: false },
      layouts: { type: 'string' },
      goldens: { type: 'string' },
    },
    positionals: true,
    run: (v, p) => layoutCommand(v, p),
  },
  studio: {
    summary: 'the designer studio: a live, print-exact preview of the layouts while they are edited (http://127.0.0.1:5180/)',
    usage: 'studio [--port N] [--layouts DIR] [--goldens DIR] [--insurers DIR]',
    options: {
      port: { type: 'string', default: '5180' },
      layouts: { type: 'string' },
      goldens: { type: 'string' },
      insurers: { type: 'string' },
    },
    run: (v) => studioCommand(v),
  },
  golden: {
    summary: "check every layout's golden cases pixel by pixel and write a report (exit 1 on any difference); --update rewrites them",
    usage: 'golden [--update[=missing|changed|all]] [--layout ID] [--report DIR] [--layouts DIR] [--goldens DIR]',
    options: {
      update: { type: 'string' },
      layout: { type: 'string' },
      report: { type: 'string', default: 'golden-report' },
      layouts: { type: 'string' },
      goldens: { type: 'string' },
    },
    // `--update` alone is `--update=changed` (Playwright's default): write what is missing or changed.
    prepare: (args) => args.map((a) => (a === '--update' ? '--update=changed' : a)),
    run: (v) => goldenCommand(v),
  },
  diff: {
    summary:
      'compare two proofs (PDF, PNG or a folder of PNG pages), record by record when both have manifests, else page by page; write a report (exit 0 same, 1 different, 2 unusable input)',
    usage:
      'diff REFERENCE CANDIDATE [--report DIR] [--manifest REF_MANIFEST CAND_MANIFEST] [--dpi N] [--mask PAGE:X,Y,W,H ...] [--jobs N] [--quiet]',
    options: {
      dpi: { type: 'string', default: '300' },
      report: { type: 'string', default: 'diff-report' },
      mask: { type: 'string', multiple: true },
      manifest: { type: 'string', multiple: true },
      jobs: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    positionals: true,
    // `--manifest A B` names both manifests after one switch (interfaces.md).
    prepare: (args) => {
      const out: string[] = [];
      for (let i = 0; i < args.length; i++) {
        out.push(args[i] as string);
        const next = args[i + 2];
        if (args[i] === '--manifest' && args[i + 1] !== undefined && next !== undefined && !next.startsWith('--')) {
          out.push(args[i + 1] as string, '--manifest', next);
          i += 2;
        }
      }
      return out;
    },
    run: (v, p) => diffCommand(v, p),
  },
  serve: {
    summary: 'run the print service (what `npm start` runs)',
    usage: 'serve [--port N] [--host ADDRESS]',
    options: { port: { type: 'string' }, host: { type: 'string' } },
    run: (v) => serveCommand(v),
  },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  ${c.usage.padEnd(88)}\n      ${c.summary}`);
  return `usage: shikaku-print <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"\n\n${help()}`);
    let parsed;
    try {
      parsed = parseArgs({
        args: command.prepare ? command.prepare(rest) : rest,
        options: command.options,
        allowPositionals: command.positionals ?? false,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\nusage: shikaku-print ${command.usage}`);
    }
    return await command.run(parsed.values as Values, parsed.positionals);
  } catch (err) {
    return reportError(err);
  }
}
