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

/**
 * Writes a file so that after a crash or power cut it is either the old one or the new one, whole: the
 * data goes to a temporary file beside it, is flushed, renamed into place, and the folder is flushed.
 * On failure (a full disk) the temporary file is removed and the error thrown; the old file is untouched.
 */
export function writeDurable(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w', FILE_MODE);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(path));
}

/** Whether a file name is one of writeDurable's temporary files (left by a crash mid-write). */
export function isTempFile(name: string): boolean {
  return name.endsWith('.tmp');
}
