import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Files of the data folder hold personal data: only the service's own user may read them.
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Creates a folder (and its parents) that only the service's user can enter. */
export function mkdirPrivate(path: string): void {
  mkdirSync(path, { recursive: true, mode: DIR_MODE });
}

/** Flushes a folder's entries to disk, so a rename or a new file in it survives a power cut. */
export async function fsyncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

let writes = 0;
/** Which process writes: unique among machines sharing a folder (two containers may both be pid 1). */
const writer = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
/** A temp name of its own for every write, so writes of one file never share a temp file, from any machine. */
const tempPathOf = (path: string) => join(dirname(path), `.${basename(path)}.${writer}-${++writes}.tmp`);

/**
 * Writes a file so that after a crash or power cut it is either the old one or the new one, whole: the
 * data goes to a temporary file beside it, is flushed, renamed into place, and the folder is flushed.
 * The flushes, the slow part, are asynchronous, so a slow disk never holds the event loop. On failure (a
 * full disk) the temporary file is removed and the error thrown; the old file is untouched.
 */
export async function writeDurable(path: string, data: string | Uint8Array): Promise<void> {
  await writeDurableBy(path, (write) => write(data));
}

/**
 * `writeDurable` for a file made piece by piece (a result PDF, a manifest): `produce` hands pieces to
 * `write`. Pieces go to the page cache at once (no backlog builds up in memory); the flush to disk, the
 * slow part, is asynchronous.
 */
export async function writeDurableBy(
  path: string,
  produce: (write: (data: string | Uint8Array) => void) => Promise<void> | void,
): Promise<void> {
  await writeDurableWith(path, async (tmp) => {
    const handle = await open(tmp, 'w', FILE_MODE); // opening can wait on the journal: not on the event loop
    try {
      await produce((data) => {
        const bytes = typeof data === 'string' ? Buffer.from(data) : data;
        for (let off = 0; off < bytes.length;) off += writeSync(handle.fd, bytes, off);
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/**
 * How every durable write ends: `make` writes the temporary path it is given; the file is then made
 * private, flushed, renamed into place and the folder flushed.
 */
async function writeDurableWith(path: string, make: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPathOf(path);
  try {
    await make(tmp);
    const file: FileHandle = await open(tmp, 'r+');
    try {
      await file.chmod(FILE_MODE);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Whether a file name is one of writeDurable's temporary files (left by a crash mid-write). */
function isTempFile(name: string): boolean {
  return name.endsWith('.tmp');
}

/** Removes the temporary files a crash mid-write left in folder `dir` (none when it is not there); answers how many. */
export function removeTempFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  const temps = readdirSync(dir).filter(isTempFile);
  for (const name of temps) rmSync(join(dir, name), { force: true });
  return temps.length;
}
