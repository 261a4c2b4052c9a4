import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests each start a Chromium; two at a time suits a 2-core machine.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/studio.test.ts', 'test/scale-out*.test.ts'] },
      },
      // The studio's re-render is timed against its 2 s promise: it runs after the rest, with the
      // machine to itself, so that another file's Chromium or rasterizers cannot make it late.
      { extends: true, test: { name: 'studio', include: ['test/studio.test.ts'], sequence: { groupOrder: 1 } } },
      // A cluster (Redis, an API, workers with a Chromium each) last and alone: the suite's Chromiums beside
      // it would starve the workers and stretch their leases' takeovers, and its tests wait on those times.
      { extends: true, test: { name: 'scale-out', include: ['test/scale-out*.test.ts'], sequence: { groupOrder: 2 } } },
    ],
  },
});
