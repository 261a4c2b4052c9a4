// The files and folders an operator names, checked before any work starts: a wrong path is a usage error
// (exit 2) that names the option and says what is wrong with it, not a stack trace half-way through a run.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './report.ts';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws unless `path`, given as `option`, is a file that can be read. */
export function existingFile(option: string, path: string): void {
  const stat = statOf(path);
  if (!stat) throw new UsageError(`${option} ${path} does not exist`);
  if (stat.isDirectory()) throw new UsageError(`${option} ${path} is a folder; give a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`${option} ${path} cannot be read (permission denied)`);
  }
}

/** Throws unless `path`, given as `option`, is a folder. */
export function existingFolder(option: string, path: string): void {
  const stat = statOf(path);
  if (!stat) throw new UsageError(`${option} ${path} does not exist`);
  if (!stat.isDirectory()) throw new UsageError(`${option} ${path} is a file; give a folder`);
}

/**
 * Throws unless an output can be made at `path`, given as `option`: its folder exists and may be written,
 * and the path itself is not a folder where a file is wanted (or a file where a folder is wanted).
 */
export function writableOutput(option: string, path: string, kind: 'file' | 'folder'): void {
  const parent = dirname(resolve(path));
  const parentStat = statOf(parent);
  if (!parentStat) throw new UsageError(`${option} ${path}: the folder ${parent} does not exist`);
  if (!parentStat.isDirectory()) throw new UsageError(`${option} ${path}: ${parent} is a file, not a folder`);
  if (!writable(parent)) throw new UsageError(`${option} ${path}: the folder ${parent} cannot be written (permission denied)`);
  const stat = statOf(path);
  if (kind === 'file' && stat?.isDirectory()) throw new UsageError(`${option} ${path} is a folder; give the path of the file to write`);
  if (kind === 'folder' && stat && !stat.isDirectory()) throw new UsageError(`${option} ${path} is a file; give a folder`);
}
