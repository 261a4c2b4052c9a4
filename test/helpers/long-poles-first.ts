// The order vitest starts test files in: within each group of vitest.config.ts, the files known to take
// longest first, so that the two workers end a group together instead of one waiting for the other's last
// long file. Vitest's own order uses the durations it cached from the last run, which a fresh machine (CI)
// does not have and a partial run (`vitest run -t ...`) rewrites; it then falls back to file size, which put
// service-resilience (a small file, 45 s) last.
import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The long files, longest first, as measured on the 2-core machine in a full run (about 230 s for diff-run down
 * to about 20 s for orphans); every other file takes less and keeps vitest's order after them.
 */
const LONGEST_FIRST = [
  'diff-run',
  'service-faults',
  'golden',
  'scale-out',
  'service-resilience',
  'production-output',
  'diff',
  'cli-render',
  'service-integrators',
  'mail-jobs',
  'cli-process',
  'mail-run',
  'registered-mail',
  'engine-supervision',
  'safe-area',
  'orphans',
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
