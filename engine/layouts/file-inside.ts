import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The file `reference` names (relative to `folder`, or absolute), when it lies inside `folder` or one of
 * its subfolders, both as written and once every symbolic link on its way is followed; undefined when it
 * does not. An insurer profile's seal and a layout's images and files go through it, so that a profile or
 * layout cannot make the engine (and the studio's preview of it) read a file elsewhere on the disk.
 *
 * Whether the file exists plays no part in the answer: a refusal says nothing of what is outside the
 * folder. A link inside the folder that leads nowhere is refused too (where it would lead is unknown).
 */
export function fileInside(folder: string, reference: string): string | undefined {
  const root = resolve(folder);
  const file = resolve(root, reference);
  if (!within(root, file)) return undefined;
  const realRoot = realPath(root);
  const realFile = realPath(file);
  return realRoot !== undefined && realFile !== undefined && within(realRoot, realFile) ? file : undefined;
}

/** Whether `file` is below `root` (not `root` itself). */
function within(root: string, file: string): boolean {
  const path = relative(root, file);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/**
 * Where `path` really is: the kernel's answer when it exists; else its deepest existing folder's real
 * place with the rest as written, or undefined when the first missing step is a link that leads nowhere.
 */
function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    // not there: below, find the deepest folder on its way that is
  }
  const rest: string[] = [];
  for (let dir = path; dir !== dirname(dir); dir = dirname(dir)) {
    rest.unshift(basename(dir));
    let real: string;
    try {
      real = realpathSync(dirname(dir));
    } catch {
      continue;
    }
    if (isDanglingLink(join(real, rest[0] ?? ''))) return undefined;
    return join(real, ...rest);
  }
  return undefined;
}

/** Whether something is at `path` that realpath could not follow: a link to nothing (or a loop). */
function isDanglingLink(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
