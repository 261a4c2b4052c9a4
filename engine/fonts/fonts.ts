import { createHash } from 'node:crypto';
import { readFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrintError } from '../errors.ts';
import { makeOwnedTempDir } from '../orphans.ts';

/** The pinned font list, `fonts/fonts.json` at the repository root. */
export const FONTS_FILE = resolve(fileURLToPath(import.meta.url), '../../../fonts/fonts.json');

/** One pinned font file. `id` is the CSS family name layouts use. */
export interface PinnedFont {
  id: string;
  name: string;
  path: string;
  debianPackage: string;
  debianVersion: string;
  sha256: string;
  weight: number;
  licence: string;
}

/**
 * A pinned font whose file was read and matched its checksum. Its bytes are not kept (62 MB for the four
 * faces): the asset server reads the file when a tab loads a layout, and checks it again (asset-server.ts).
 */
export interface VerifiedFont extends PinnedFont {
  /** Where the asset server serves it, e.g. `/fonts/2.ttf`. */
  urlPath: string;
}

/** Reads fonts.json. */
export function readPinnedFonts(file: string = FONTS_FILE): PinnedFont[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { fonts: PinnedFont[] }).fonts;
}

/**
 * Reads every pinned font and checks its SHA-256. A missing or different file is a SETUP error that says
 * which Debian package to install: printing with another face than the approved one is never silent.
 */
export function verifyFonts(fonts: readonly PinnedFont[] = readPinnedFonts()): VerifiedFont[] {
  return fonts.map((font, i) => {
    if (!existsSync(font.path)) {
      throw new PrintError('SETUP', `pinned font ${font.name} is missing at ${font.path}: run \`npm run setup\` (apt-get install ${font.debianPackage})`);
    }
    readVerifiedFont(font);
    return { ...font, urlPath: `/fonts/${i}.ttf` };
  });
}

/** The bytes of a pinned font, read now and checked against its SHA-256 (a SETUP error when they differ). */
export function readVerifiedFont(font: PinnedFont): Buffer {
  const bytes = readFileSync(font.path);
  const sum = createHash('sha256').update(bytes).digest('hex');
  if (sum !== font.sha256) {
    throw new PrintError(
      'SETUP',
      `pinned font ${font.name} at ${font.path} has SHA-256 ${sum}, expected ${font.sha256} (${font.debianPackage} ${font.debianVersion}); refusing to print with a different font`,
    );
  }
  return bytes;
}

/** The @font-face rules that bind each layout family name to its pinned file. */
export function fontFaceCss(fonts: readonly VerifiedFont[]): string {
  return fonts
    .map((f) => `@font-face{font-family:"${f.id}";src:url("${f.urlPath}") format("truetype");font-weight:${f.weight};font-style:normal;font-display:block}`)
    .join('\n');
}

/**
 * A fontconfig set-up that knows only the pinned files. Chromium is started with FONTCONFIG_FILE set to it,
 * so its per-character fallback can reach no face but ours (a fontconfig with no fonts at all makes
 * Chromium fail to load web fonts). Returns the path of the fonts.conf. Its folder is named for this process,
 * so a later start removes it if this process is killed before it can.
 */
export function writeFontconfig(fonts: readonly VerifiedFont[]): string {
  const dir = makeOwnedTempDir('fonts');
  const fontDir = join(dir, 'fonts');
  mkdirSync(fontDir);
  fonts.forEach((f, i) => symlinkSync(f.path, join(fontDir, `${i}-${basename(f.path)}`)));
  const conf = join(dir, 'fonts.conf');
  writeFileSync(
    conf,
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n' +
      `<fontconfig>\n  <dir>${fontDir}</dir>\n  <cachedir>${join(dir, 'cache')}</cachedir>\n</fontconfig>\n`,
  );
  return conf;
}
