import { join } from 'node:path';

/*
 * Where a job's files are inside its folder (`<data>/jobs/<id>/`, or `<data>/incoming/<id>/` while it is
 * taken in): the names the intake, the store, the sheet-order rewrite and the first-version migration share.
 */

/** A job's id: 12 random bytes in hex (JobStore.beginIntake); anything else names no job. */
export const JOB_ID = /^[0-9a-f]{24}$/;

/** Chunk `n`'s name in input/ and chunks/: six digits, so the names sort in chunk order. */
export const chunkName = (n: number): string => String(n).padStart(6, '0');

/** Where the problems of the records rejected at intake are kept in a job's folder `dir`, one JSON line each. */
export function intakeRejectionsPath(dir: string): string {
  return join(dir, 'rejections.ndjson');
}

/** Where chunk `n`'s valid records are kept in a job's folder `dir` (the intake writes them, printing reads them). */
export function chunkInputPath(dir: string, n: number): string {
  return join(dir, 'input', `${chunkName(n)}.json`);
}

/** A body received whole before it is checked (a large job answered 202 on receipt), in its intake folder `dir`. */
export function receivedBodyPath(dir: string): string {
  return join(dir, 'body');
}

/** The lease an intake renews in its folder `dir` while it runs (a cluster's sweep drops a folder whose lease stopped). */
export function intakeLeasePath(dir: string): string {
  return join(dir, 'lease');
}
