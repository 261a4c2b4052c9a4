import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { LongPolesFirst } from './test/helpers/long-poles-first.ts';

// The test tiers (README, Tests). A file's tier is what it starts:
// - unit: nothing. Pure functions and in-process code; test/helpers/no-processes.ts makes starting any
//   process (Chromium, poppler, the CLI) fail the test.
// - engine: an Engine and its Chromium in the test process (and the poppler tools that read its output).
//   The worker keeps one engine for all its files (test/helpers/shared-engine.ts); files that need other
//   engine options start their own.
// - process: services, the CLI binary, Redis, child processes of their own; also any file not listed below.
// - studio and scale-out: each after the others, alone (below).
// `npm run test:fast` (--mode fast) runs unit and the PIPELINE files of engine; `npm test` every tier.

const UNIT = [
  'address-codes',
  'address-number',
  'architecture',
  'chunk-commit',
  'cli',
  'compare',
  'customer-barcode',
  'diff-units',
  'envelope-plan',
  'envelope-test',
  'fields-docs',
  'file-references',
  'glyphs',
  'insurer-number',
  'inquiry-number',
  'intake-leases',
  'number-store',
  'own-glyphs',
  'insurers',
  'job-lifecycle',
  'layout-problems',
  'layout-glyphs',
  'layout-text',
  'mailing-returns',
  'mailing-summary',
  'mailing-verify',
  'matching-code',
  'problem',
  'read',
  'receipt-list',
  'render-queue',
  'setup-checks',
  'shown-paths',
  'validate',
  'wareki',
  'webhook-delivery',
];

/**
 * The engine files of test:fast: every layout's samples through the whole pipeline, records to PDF and PNG,
 * read back (pages, boxes, fonts, text, rules, QR codes, seals and PNG pixels).
 */
const PIPELINE = ['layouts', 'render-kokuho-card', 'notices', 'insurers-printed', 'rules', 'png-modes'];

const ENGINE = [
  ...PIPELINE,
  'address-block',
  'print-once',
  'cli-render',
  'counter-batch',
  'counter-lane',
  'deadlines',
  'diff',
  'diff-places',
  'diff-run',
  'engine-supervision',
  'fitting',
  'golden',
  'line-breaking',
  'mail-run',
  'min-text-size',
  'pdfvt',
  'registered-mail',
  'safe-area',
  'shared-pages',
  'subset-tags',
  'text-layer',
];

const STUDIO = ['studio*'];
const SCALE_OUT = ['scale-out*'];

const files = (names: string[]) => names.map((n) => `test/${n}.test.ts`);

export default defineConfig(({ mode }) => {
  const fast = mode === 'fast';
  const projects: TestProjectInlineConfiguration[] = [
    {
      extends: true,
      test: {
        name: 'unit',
        include: files(UNIT),
        setupFiles: ['test/helpers/no-processes.ts'],
        // Nothing of a unit test outlives it: its files share a worker's loaded modules instead of loading them again.
        isolate: false,
        sequence: { groupOrder: 0 },
      },
    },
    {
      extends: true,
      test: {
        name: 'engine',
        include: files(fast ? PIPELINE : ENGINE),
        // Files share their worker, and with it the worker's engine; the environment closes it at the end.
        isolate: false,
        environment: './test/helpers/engine-environment.ts',
        sequence: { groupOrder: 1 },
      },
    },
  ];
  if (!fast) {
    projects.push(
      {
        extends: true,
        test: {
          name: 'process',
          include: ['test/**/*.test.ts'],
          exclude: files([...UNIT, ...ENGINE, ...STUDIO, ...SCALE_OUT]),
          sequence: { groupOrder: 2 },
        },
      },
      // The studio's live tests wait for its re-render after a save: they run after the rest, with the machine
      // to themselves, so that another file's Chromium or rasterizers cannot make them late.
      { extends: true, test: { name: 'studio', include: files(STUDIO), sequence: { groupOrder: 3 } } },
      // A cluster (Redis, an API, workers with a Chromium each) last and alone: the suite's Chromiums beside
      // it would starve the workers and stretch their leases' takeovers, and its tests wait on those times.
      { extends: true, test: { name: 'scale-out', include: files(SCALE_OUT), sequence: { groupOrder: 4 } } },
    );
  }
  return {
    test: {
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Engine and process files each start a Chromium or more; two at a time suits a 2-core machine.
      maxWorkers: 2,
      // Each group's long files first, whatever vitest cached (test/helpers/long-poles-first.ts).
      sequence: { sequencer: LongPolesFirst },
      projects,
    },
  };
});
