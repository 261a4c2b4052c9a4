// The test environment of the `engine` tier: vitest's node environment, plus closing the worker's shared
// engine (shared-engine.ts) when vitest stops the worker. An environment is set up once per worker and torn
// down, awaited, when the worker stops: the one hook that outlives the files of a non-isolated worker. The
// browser would die with the worker anyway (its launcher asks the kernel for that), but a close also
// removes the engine's temp folders and ends its Chromium before the run reports.
import { builtinEnvironments, type Environment } from 'vitest/runtime';
import type { Engine } from '../../engine/index.ts';

/**
 * Where a worker keeps its shared engine: a key on globalThis, which both this environment and the test
 * files see (this module is loaded apart from theirs, so it must not load the engine itself).
 */
export const SHARED_ENGINE = Symbol.for('shikaku-print.test.shared-engine');

const engineEnvironment: Environment = {
  name: 'shared-engine',
  viteEnvironment: 'ssr',
  async setup(global: typeof globalThis, options) {
    const node = await builtinEnvironments.node.setup(global, options);
    return {
      async teardown(global: typeof globalThis) {
        const holder = global as { [SHARED_ENGINE]?: Promise<Engine> };
        const engine = holder[SHARED_ENGINE];
        delete holder[SHARED_ENGINE];
        await engine?.then((e) => e.close()).catch(() => undefined); // a start that failed has its own test failures
        await node.teardown(global);
      },
    };
  },
};

export default engineEnvironment;
