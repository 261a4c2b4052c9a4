import type { FlowJob, FlowProducer, FlowRootLeafJob, ParentOptions, Queue } from 'bullmq';
import { ASSEMBLE, CHUNKS, GATES, childId, chunksKey, gateId, jobKey, parentId, priorityOf, type Client } from './connection.ts';

/*
 * A job's BullMQ flow: an assembly task `job-<id>` whose children are the chunk tasks `job-<id>-<nnnnnn>`.
 * BullMQ adds a flow in one MULTI, and Redis runs nothing else meanwhile: 30,000 children (a 3,000,000-record
 * job) held every other client (API instances, workers' heartbeats and lease renewals) for 2.1–3.0 s of EXEC
 * here, and another client's PING waited up to 4.4–10 s (`bench --enqueue`, README). A flow of up to
 * FLOW_STEP children still goes in one MULTI; a bigger one is added in steps:
 *
 * 1. the parent with one child, its gate, in a queue no worker takes (one small MULTI): the assembly cannot
 *    run while the gate is there, however many chunks are done;
 * 2. the chunks, FLOW_STEP at a time, each step one MULTI (a flow of children that name the parent);
 * 3. the gate removed: the assembly runs when the last chunk is done (at once if all are).
 *
 * A flow stopped part-way (its instance died, Redis failed) is a parent with its gate and some chunks: its
 * chunks print, its assembly waits. Adding it again (the upkeep's lost-flow check) goes on from there: a
 * chunk already counted (chunksKey) is not added again, one still in Redis is added once (same task id).
 */

/** Children added in one MULTI; a flow of more is added in steps of this many (measured: README, `bench --enqueue`). */
export const FLOW_STEP = 1000;

/** What adding a job's flow needs: the API instance's clients. */
export interface JobFlowOptions {
  redis: Client;
  flows: FlowProducer;
  assemble: Queue;
  gates: Queue;
  /** How long a finished task's trace is kept (the job's retention). */
  keepS: number;
  /** Children added in one MULTI (FLOW_STEP; tests choose fewer). */
  step?: number;
}

/** How many tries a chunk has before its job fails (a Chromium crash is already retried inside one try). */
const CHUNK_ATTEMPTS = 2;

/** The chunk task `n` of a job, as a flow's child, or as a node of its own that names its `parent`. */
function chunkNode(id: string, n: number, o: { priority: number; keepS: number; parent?: ParentOptions }): FlowRootLeafJob {
  return {
    name: 'chunk',
    queueName: CHUNKS,
    data: { job: id, n },
    opts: {
      jobId: childId(id, n),
      priority: o.priority,
      attempts: CHUNK_ATTEMPTS,
      backoff: { type: 'fixed', delay: 5000 },
      continueParentOnFailure: true,
      removeOnComplete: true,
      removeOnFail: { age: o.keepS },
      stackTraceLimit: 0,
      ...(o.parent ? { parent: o.parent } : {}),
    },
  };
}

/**
 * Adds the flow of a job of `chunks` chunks, or what is missing of one stopped part-way. Answers `whole`,
 * or `stopped` when the job was taken apart meanwhile (deleted, or failed by a chunk that could not print:
 * either removes the gate with the unprocessed children), and then adds no more.
 */
export async function addJobFlow(f: JobFlowOptions, job: { id: string; chunks: number }): Promise<'whole' | 'stopped'> {
  const step = f.step ?? FLOW_STEP;
  const priority = priorityOf(job.chunks);
  const parent: FlowJob = {
    name: 'assemble',
    queueName: ASSEMBLE,
    data: { job: job.id },
    opts: { jobId: parentId(job.id), priority, removeOnComplete: { age: f.keepS }, removeOnFail: { age: f.keepS } },
  };
  if (job.chunks <= step) {
    const children = Array.from({ length: job.chunks }, (_, n) => chunkNode(job.id, n, { priority, keepS: f.keepS }));
    await f.flows.add({ ...parent, children });
    return 'whole';
  }
  const gate = gateId(job.id);
  const again = (await f.assemble.getJob(parentId(job.id))) !== undefined;
  if (!again)
    await f.flows.add({ ...parent, children: [{ name: 'gate', queueName: GATES, data: { job: job.id }, opts: { jobId: gate } }] });
  const under = { priority, keepS: f.keepS, parent: { id: parentId(job.id), queue: f.assemble.qualifiedName } };
  for (let from = 0; from < job.chunks; from += step) {
    if (!(await gateStands(f, job.id))) return 'stopped';
    let ns = Array.from({ length: Math.min(step, job.chunks - from) }, (_, i) => from + i);
    if (again) {
      const counted = await f.redis.hmget(chunksKey(job.id), ...ns.map(String));
      ns = ns.filter((_, i) => counted[i] === null);
    }
    // A flow of children naming their parent: one MULTI, whole or not at all.
    if (ns.length) await f.flows.addBulk(ns.map((n) => chunkNode(job.id, n, under)));
  }
  if (!(await gateStands(f, job.id))) return 'stopped';
  await f.gates.remove(gate);
  // A parent whose chunks were all done already leaves with the gate's removal, which BullMQ puts in the plain
  // wait list, ahead of every prioritized task: back among them, where its size puts it.
  const assembly = await f.assemble.getJob(parentId(job.id));
  if (assembly && (await assembly.getState()) === 'waiting') await assembly.changePriority({ priority });
  return 'whole';
}

/** Whether the job's gate is still there and the job not deleted: its flow may take more chunks. */
async function gateStands(f: JobFlowOptions, id: string): Promise<boolean> {
  const [gate, cancelled] = await Promise.all([f.gates.getJob(gateId(id)), f.redis.hget(jobKey(id), 'cancelled')]);
  return gate !== undefined && cancelled !== '1';
}

/** Whether a job's flow is in Redis whole: its assembly task there, and no gate (a flow stopped part-way has one). */
export async function flowWhole(f: Pick<JobFlowOptions, 'assemble' | 'gates'>, id: string): Promise<boolean> {
  const [parent, gate] = await Promise.all([f.assemble.getJob(parentId(id)), f.gates.getJob(gateId(id))]);
  return parent !== undefined && gate === undefined;
}

/**
 * Removes the flows stopped part-way whose job is gone: an enqueue that failed between two steps before its
 * job was answered (a 503: the job is deleted) leaves its parent and gate, which would wait forever (and
 * count in `shikaku_jobs_waiting`). A gate older than `olderThanMs` (no enqueue takes that long) whose job
 * has no folder goes with its flow's unprocessed chunks; the parent with them, or, if a worker holds one of
 * its chunks, by its assembly, which skips a job without a folder. Answers how many it removed.
 */
export async function dropOrphanFlows(
  f: Pick<JobFlowOptions, 'assemble' | 'gates'>,
  o: { hasJob: (id: string) => boolean; olderThanMs: number },
): Promise<number> {
  let dropped = 0;
  for (const gate of await f.gates.getWaiting(0, 999)) {
    const id = (gate.data as { job: string }).job;
    if (Date.now() - gate.timestamp < o.olderThanMs || o.hasJob(id)) continue;
    const parent = await f.assemble.getJob(parentId(id));
    if (parent) {
      await parent.removeUnprocessedChildren();
      await parent.remove({ removeChildren: true }).catch(() => undefined);
    }
    await f.gates.remove(gateId(id));
    dropped++;
  }
  return dropped;
}
