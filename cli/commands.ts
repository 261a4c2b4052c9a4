// The commands of docs/spec/interfaces.md, each with its options and a line on what each is for (`--help` shows them).
import { Option } from 'commander';

/** One command: what it is, how it is called, its options, and what runs it (answering the exit status). */
export interface CommandSpec {
  name: string;
  /** One short line, for the list of commands. */
  summary: string;
  /** What `<command> --help` says it does; the summary when left out. */
  description?: string;
  /** What follows the command's name in its usage line. */
  usage: string;
  /** Its positional arguments, as commander writes them (`<reference>`), with what each is. */
  arguments?: [string, string][];
  options: () => Option[];
  /** Rewrites the arguments before parsing: for an option shape the parser has not. */
  prepare?: (args: string[]) => string[];
  /** Runs it; its module is loaded only then, so that `--help` or `layouts` never load the service or Chromium's driver. */
  run: (values: Record<string, unknown>, operands: string[]) => Promise<number>;
}

const opt = (flags: string, description: string) => new Option(flags, description);
/** An option that may be given more than once; its values in order. */
const repeated = (flags: string, description: string) =>
  opt(flags, description).argParser((v: string, previous: string[] | undefined) => [...(previous ?? []), v]);

/** `--manifest A B` names both manifests after one switch (docs/spec/interfaces.md): made `--manifest A --manifest B`. */
function pairManifests(args: string[]): string[] {
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
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'render',
    summary: 'records file to one PDF, or one PNG per page, and a manifest',
    description:
      'Renders every record of a file to one PDF, or to one PNG per page, and writes PATH.manifest.json beside it. Exit 0 done, 2 invalid input (nothing written), 1 another failure.',
    usage: '--layout ID --data FILE --out PATH [options]',
    options: () => [
      opt('--layout <id>', 'the layout to print (`shikaku-print layouts` lists them)'),
      opt('--data <file>', 'the records: .json (an object or an array), .ndjson or .csv (UTF-8 or Shift_JIS)'),
      opt('--out <path>', 'the PDF to write, or with --format png the folder for the pages; its folder must exist'),
      opt('--format <format>', 'pdf: one file; png: one NNNN-P.png per page').choices(['pdf', 'png']).default('pdf'),
      opt('--dpi <n>', 'the density of PNG pages, 50 to 1200').default('300', '300'),
      opt('--png <mode>', 'proof: as the PDF shows; k: pure black on white for a card printer').choices(['proof', 'k']).default('proof'),
      opt('--insurers <dir>', 'the insurer profiles, one JSON file per 保険者番号 (default: insurers/)'),
      opt('--bleed', 'pages of trim + 3 mm on each side, with TrimBox and BleedBox'),
      opt('--impose <sheet>', 'N-up press sheets with 日本式トンボ: a4, a3, sra3 or WxH in mm'),
      opt('--duplex <edge>', 'how backs sit behind fronts on imposed sheets; long when left out').choices(['long', 'short']),
      opt('--order <order>', 'the order of slots on imposed sheets; sequential when left out').choices(['sequential', 'cut-stack']),
      opt('--color <mode>', 'press: K-only black, CMYK through an ICC profile, PDF/X-4; office when left out').choices(['office', 'press']),
      opt('--icc <file>', 'the ICC profile of the press (with --color press)'),
      opt('--pdfvt', 'PDF/VT-1 on PDF/X-4: one document part per record, for a press RIP (the default with --color press)'),
      opt('--no-pdfvt', 'with --color press: PDF/X-4 without document parts'),
      opt('--mail <mode>', "a mailing run: records grouped into envelopes, each envelope's carrier then its documents").choices([
        'household',
        'person',
        'employer',
      ]),
      opt('--sort <order>', 'with --mail: envelopes by postal code, then address (input order when left out)').choices(['postal']),
      opt('--envelope <id>', 'the window envelope (envelopes/ID.json) the 宛名 is placed for; the insurer profile names it when left out'),
      opt(
        '--registered <kind>',
        'with --mail: registered or recorded mail (簡易書留, 特定記録, 一般書留), an お問い合わせ番号 and its NW-7 barcode under each 宛名',
      ).choices(['kani', 'tokutei', 'ippan']),
      opt(
        '--numbers <band>',
        'with --registered: the band the post office handed out, FIRST or FIRST-LAST (131-12-38385-2 or 11 digits); numbers earlier runs took are skipped',
      ),
      opt('--quiet', 'no progress and no summary on stderr'),
    ],
    run: async (v) => (await import('./render-command.ts')).renderCommand(v),
  },
  {
    name: 'fields',
    summary: 'the record fields: name, label, kind, what is valid',
    description: 'Prints the record fields: name, label (CSV header), kind, what is valid, which layouts need them.',
    usage: '[--out DIR]',
    options: () => [opt('--out <dir>', 'write DIR/fields.md and sample CSVs of every layout instead of printing the table')],
    run: async (v) => (await import('./fields-command.ts')).fieldsCommand(v),
  },
  {
    name: 'address-codes',
    summary: 'the カスタマバーコード data of every record: postal code, 住所表示番号, check character',
    description:
      "Prints one line per record, tab-separated: RECORD POSTAL NUMBER CD (the 7-digit postal code, the 住所表示番号 as extracted by Japan Post's rules, the check character), or RECORD unreadable: REASON when the record gets no barcode. Exit 0, 2 for a wrong command line or an unreadable file.",
    usage: '--data FILE',
    options: () => [opt('--data <file>', 'the records: .json (an object or an array), .ndjson or .csv (UTF-8 or Shift_JIS)')],
    run: async (v) => (await import('./address-codes-command.ts')).addressCodesCommand(v),
  },
  {
    name: 'mailing',
    summary: "a mailing run's paperwork: the insertion check, the registered run's receipt list, the returned pieces",
    description:
      "mailing verify: reads one matching code per line (as an inserting machine or a camera logs them, in the order the sheets passed) and reports envelopes complete, sheets missing, foreign, duplicated or out of order, and envelopes never seen; exit 0 when every envelope is complete and in order, 1 otherwise. mailing receipts: writes a registered run's 差出票 / 受領証 (FILE.pdf, 15 pieces a page, and FILE.csv), the sender from the insurer profile of its 保険者番号. mailing returns: writes the records of the pieces that came back (one お問い合わせ番号 or matching code a line) for the next run; exit 1 when a line names no piece of the run. Exit 2 for a wrong command line or a manifest of another kind of run.",
    usage:
      'verify --manifest FILE --scans FILE [--report DIR] [--reprint FILE --data FILE] | receipts --manifest FILE --out FILE.pdf [--insurers DIR] | returns --manifest FILE --numbers FILE --data FILE --out FILE',
    arguments: [
      [
        '<action>',
        "verify: check a scan log against a mailing run; receipts: a registered run's receipt list; returns: the records of returned pieces",
      ],
    ],
    options: () => [
      opt('--manifest <file>', "the manifest of the mailing run (X.pdf.manifest.json, or a job's manifest)"),
      opt('--scans <file>', 'verify: the scan log, one decoded matching code per line'),
      opt('--report <dir>', 'verify: write report.json and report.html there'),
      opt(
        '--reprint <file>',
        'verify: write the records of the envelopes with problems there, each keeping its envelope (envelopeCode) and お問い合わせ番号, for render --mail',
      ),
      opt('--data <file>', "verify --reprint and returns: the run's records file"),
      opt('--out <file>', 'receipts: the PDF to write (FILE.csv beside it); returns: the record file to write'),
      opt('--insurers <dir>', "receipts: the insurer profiles, the sender's among them (default: insurers/)"),
      opt(
        '--numbers <file>',
        'returns: the pieces that came back, one お問い合わせ番号 or matching code (RUN.ENVELOPE[.SHEET.SHEETS]) a line',
      ),
    ],
    run: async (v, p) => (await import('./mailing-command.ts')).mailingCommand(v, p),
  },
  {
    name: 'envelope-test',
    summary: "a window envelope's calibration sheet: fold lines, the window, the 宛名 block, a 100 mm scale",
    description:
      "Writes a one-page PDF of the envelope's sheet to print at 100 % on plain paper, fold on its fold lines and slide into a real envelope: the window where it falls with the insert in the middle and at the extremes of its play, the 宛名 block's area with a sample block and its カスタマバーコード, a 100 mm scale, and what to correct in the profile when the window does not match. Exit 0 written, 2 a wrong command line or an unknown envelope, 1 a profile that cannot be used.",
    usage: '--envelope ID --out FILE [--envelopes DIR]',
    options: () => [
      opt('--envelope <id>', 'the envelope profile (its file envelopes/ID.json)'),
      opt('--out <file>', 'the PDF to write; its folder must exist'),
      opt('--envelopes <dir>', 'the envelope profiles, one JSON file each (default: envelopes/)'),
    ],
    run: async (v) => (await import('./envelope-test-command.ts')).envelopeTestCommand(v),
  },
  {
    name: 'layouts',
    summary: 'the layouts with page size and sides',
    usage: '[--json]',
    options: () => [opt('--json', 'print them as JSON')],
    run: async (v) => (await import('./layouts-command.ts')).layoutsCommand(v),
  },
  {
    name: 'bench',
    summary: 'throughput: records/s, pages/s, memory',
    description: "Measures throughput: renders N records made from a layout's samples and prints records/s, pages/s and memory.",
    usage: '[options]',
    options: () => [
      opt('--layout <id>', 'the layout whose samples are renumbered into records').default('kokuho-card'),
      opt('--records <n>', 'how many records (default: 1000; 10000 with --scale-out)'),
      opt('--format <format>', 'what the engine run makes').choices(['pdf', 'png']).default('pdf'),
      opt('--tabs <n>', "Chromium tabs printing at once (default: the engine's)"),
      opt('--chunk <n>', "records printed per tab at a time (default: the engine's)"),
      opt('--reference', 'also print the same records the plain way with bare puppeteer, and the ratio'),
      opt('--profile', 'the time of each step and the CPU time of each kind of process'),
      opt('--json', 'print the figures as one JSON object'),
      opt('--cli', 'time the render command in a child process, from its start to files written'),
      opt('--http', 'load the service with single-card renders (1, 4, 16, 64 clients, or --clients N)'),
      opt('--clients <n>', 'with --http: clients at once'),
      opt('--seconds <n>', 'with --http: seconds per measurement (default: 10)'),
      opt('--with-job <n>', 'with --http: measure while a job of N records prints'),
      opt('--intake', "stream a job body into the service and measure its memory and /healthz's latency"),
      opt('--mb <n>', 'with --intake: MiB of NDJSON to send (default: 250)'),
      opt('--studio', "the studio's save-to-picture time: a layout's style sheet saved 10 times (median, p90, max)"),
      opt('--impose <sheet>', 'time trim pages against imposed sheets (a4, a3, sra3 or WxH)'),
      opt('--split <mode>', 'time trim pages against split files: record (a PDF per record) or N records a file'),
      opt('--diff', 'time `diff` of a run against the same run with one record inserted, one removed and one 氏名 changed'),
      opt('--scale-out', 'time one job embedded, on 1 worker × 2 tabs and on 2 workers × 1 tab (Redis of its own)'),
      opt('--repeat <n>', 'with --scale-out: runs of each variant, the best counts (default: 1)'),
      opt('--enqueue', "how long adding a job's flow blocks Redis: its longest command and the enqueue time (Redis of its own)"),
      opt('--chunks <list>', 'with --enqueue: job sizes in chunks of 100 records, separated by commas (default: 3000,30000)'),
      opt('--flow-step <n>', 'with --enqueue: chunks added in one MULTI (default: 1000; more than the job: one MULTI, as before)'),
    ],
    run: async (v) => (await import('./bench-command.ts')).benchCommand(v),
  },
  {
    name: 'layout',
    summary: 'a new layout made from a working one',
    description: 'Makes a new layout from a working one, with its samples and a golden case.',
    usage: 'new ID --from LAYOUT [options]',
    arguments: [
      ['<action>', 'new: make a layout'],
      ['<id>', 'the new layout id'],
    ],
    options: () => [
      opt('--from <layout>', 'the working layout to start from'),
      opt('--extend', 'make a variant that extends it (layout.json "extend") instead of a copy'),
      opt('--layouts <dir>', 'the layouts folder (default: layouts/)'),
      opt('--goldens <dir>', 'the goldens folder (default: golden/)'),
    ],
    run: async (v, p) => (await import('./studio-command.ts')).layoutCommand(v, p),
  },
  {
    name: 'studio',
    summary: 'the designer studio on 127.0.0.1',
    description: 'The designer studio on 127.0.0.1: a live, print-exact preview of the layouts while they are edited. Ctrl-C stops it.',
    usage: '[options]',
    options: () => [
      opt('--port <n>', 'the port on 127.0.0.1').default('5180', '5180'),
      opt('--layouts <dir>', 'the layouts folder to show and watch (default: layouts/)'),
      opt('--goldens <dir>', 'the goldens folder (default: golden/)'),
      opt('--insurers <dir>', "the insurer profiles (default: the samples' insurers/)"),
    ],
    run: async (v) => (await import('./studio-command.ts')).studioCommand(v),
  },
  {
    name: 'golden',
    summary: "check the layouts' golden images; --update writes them",
    description:
      "Checks every layout's golden cases, and the receipt lists' (golden/receipt-list/), pixel by pixel and writes a report. Exit 0 all match, 1 any differs.",
    usage: '[--update[=missing|changed|all]] [options]',
    options: () => [
      // `--update` alone is `changed` (Playwright's default): write what is missing or changed.
      opt('--update [mode]', 'write goldens: missing, changed (alone: changed) or all')
        .choices(['missing', 'changed', 'all'])
        .preset('changed'),
      opt('--layout <id>', 'check only this layout (receipt-list: only the receipt lists)'),
      opt('--report <dir>', 'where the report goes').default('golden-report'),
      opt('--layouts <dir>', 'the layouts folder (default: layouts/)'),
      opt('--goldens <dir>', 'the goldens folder (default: golden/)'),
    ],
    run: async (v) => (await import('./qa-commands.ts')).goldenCommand(v),
  },
  {
    name: 'diff',
    summary: 'compare two proofs and write a report',
    description:
      'Compares two proofs (PDF, PNG or a folder of PNG pages), record by record when both have manifests, else page by page, and writes a report. Exit 0 same, 1 different, 2 unusable input.',
    usage: 'REFERENCE CANDIDATE [options]',
    arguments: [
      ['<reference>', 'the approved proof: a PDF, a PNG or a folder of PNG pages'],
      ['<candidate>', 'the proof to check against it'],
    ],
    options: () => [
      opt('--report <dir>', 'where index.html, report.json and junit.xml go').default('diff-report'),
      repeated('--manifest <file>', 'the two manifests when not beside the proofs: --manifest REF_MANIFEST CAND_MANIFEST'),
      opt('--dpi <n>', 'the density pages are compared at').default('300', '300'),
      repeated('--mask <area>', 'an area to ignore, PAGE:X,Y,W,H in mm (PAGE * for every page); again for more'),
      opt('--jobs <n>', 'batches compared at once (default: one per core)'),
      opt('--quiet', 'no progress on stderr'),
    ],
    prepare: pairManifests,
    run: async (v, p) => (await import('./qa-commands.ts')).diffCommand(v, p),
  },
  {
    name: 'serve',
    summary: 'the print service (what `npm start` runs)',
    usage: '[--port N] [--host ADDRESS] [--api-only]',
    options: () => [
      opt('--port <n>', 'the port (default: PORT, else 8080)'),
      opt('--host <address>', 'the address to listen on'),
      opt('--api-only', 'a cluster API instance without Chromium: counter prints go to the workers (needs SHIKAKU_REDIS_URL)'),
    ],
    run: async (v) => (await import('./serve-command.ts')).serveCommand(v),
  },
  {
    name: 'worker',
    summary: "prints the chunks of a cluster's jobs (SHIKAKU_REDIS_URL)",
    description:
      'Prints the chunks of the jobs of a cluster: Redis at SHIKAKU_REDIS_URL, the data folder SHIKAKU_DATA_DIR shared with every serve and worker. Runs on any machine, as many as wanted. SIGTERM finishes its chunks within SHIKAKU_SHUTDOWN_GRACE_S and puts back the rest. Exit 2 without SHIKAKU_REDIS_URL.',
    usage: '[--tabs N]',
    options: () => [opt('--tabs <n>', 'chunks printed at once, one Chromium tab each (default 2: one per core)')],
    run: async (v) => (await import('./worker-command.ts')).workerCommand(v),
  },
];
