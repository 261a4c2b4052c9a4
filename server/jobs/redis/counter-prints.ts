import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job as Task } from 'bullmq';
import type { Logger } from 'pino';
import { PrintError, type Engine } from '../../../engine/index.ts';
import {
  errorData,
  errorOf,
  printAtCounter,
  type CounterRequest,
  type CounterResult,
  type PrintErrorData,
  type RemoteCounter,
} from '../../counter-print.ts';
import { PREFIX, connect } from './connection.ts';

/*
 * Counter prints of an `serve --api-only` instance, printed by the cluster's workers. The request (a few
 * records: personal data) rides in a BullMQ task of the queue `counter`, removed as soon as it completes or
 * fails, or by the API when it stops waiting. The answer comes back through Redis, not the data folder: a
 * counter print is small (a card is tens of KB; the route's record limit bounds it), a person is waiting
 * for it, and a file on a shared (network) folder costs two fsyncs and a directory listing on NFS where a
 * Redis list costs one round trip. The worker pushes it to a list of the request's own (`BLPOP`ed by the
 * API instance that asked, and so deleted as it is read) that expires a few seconds past the deadline, so
 * nothing of a print outlives the wait for it: a task's data, BullMQ's event stream (its return value is
 * empty; a render's failure is in the answer, never a task failure) and the answer alike.
 */

/** The queue of counter prints; any worker takes any. */
export const COUNTER = 'counter';

/** The answer list of one counter print. */
const answerKey = (id: string) => `${PREFIX}:x:counter:${id}`;

/** What a counter task carries. */
interface CounterTask {
  id: string;
  request: CounterRequest;
  /** When the API stops waiting (ms since 1970): past it the print is not started, or is stopped. */
  deadline: number;
}

/** The head of an answer: the file's type and pages, or the error of the render. */
type AnswerHead = { ok: true; type: CounterResult['type']; pageCount: number } | { ok: false; error: PrintErrorData };

/** How long an answer outlives its deadline in Redis (a worker's clock a little ahead of the API's). */
const ANSWER_TTL_PAST_DEADLINE_MS = 5_000;

/** The API side: tasks into the queue `counter`, each answer waited for on a connection of its own. */
export function remoteCounter(o: { url: string; log: Logger; timeoutMs: number }): RemoteCounter {
  const redis = connect(o.url, 'api', o.log);
  // A short event stream: BullMQ's trace of counter tasks holds ids and states, and need not hold many.
  const queue = new Queue<CounterTask>(COUNTER, { connection: redis, prefix: PREFIX, streams: { events: { maxLen: 100 } } });
  queue.on('error', (err: Error) => o.log.warn({ err: err.message }, 'redis counter queue'));
  const unavailable = () => new PrintError('UNAVAILABLE', 'the cluster (Redis) is not reachable; retry shortly');

  // Prints under way: a stop waits for each to take its records out of Redis (its caller has its answer already).
  const underWay = new Set<Promise<unknown>>();

  const print = async (request: CounterRequest, signal: AbortSignal): Promise<CounterResult> => {
    const id = randomUUID();
    const deadline = Date.now() + o.timeoutMs;
    let task: Task<CounterTask> | undefined;
    // BLPOP blocks its connection: each wait has its own, closed to stop waiting when the caller gives up.
    const waiter = redis.duplicate();
    waiter.on('error', () => undefined); // said by the main connection
    const stop = () => waiter.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    try {
      try {
        task = await queue.add('print', { id, request, deadline }, { jobId: `counter-${id}`, removeOnComplete: true, removeOnFail: true });
      } catch {
        throw unavailable();
      }
      const left = (deadline - Date.now()) / 1000;
      const popped = signal.aborted || left <= 0 ? null : await waiter.blpopBuffer(answerKey(id), left).catch(() => null);
      if (!popped) {
        if (signal.aborted) throw new PrintError('CANCELLED', 'the caller gave up');
        throw new PrintError('TIMED_OUT', `no worker printed it within ${o.timeoutMs} ms`, { facts: { limitMs: o.timeoutMs } });
      }
      const answer = popped[1];
      const cut = answer.indexOf(0x0a);
      const head = JSON.parse(answer.subarray(0, cut).toString('utf8')) as AnswerHead;
      if (!head.ok) throw errorOf(head.error);
      return { type: head.type, pageCount: head.pageCount, body: answer.subarray(cut + 1) };
    } finally {
      signal.removeEventListener('abort', stop);
      waiter.disconnect();
      // Not taken yet (no worker, or all busy past the deadline): its records leave Redis now. A task in a
      // worker's hands cannot be removed; it is removed when it completes, and its late answer expires.
      if (task) await task.remove().catch(() => undefined);
      await redis.del(answerKey(id)).catch(() => undefined);
    }
  };

  return {
    print(request, signal) {
      const printing = print(request, signal);
      const settled: Promise<boolean> = printing.then(
        () => underWay.delete(settled),
        () => underWay.delete(settled),
      );
      underWay.add(settled);
      return printing;
    },
    async close() {
      await Promise.all(underWay);
      await queue.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** A worker's side: prints the queue's counter tasks in its engine's counter lane. */
export function startCounterWorker(o: { url: string; engine: Engine; log: Logger; pressIcc?: string | undefined; concurrency: number }) {
  const redis = connect(o.url, 'worker', o.log);
  const worker = new Worker<CounterTask>(
    COUNTER,
    async (task: Task<CounterTask>) => {
      const { id, request, deadline } = task.data;
      if (Date.now() >= deadline) return null; // its caller has stopped waiting
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), deadline - Date.now());
      let head: AnswerHead;
      let body: Buffer = Buffer.alloc(0);
      const started = Date.now();
      try {
        const result = await printAtCounter(o.engine, request, { signal: abort.signal, pressIcc: o.pressIcc });
        head = { ok: true, type: result.type, pageCount: result.pageCount };
        body = result.body;
      } catch (err) {
        head = { ok: false, error: errorData(err) };
      } finally {
        clearTimeout(timer);
      }
      if (abort.signal.aborted) return null; // nobody waits for it any more
      const answer = Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`, 'utf8'), body]);
      const ttl = Math.max(1000, deadline - Date.now() + ANSWER_TTL_PAST_DEADLINE_MS);
      await redis.multi().rpush(answerKey(id), answer).pexpire(answerKey(id), ttl).exec();
      // Codes and sizes only: a render's message may name a record's field, never logged here.
      o.log.info({ counter: id, ms: Date.now() - started, ok: head.ok, bytes: body.length }, 'counter print');
      return null;
    },
    // A counter print is short: a worker that dies holding one loses it to another within a few seconds,
    // and its deadline then decides whether it is still worth printing.
    { connection: redis, prefix: PREFIX, concurrency: o.concurrency, lockDuration: 10_000, stalledInterval: 5_000, autorun: true },
  );
  worker.on('error', (err: Error) => o.log.warn({ err: err.message }, 'redis counter worker'));
  return {
    /** Stops taking counter prints; those in hand finish within `graceMs`. */
    async close(graceMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<'cut'>((r) => (timer = setTimeout(() => r('cut'), graceMs)));
      // Past the grace, the prints in hand are dropped: their callers meet their time limit (503).
      if ((await Promise.race([worker.close(), cut])) === 'cut') await worker.close(true);
      clearTimeout(timer);
      redis.disconnect();
    },
  };
}
