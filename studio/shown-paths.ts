import { homedir } from 'node:os';
import { basename, relative, resolve, sep } from 'node:path';

/** The folders the studio works in, as their answers name them. */
export interface StudioFolders {
  /** The layouts folder: its files are named relative to it (`kokuho-card/front.hbs`), as the problems are. */
  layouts: string;
  /** The golden cases: `golden/…` (the folder's own name). */
  goldens: string;
  /** The insurer profiles, '' when there are none: `insurers/320036.json` (the folder's own name). */
  insurers: string;
}

/**
 * Paths as the studio's answers show them: never absolute. The studio answers any page that reaches it,
 * and where the designer's files are on the disk (their user name, their folders) is nobody's business;
 * the designer knows their own folders by name. A file of a known folder keeps its place in it; any other
 * absolute path left in a message is cut to `…/` and its last name.
 */
export class ShownPaths {
  private readonly roots: { root: string; label: string }[];

  constructor(folders: StudioFolders) {
    const roots = [
      { root: resolve(folders.layouts), label: '' },
      { root: resolve(folders.goldens), label: basename(folders.goldens) },
      ...(folders.insurers ? [{ root: resolve(folders.insurers), label: basename(folders.insurers) }] : []),
    ];
    // the deepest first, in case one is inside another
    this.roots = roots.sort((a, b) => b.root.length - a.root.length);
  }

  /** A file of one of the studio's folders, as people read it (`insurers/320036.json`). */
  file(path: string): string {
    const abs = resolve(path);
    for (const { root, label } of this.roots) {
      const rel = relative(root, abs);
      if (rel && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep)) return label ? `${label}/${rel}` : rel;
    }
    return `…/${basename(abs)}`;
  }

  /** A message with every absolute path in it shown as `file` shows it. */
  text(message: string): string {
    // The studio's own folders and the home folder first, as plain text wherever they stand (a name with a
    // space in it too), then any other absolute path: a `/` that no name character, dot, tilde or slash
    // comes before (so not a relative path's, nor a URL's `//`), `file://` taken with it, to the next space,
    // quote, bracket, comma or semicolon.
    let text = message;
    for (const { root, label } of this.roots)
      text = text
        .split(`file://${root}/`)
        .join(`${root}/`)
        .split(`${root}/`)
        .join(label ? `${label}/` : '');
    const home = homedir();
    if (home.length > 1) text = text.split(`${home}/`).join('~/');
    return text.replace(/(^|[^\w./~-])(?:file:\/\/)?(\/(?!\/)[^\s"'`(),;<>|\]]+)/g, (_, before: string, path: string) => {
      const trailing = /[.:]+$/.exec(path)?.[0] ?? '';
      return `${before}${this.file(path.slice(0, path.length - trailing.length))}${trailing}`;
    });
  }

  /** Every string in an answer's body, shown as `text` shows it. */
  deep(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.deep(v));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deep(v)]));
    return value;
  }
}
