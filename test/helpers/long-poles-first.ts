// The order vitest starts test files in: within each group of vitest.config.ts, the files known to take
// longest first, so that the two workers end a group together instead of one waiting for the other's last
// long file. Vitest's own order uses the durations it cached from the last run, which a fresh machine (CI)
// does not have and a partial run (`vitest run -t ...`) rewrites; it then falls back to file size, which put
// service-resilience (a small file, 45 s) last.
import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The long files, longest first, as measured on the 2-core machine in a full run (2026-12-07, 851 s: about
 * 133 s for mail-jobs down to about 15 s; diff-run's 60 s set-up counts though vitest does not show it in the
 * file's time); every other file takes less and keeps vitest's order after them. Each group is ordered
 * alone (groupOrder first), so the list mixes the tiers.
 */
const LONGEST_FIRST = [
  'mail-jobs',
  'service-faults',
  'service-resilience',
  'scale-out',
  'scale-out-paths',
  'diff-run',
  'print-once',
  'golden',
  'production-output',
  'cli-render',
  'cli-process',
  'diff',
  'service-integrators',
  'mail-run',
  'registered-mail',
  'engine-supervision',
  'webhook-slow-receiver',
  'scale-out-webhooks',
  'scale-out-builds',
  'scale-out-intake',
  'scale-out-api-only',
  'orphans',
  'layout-variants',
  'min-text-size',
  'pdfvt',
  'safe-area',
];

const rank = (spec: TestSpecification): number => {
  const at = LONGEST_FIRST.indexOf(basename(spec.moduleId, '.test.ts'));
  return at < 0 ? LONGEST_FIRST.length : at;
};

/** Vitest's order (groups, then projects, then its cache), with the long files of each group first. */
export class LongPolesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const place = new Map(sorted.map((spec, i) => [spec, i]));
    const group = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    return [...sorted].sort((a, b) => group(a) - group(b) || rank(a) - rank(b) || (place.get(a) ?? 0) - (place.get(b) ?? 0));
  }
}
