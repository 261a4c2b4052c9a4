import pLimit from 'p-limit';

/**
 * Runs `fn` over `items` with at most `limit` at a time (p-limit): the one way the engine, the job runner
 * and the proof diff bound their concurrency. The first failure stops new work; the work already running
 * is waited for, then that failure is thrown.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const run = pLimit(Math.max(1, limit));
  let failure: { error: unknown } | undefined;
  await Promise.all(
    items.map((item, i) =>
      run(async () => {
        if (failure) return;
        try {
          await fn(item, i);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure) throw failure.error;
}
