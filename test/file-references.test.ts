// Files a profile or a layout names stay in its own folder (issue 29, finding 3): an insurer profile's seal
// and a layout's images inside the folder of the file that names them, a layout's text files inside the
// layouts folder; anything else, symbolic links followed, is refused at load naming the file and the field,
// with the same message whether or not the file exists. Through the studio in studio-hardening.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAYOUTS_DIR,
  PrintError,
  SAMPLE_INSURERS_DIR,
  layoutImageProblems,
  loadInsurers,
  loadLayout,
  loadLayouts,
} from '../engine/index.ts';
import { profilesDir } from './helpers/insurer-people.ts';

const dir = mkdtempSync(join(tmpdir(), 'shikaku-references-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An SVG outside every folder the engine loads: what a hostile profile would like drawn. */
const outside = join(dir, 'elsewhere');
mkdirSync(outside);
cpSync(join(SAMPLE_INSURERS_DIR, 'seals', 'izumo.svg'), join(outside, 'private.svg'));
const missing = join(outside, 'not-there.svg');

/** The message loading a folder of one profile with `seal` fails with (the file of that profile named). */
async function sealRefusal(seal: string, prepare: (root: string) => void = () => undefined): Promise<string> {
  const root = profilesDir(dir, [{ insurerNumber: '320036', name: '出雲市', seal }]);
  prepare(root);
  const error = await loadInsurers(root, { sealMm: 10, explicit: true }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(PrintError);
  return (error as Error).message.replace(root, 'PROFILES');
}

const SEAL_REFUSED = (seal: string) =>
  `insurer profile PROFILES/320036.json: seal: ${JSON.stringify(seal)} is not a file inside the profile's folder; a profile may name only its own folder's files`;

describe("an insurer profile's seal", () => {
  it('is refused outside the profile folder, the same message whether the file exists or not', async () => {
    expect(await sealRefusal(join(outside, 'private.svg'))).toBe(SEAL_REFUSED(join(outside, 'private.svg')));
    expect(await sealRefusal(missing)).toBe(SEAL_REFUSED(missing));
    const up = '../elsewhere/private.svg';
    expect(await sealRefusal(up)).toBe(SEAL_REFUSED(up)); // the file of the first line, named from the folder
    expect(await sealRefusal('../elsewhere/not-there.svg')).toBe(SEAL_REFUSED('../elsewhere/not-there.svg'));
  });

  it('is refused through a symbolic link that leads out of the folder, or to nothing', async () => {
    const link = (target: string) => (root: string) => symlinkSync(target, join(root, 'seals', 'linked.svg'));
    expect(await sealRefusal('seals/linked.svg', link(join(outside, 'private.svg')))).toBe(SEAL_REFUSED('seals/linked.svg'));
    expect(await sealRefusal('seals/linked.svg', link(missing))).toBe(SEAL_REFUSED('seals/linked.svg'));
    // a folder linked out of it, too
    const folder = (root: string) => symlinkSync(outside, join(root, 'more'));
    expect(await sealRefusal('more/private.svg', folder)).toBe(SEAL_REFUSED('more/private.svg'));
  });

  it('is read from a subfolder, and through a link that stays inside', async () => {
    const root = profilesDir(dir, [{ insurerNumber: '320036', name: '出雲市', seal: 'seals/linked.svg' }]);
    symlinkSync(join(root, 'seals', 'izumo.svg'), join(root, 'seals', 'linked.svg'));
    expect((await loadInsurers(root, { sealMm: 10, explicit: true })).get('320036')?.seal).not.toBeNull();
    expect((await loadInsurers(SAMPLE_INSURERS_DIR, { sealMm: 10, explicit: true })).size).toBe(3);
  });
});

describe("a layout's files", () => {
  /** A layouts folder holding kokuho-card and a variant of it described by `extra`. */
  function variant(extra: Record<string, unknown>): { layouts: string; file: string } {
    const layouts = mkdtempSync(join(dir, 'layouts-'));
    cpSync(join(LAYOUTS_DIR, 'kokuho-card'), join(layouts, 'kokuho-card'), { recursive: true });
    cpSync(join(LAYOUTS_DIR, '_shared'), join(layouts, '_shared'), { recursive: true });
    mkdirSync(join(layouts, 'kokuho-card-logo'));
    const file = join(layouts, 'kokuho-card-logo', 'layout.json');
    writeFileSync(file, JSON.stringify({ id: 'kokuho-card-logo', name: 'logo variant', extend: 'kokuho-card', ...extra }));
    return { layouts, file };
  }
  const refusal = (layouts: string): string => {
    try {
      loadLayout(join(layouts, 'kokuho-card-logo'));
    } catch (err) {
      expect(err).toBeInstanceOf(PrintError);
      return (err as Error).message.replace(layouts, 'LAYOUTS');
    }
    throw new Error('the layout loaded');
  };
  const logo = (file: string) => ({ images: { logo: { file, widthMm: 10, heightMm: 5 } } });

  it('refuse an image outside the layout folder, naming the layout and the field, whether it exists or not', () => {
    const refused = (file: string) =>
      `layout description LAYOUTS/kokuho-card-logo/layout.json is invalid: images.logo.file: ${JSON.stringify(file)} ` +
      "is not a file inside the layout's own folder; a layout may name only those";
    const there = join(outside, 'private.svg');
    expect(refusal(variant(logo(there)).layouts)).toBe(refused(there));
    expect(refusal(variant(logo(missing)).layouts)).toBe(refused(missing));
    // the base's folder is not the variant's own
    expect(refusal(variant(logo('../kokuho-card/front.hbs')).layouts)).toBe(refused('../kokuho-card/front.hbs'));
    const { layouts } = variant(logo('linked.svg'));
    symlinkSync(there, join(layouts, 'kokuho-card-logo', 'linked.svg'));
    expect(refusal(layouts)).toBe(refused('linked.svg'));
  });

  it('refuse a template, partial, style sheet or samples file outside the layouts folder', () => {
    const css = join(outside, 'style.css');
    writeFileSync(css, 'body{}');
    expect(refusal(variant({ styles: [css] }).layouts)).toMatch(
      /layout\.json is invalid: styles\.0: ".*style\.css" is not a file inside the layouts folder/,
    );
    expect(refusal(variant({ samples: '../../elsewhere/x.json' }).layouts)).toMatch(
      / samples: "\.\.\/\.\.\/elsewhere\/x\.json" is not a file inside/,
    );
    expect(refusal(variant({ sides: [{ id: 'front', template: '/etc/hostname' }] }).layouts)).toMatch(
      / sides\.0\.template: "\/etc\/hostname" is not a file inside/,
    );
    expect(refusal(variant({ partials: ['../../x.hbs'] }).layouts)).toMatch(/ partials\.0: "\.\.\/\.\.\/x\.hbs" is not a file inside/);
  });

  it('refuse an image swapped for a link out of the folder after the layout loaded, when it is read again', async () => {
    const { layouts } = variant(logo('logo.svg'));
    const image = join(layouts, 'kokuho-card-logo', 'logo.svg');
    cpSync(join(outside, 'private.svg'), image);
    const layout = loadLayout(join(layouts, 'kokuho-card-logo'));
    expect(await layoutImageProblems(layout)).toEqual([]);
    rmSync(image);
    symlinkSync(join(outside, 'private.svg'), image);
    expect((await layoutImageProblems(layout)).map((p) => p.message)).toEqual([
      `the image ${image} is no longer a file inside the layouts folder`,
    ]);
  });

  it("keep what layouts share: ../_shared/ and a sibling's samples, and an image of their own", () => {
    expect(loadLayouts(LAYOUTS_DIR).size).toBeGreaterThan(5);
    const { layouts } = variant(logo('logo.svg'));
    cpSync(join(outside, 'private.svg'), join(layouts, 'kokuho-card-logo', 'logo.svg'));
    expect(loadLayout(join(layouts, 'kokuho-card-logo')).images.logo?.file).toBe(join(layouts, 'kokuho-card-logo', 'logo.svg'));
  });
});
