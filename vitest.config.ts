import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests each start a Chromium; two at a time suits a 2-core machine.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/studio.test.ts'] } },
      // The studio's re-render is timed against its 2 s promise: it runs after the rest, with the
      // machine to itself, so that another file's Chromium or rasterizers cannot make it late.
      { extends: true, test: { name: 'studio', include: ['test/studio.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
