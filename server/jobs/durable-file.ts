import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// Files of the data folder hold personal data: only the service's own user may read them.
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Creates a folder (and its parents) that only the service's user can enter. */
export function mkdirPrivate(path: string): void {
  mkdirSync(path, { recursive: true, mode: DIR_MODE });
}

/** Flushes a folder's entries to disk, so a rename or a new file in it survives a power cut. */
export function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const tempPathOf = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}

/** Flushes, closes and renames the temp file into place, then flushes the folder. */
function commit(fd: number, tmp: string, path: string): void {
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

function discard(fd: number, tmp: string): void {
  closeSync(fd);
  rmSync(tmp, { force: true });
}

/**
 * Writes a file so that after a crash or power cut it is either the old one or the new one, whole: the
 * data goes to a temporary file beside it, is flushed, renamed into place, and the folder is flushed.
 * On failure (a full disk) the temporary file is removed and the error thrown; the old file is untouched.
 */
export function writeDurable(path: string, data: string | Uint8Array): void {
  const tmp = tempPathOf(path);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    writeAll(fd, data);
  } catch (err) {
    discard(fd, tmp);
    throw err;
  }
  commit(fd, tmp, path);
}

/** `writeDurable` for a file made piece by piece (a result PDF, a manifest): `produce` appends through `write`. */
export async function writeDurableBy(path: string, produce: (write: (data: string | Uint8Array) => void) => Promise<void> | void): Promise<void> {
  const tmp = tempPathOf(path);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    await produce((data) => writeAll(fd, data));
  } catch (err) {
    discard(fd, tmp);
    throw err;
  }
  commit(fd, tmp, path);
}

/** Whether a file name is one of writeDurable's temporary files (left by a crash mid-write). */
export function isTempFile(name: string): boolean {
  return name.endsWith('.tmp');
}
