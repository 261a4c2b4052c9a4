// One engine for every file of the `engine` tier that a vitest worker runs: that tier runs with
// `isolate: false`, so the worker and this process's globals outlive each file, and an Engine (its
// Chromium, fonts and asset server) is started once per worker instead of once per file. The worker's
// environment (engine-environment.ts) closes it when vitest stops the worker.
//
// Only for the engine as the samples and the goldens use it: default tabs and chunk size, the sample
// insurer profiles. A test that needs other options (tabs, chunkSize, restartAfter, layoutsDir…), or that
// stops, kills or closes its browser, starts an Engine of its own and closes it.
import { Engine, SAMPLE_INSURERS_DIR } from '../../engine/index.ts';
import { SHARED_ENGINE } from './engine-environment.ts';

type Holder = { [SHARED_ENGINE]?: Promise<Engine> };

/**
 * The worker's engine, started on first use. Never close it in a test file: the next file of the worker
 * prints with it.
 */
export function sharedEngine(): Promise<Engine> {
  const holder = globalThis as Holder;
  holder[SHARED_ENGINE] ??= Engine.start({ insurersDir: SAMPLE_INSURERS_DIR }).catch((err: unknown) => {
    delete holder[SHARED_ENGINE]; // a failed start is not kept: the next file tries again
    throw err;
  });
  return holder[SHARED_ENGINE];
}
