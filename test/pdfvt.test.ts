// PDF/VT-1 on PDF/X-4 (issue 28, "Print once"): no free validator exists, so every requirement that can be
// read from the file is read here, with qpdf's JSON and the three renderers, and listed by the clause it
// comes from. Each check is a function of the file; the last tests break a good file in one place per
// check and show that check failing.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOutput, OFFICE_OUTPUT, parseOutputOptions, type Engine, type OutputOptions } from '../engine/index.ts';
import { writePdfVt } from '../engine/pdf/pdfvt.ts';
import { compareImages, EXACT } from '../qa/compare.ts';
import { decodePng } from '../qa/png.ts';
import { sharedEngine } from './helpers/shared-engine.ts';
import { VALID_KOKUHO_CARD } from './helpers/records.ts';

type Json = Record<string, unknown>;
/** A file as the checks read it: qpdf's JSON objects, its trailer, and its first bytes. */
interface Pdf {
  path: string;
  head: string;
  objects: Record<string, Json>;
  trailer: Json;
  /** What the file must say of itself: its records' keys (per sheet when imposed) and its colour. */
  expect: { parts: string[][]; level: 'record' | 'sheet'; colour: 'RGB' | 'CMYK' };
}

const cards = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ...VALID_KOKUHO_CARD,
    number: String(1000000 + i),
    branch: String((i % 9) + 1).padStart(2, '0'),
  }));
const keyOf = (r: { number: string; branch: string }) => `320036-出雲12-${r.number}-${r.branch}`;

const value = (o: unknown): Json =>
  ((o as Json | undefined)?.value ?? (o as { stream?: { dict: Json } } | undefined)?.stream?.dict ?? {}) as Json;
function read(path: string, expect: Pdf['expect']): Pdf {
  const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', path], { maxBuffer: 1 << 30, encoding: 'utf8' })) as {
    qpdf: [unknown, Record<string, Json>];
  };
  const objects = json.qpdf[1];
  return { path, head: readFileSync(path).subarray(0, 16).toString('latin1'), objects, trailer: value(objects.trailer), expect };
}
const get = (pdf: Pdf, ref: unknown): Json =>
  typeof ref === 'string' && / R$/.test(ref) ? value(pdf.objects[`obj:${ref}`]) : ((ref ?? {}) as Json);
const text = (s: unknown) => (typeof s === 'string' ? s.replace(/^u:/, '') : '');
const catalog = (pdf: Pdf) => get(pdf, pdf.trailer['/Root']);
function pages(pdf: Pdf): string[] {
  const out: string[] = [];
  const walk = (ref: string) => {
    const node = get(pdf, ref);
    if (node['/Type'] === '/Pages') for (const kid of node['/Kids'] as string[]) walk(kid);
    else out.push(ref);
  };
  walk(catalog(pdf)['/Pages'] as string);
  return out;
}
function xmp(pdf: Pdf): string {
  const ref = catalog(pdf)['/Metadata'];
  if (typeof ref !== 'string') return '';
  return execFileSync('qpdf', ['--show-object=' + ref.split(' ')[0], '--raw-stream-data', pdf.path]).toString('utf8');
}
const xmpValue = (x: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(x)?.[1];
/** Every dictionary of the file (stream dictionaries too), with its object reference. */
const dicts = (pdf: Pdf) =>
  Object.entries(pdf.objects).flatMap(([k, o]) => {
    const d = value(o);
    return k.startsWith('obj:') && typeof d === 'object' && d !== null && !Array.isArray(d) ? [[k, d] as const] : [];
  });
/** A dictionary and every dictionary inside it (in its values and arrays), for keys that may be anywhere. */
function nested(d: Json): Json[] {
  const out: Json[] = [d];
  for (const v of Object.values(d)) {
    for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'object' && item !== null) out.push(...nested(item as Json));
  }
  return out;
}
/** Decoded content of some objects' streams, by one qpdf call. */
function streams(pdf: Pdf, refs: string[]): string[] {
  if (!refs.length) return [];
  const args = ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized'];
  for (const r of refs) args.push(`--json-object=${r}`);
  const json = JSON.parse(execFileSync('qpdf', [...args, pdf.path], { maxBuffer: 1 << 30, encoding: 'utf8' })) as {
    qpdf: [unknown, Record<string, Json>];
  };
  return Object.values(json.qpdf[1]).map((o) =>
    Buffer.from(((o.stream as Json | undefined)?.data as string | undefined) ?? '', 'base64').toString('latin1'),
  );
}
const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/**
 * The checks, by clause. ISO 15930-7:2010 is PDF/X-4, ISO 16612-2:2010 PDF/VT-1, ISO 32000-2 14.12 the
 * document part dictionaries PDF/VT uses. Each answers what is wrong, or nothing. The ISO texts are not
 * freely available and none is at hand here: the clause numbers are given as best known, and each check's
 * name states the requirement it reads, which is what an auditor can hold it to.
 */
const CHECKS: Record<string, (pdf: Pdf) => string | undefined> = {
  'ISO 15930-7 6.2.2: the header is %PDF-1.6 (PDF/X-4 is PDF 1.6) with a binary comment': (pdf) =>
    /^%PDF-1\.6\r?\n%[\x80-\xff]{4}/.test(pdf.head) ? undefined : `header ${JSON.stringify(pdf.head.slice(0, 8))}`,
  'ISO 15930-7 6.2.3 (ISO 32000-1 14.4): the trailer has /ID, two 16-byte strings': (pdf) => {
    const id = pdf.trailer['/ID'] as string[] | undefined;
    return id?.length === 2 && id.every((s) => /^b:[0-9a-f]{32}$/i.test(s)) ? undefined : `ID ${JSON.stringify(id)}`;
  },
  'ISO 15930-7 6.1.13: not encrypted': (pdf) => (pdf.trailer['/Encrypt'] ? 'Encrypt in the trailer' : undefined),
  'ISO 15930-7 6.7.2: the catalog /Metadata is an unfiltered XMP stream': (pdf) => {
    const m = get(pdf, catalog(pdf)['/Metadata']);
    return m['/Type'] === '/Metadata' && m['/Subtype'] === '/XML' && !m['/Filter'] ? undefined : `Metadata ${JSON.stringify(m)}`;
  },
  'ISO 15930-7 6.7.3: XMP pdfxid:GTS_PDFXVersion is PDF/X-4': (pdf) =>
    xmpValue(xmp(pdf), 'pdfxid:GTS_PDFXVersion') === 'PDF/X-4' ? undefined : 'no pdfxid:GTS_PDFXVersion PDF/X-4',
  'ISO 15930-7 6.7.2: XMP dates, dc:title, xmpMM:DocumentID (the file ID), VersionID and RenditionClass': (pdf) => {
    const x = xmp(pdf);
    const missing = ['xmp:CreateDate', 'xmp:ModifyDate', 'xmp:MetadataDate', 'xmpMM:VersionID', 'xmpMM:RenditionClass'].filter(
      (n) => !xmpValue(x, n),
    );
    if (!/<dc:title><rdf:Alt><rdf:li xml:lang="x-default">[^<]+</.test(x)) missing.push('dc:title');
    const id = list(pdf.trailer['/ID'])[0]?.slice(2) ?? '';
    if ((xmpValue(x, 'xmpMM:DocumentID') ?? '').replace(/^uuid:|-/g, '') !== id.toLowerCase()) missing.push('DocumentID = ID');
    return missing.length ? missing.join(', ') : undefined;
  },
  'ISO 15930-7 6.7.5: Trapped is False in Info and pdf:Trapped in the XMP': (pdf) => {
    const info = get(pdf, pdf.trailer['/Info']);
    return info['/Trapped'] === '/False' && xmpValue(xmp(pdf), 'pdf:Trapped') === 'False'
      ? undefined
      : `Trapped ${String(info['/Trapped'])}`;
  },
  'ISO 15930-7 6.7.2: Info agrees with the XMP (title, dates)': (pdf) => {
    const info = get(pdf, pdf.trailer['/Info']);
    const x = xmp(pdf);
    const date = (xmpValue(x, 'xmp:ModifyDate') ?? '').replace(/\D/g, '');
    const ok =
      text(info['/Title']) === /<rdf:li xml:lang="x-default">([^<]*)</.exec(x)?.[1] &&
      text(info['/ModDate']).replace(/\D/g, '') === date &&
      text(info['/CreationDate']).replace(/\D/g, '') === (xmpValue(x, 'xmp:CreateDate') ?? '').replace(/\D/g, '');
    return ok ? undefined : `Info ${JSON.stringify(info)}`;
  },
  'ISO 15930-7 6.2.4: one GTS_PDFX OutputIntent with an identifier and a DestOutputProfile of the right colour': (pdf) => {
    const intents = list(catalog(pdf)['/OutputIntents'])
      .map((r) => get(pdf, r))
      .filter((i) => i['/S'] === '/GTS_PDFX');
    const intent = intents[0];
    if (intents.length !== 1 || !intent || !intent['/OutputConditionIdentifier']) return `${intents.length} GTS_PDFX intents`;
    const n = get(pdf, intent['/DestOutputProfile'])['/N'];
    return n === { RGB: 3, CMYK: 4 }[pdf.expect.colour] ? undefined : `DestOutputProfile /N ${String(n)}`;
  },
  'ISO 15930-7 6.2.5: every page has a TrimBox, within its BleedBox, within its MediaBox': (pdf) => {
    for (const ref of pages(pdf)) {
      const p = get(pdf, ref);
      const [m, b, t] = ['/MediaBox', '/BleedBox', '/TrimBox'].map((k) => p[k] as number[] | undefined);
      const inside = (a: number[], o: number[]) => a[0]! >= o[0]! && a[1]! >= o[1]! && a[2]! <= o[2]! && a[3]! <= o[3]!;
      if (!m || !t || !inside(t, b ?? m) || !inside(b ?? m, m)) return `page ${ref}: ${JSON.stringify({ m, b, t })}`;
    }
    return undefined;
  },
  'ISO 15930-7 6.2.4.3: device colour only of the output intent’s kind (and gray)': (pdf) => {
    const forbidden = pdf.expect.colour === 'RGB' ? '/DeviceCMYK' : '/DeviceRGB';
    const op = pdf.expect.colour === 'RGB' ? /(?:^|\s)(?:-?[\d.]+\s+){4}[kK](?=\s)/ : /(?:^|\s)(?:-?[\d.]+\s+){3}(?:rg|RG)(?=\s)/;
    for (const [k, d] of dicts(pdf)) if (JSON.stringify(d).includes(`"${forbidden}"`)) return `${k} names ${forbidden}`;
    const all = pages(pdf);
    const sample = all.length > 40 ? [...all.slice(0, 20), ...all.slice(-20)] : all;
    const contents = sample.flatMap((r) => list(get(pdf, r)['/Contents']));
    const forms = dicts(pdf).flatMap(([k, d]) => (d['/Subtype'] === '/Form' ? [k.slice(4)] : []));
    const hit = streams(pdf, [...contents, ...forms]).find((s) => op.test(s));
    return hit ? `a content stream sets ${pdf.expect.colour === 'RGB' ? 'CMYK' : 'RGB'} colour: ${op.exec(hit)?.[0]?.trim()}` : undefined;
  },
  'ISO 15930-7 6.3 and 6.6: no JavaScript, actions, transfer functions, OPI, PostScript or embedded files; fonts embedded': (pdf) => {
    const bad = ['/JavaScript', '/JS', '/AA', '/OpenAction', '/EmbeddedFiles', '/OPI', '/TR', '/TR2', '/Alternates', '/Encrypt'];
    for (const [k, top] of dicts(pdf)) {
      for (const d of nested(top)) {
        const key = bad.find((b) => b in d && !(b === '/TR2' && d[b] === '/Default'));
        if (key) return `${k} has ${key}`;
        if (d['/Subtype'] === '/PS') return `${k} is a PostScript XObject`;
        if (d['/Type'] === '/FontDescriptor' && !['/FontFile', '/FontFile2', '/FontFile3'].some((f) => f in d))
          return `${k}: a font not embedded`;
      }
    }
    return undefined;
  },
  'ISO 15930-7 6.3.6: a transparency group’s blending space is not a device space of another kind': (pdf) => {
    const other = pdf.expect.colour === 'RGB' ? '/DeviceCMYK' : '/DeviceRGB';
    const hit = dicts(pdf).find(
      ([, d]) => (d['/Group'] as Json | undefined)?.['/CS'] === other || (d['/S'] === '/Transparency' && d['/CS'] === other),
    );
    return hit ? `${hit[0]} blends in ${other}` : undefined;
  },
  'ISO 16612-2 6.1: XMP pdfvtid:GTS_PDFVTVersion is PDF/VT-1, GTS_PDFVTModDate = xmp:ModifyDate': (pdf) => {
    const x = xmp(pdf);
    return xmpValue(x, 'pdfvtid:GTS_PDFVTVersion') === 'PDF/VT-1' &&
      xmpValue(x, 'pdfvtid:GTS_PDFVTModDate') === xmpValue(x, 'xmp:ModifyDate')
      ? undefined
      : 'no pdfvtid:GTS_PDFVTVersion PDF/VT-1 with its date';
  },
  'ISO 16612-2 6.5 (ISO 32000-2 14.12.2): a DPartRoot with its root node, NodeNameList and RecordLevel': (pdf) => {
    const root = get(pdf, catalog(pdf)['/DPartRoot']);
    const node = get(pdf, root['/DPartRootNode']);
    const record = pdf.expect.level === 'record';
    const names = JSON.stringify(root['/NodeNameList']);
    if (root['/Type'] !== '/DPartRoot' || node['/Type'] !== '/DPart') return 'no DPartRoot and root DPart';
    if (node['/Parent'] !== catalog(pdf)['/DPartRoot']) return 'the root node’s Parent is not the DPartRoot';
    if (names !== JSON.stringify(record ? ['/Job', '/Record'] : ['/Job', '/Sheet'])) return `NodeNameList ${names}`;
    return (root['/RecordLevel'] === 1) === record ? undefined : `RecordLevel ${String(root['/RecordLevel'])}`;
  },
  'ISO 16612-2 6.5 (ISO 32000-2 14.12.3): one leaf per record (per sheet imposed), in page order, covering every page, each with its key as DPM':
    (pdf) => {
      const rootNode = get(pdf, catalog(pdf)['/DPartRoot']);
      const leaves = (get(pdf, rootNode['/DPartRootNode'])['/DParts'] as string[][] | undefined)?.flat() ?? [];
      if (leaves.length !== pdf.expect.parts.length) return `${leaves.length} leaves for ${pdf.expect.parts.length} parts`;
      const all = pages(pdf);
      let next = 0;
      for (const [i, ref] of leaves.entries()) {
        const leaf = get(pdf, ref);
        const start = all.indexOf(leaf['/Start'] as string);
        const end = leaf['/End'] === undefined ? start : all.indexOf(leaf['/End'] as string);
        if (start !== next || end < start) return `leaf ${i + 1} covers pages ${start + 1}–${end + 1}, expected from ${next + 1}`;
        next = end + 1;
        const dpm = leaf['/DPM'] as Json | undefined;
        const keys =
          pdf.expect.level === 'record'
            ? [text((((dpm?.['/CIP4_Root'] as Json | undefined)?.['/CIP4_Recipient'] as Json | undefined) ?? {})['/CIP4_UniqueID'])]
            : list(dpm?.['/Records']).map(text);
        if (JSON.stringify(keys) !== JSON.stringify(pdf.expect.parts[i])) return `leaf ${i + 1} says ${keys.join(', ')}`;
      }
      return next === all.length ? undefined : `the leaves end at page ${next}, the file has ${all.length}`;
    },
  'ISO 16612-2 6.5 (ISO 32000-2 Table 31): every page’s /DPart is the leaf that holds it': (pdf) => {
    const leaves = (get(pdf, get(pdf, catalog(pdf)['/DPartRoot'])['/DPartRootNode'])['/DParts'] as string[][] | undefined)?.flat() ?? [];
    const all = pages(pdf);
    for (const ref of leaves) {
      const leaf = get(pdf, ref);
      const start = all.indexOf(leaf['/Start'] as string);
      const end = leaf['/End'] === undefined ? start : all.indexOf(leaf['/End'] as string);
      for (let p = start; p <= end; p++)
        if (get(pdf, all[p])['/DPart'] !== ref) return `page ${p + 1} names ${String(get(pdf, all[p])['/DPart'])}`;
    }
    return all.every((p) => get(pdf, p)['/DPart']) ? undefined : 'a page without /DPart';
  },
  'qpdf --check passes': (pdf) => {
    try {
      execFileSync('qpdf', ['--check', pdf.path], { encoding: 'utf8' });
      return undefined;
    } catch (err) {
      return String((err as { stdout?: string }).stdout ?? err)
        .split('\n')
        .slice(-3)
        .join(' ');
    }
  },
};

/** One page drawn by a renderer, as RGBA. */
function draw(tool: 'pdftoppm' | 'mutool' | 'gs', pdf: string, page: number, prefix: string): ReturnType<typeof decodePng> {
  const png = `${prefix}${tool}-${page}.png`;
  if (tool === 'pdftoppm')
    execFileSync('pdftoppm', ['-f', `${page}`, '-l', `${page}`, '-r', '100', '-png', '-singlefile', pdf, png.slice(0, -4)]);
  if (tool === 'mutool') execFileSync('mutool', ['draw', '-q', '-r', '100', '-o', png, pdf, `${page}`]);
  if (tool === 'gs')
    execFileSync('gs', [
      '-q',
      '-dSAFER',
      '-dBATCH',
      '-dNOPAUSE',
      '-sDEVICE=png16m',
      '-r100',
      `-dFirstPage=${page}`,
      `-dLastPage=${page}`,
      `-sOutputFile=${png}`,
      pdf,
    ]);
  return decodePng(readFileSync(png));
}

let engine: Engine;
let dir: string;
const files: Record<string, Pdf> = {};
const OFFICE_CARDS = 1000;

async function render(file: string, records: Record<string, unknown>[], output: OutputOptions): Promise<string> {
  const path = join(dir, `${file}.pdf`);
  const fd = openSync(path, 'w');
  try {
    // One run name for all: imposed sheets print it in their slug.
    await engine.render('kokuho-card', records, (b) => void writeSync(fd, b), { output, name: 'renewal' });
  } finally {
    closeSync(fd);
  }
  return path;
}

beforeAll(async () => {
  engine = await sharedEngine();
  dir = mkdtempSync(join(tmpdir(), 'pdfvt-test-'));
  const many = cards(OFFICE_CARDS);
  const few = cards(9);
  const press = parseOutputOptions({ color: 'press' });
  const imposed = parseOutputOptions({ color: 'press', impose: 'a4' });
  await render('office', many, OFFICE_OUTPUT);
  await render('press', few, { ...press, pdfvt: false });
  await render('imposed', few, { ...imposed, pdfvt: false });
  await render('imposed-office', few, { ...imposed, color: 'office', pdfvt: false });
  const record = (rs: typeof few) => rs.map((r) => [keyOf(r)]);
  files.office = read(await render('office-vt', many, { ...OFFICE_OUTPUT, pdfvt: true }), {
    parts: record(many),
    level: 'record',
    colour: 'RGB',
  });
  files.press = read(await render('press-vt', few, press), { parts: record(few), level: 'record', colour: 'CMYK' });
  // A4 holds 8 cards: sheet 1 the first eight in slot order, sheet 2 the ninth.
  files.imposed = read(await render('imposed-vt', few, imposed), {
    parts: [few.slice(0, 8).map(keyOf), [keyOf(few[8]!)]],
    level: 'sheet',
    colour: 'CMYK',
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['office', 'press', 'imposed'])('a PDF/VT file, %s', (name) => {
  it.each(Object.keys(CHECKS))('%s', (clause) => {
    expect(CHECKS[clause]!(files[name]!)).toBeUndefined();
  });

  it.each(['pdftoppm', 'mutool', 'gs'] as const)('%s draws its pages exactly as the plain file’s', (tool) => {
    const vt = files[name]!;
    const plain = join(dir, `${name}.pdf`);
    const n = pages(vt).length;
    for (const page of [...new Set([1, 2, n - 1, n])].filter((p) => p >= 1)) {
      const result = compareImages(draw(tool, plain, page, join(dir, 'a-')), draw(tool, vt.path, page, join(dir, 'b-')), EXACT);
      expect(result.same, `page ${page}: ${result.diffPixels} pixels, sizes ${JSON.stringify(result.sizeMismatch)}`).toBe(true);
    }
  });
});

describe('pdfvt= as the CLI and the API give it', () => {
  it('is on with color=press and off otherwise, unless given', () => {
    expect(parseOutputOptions({}).pdfvt).toBe(false);
    expect(parseOutputOptions({ color: 'press' }).pdfvt).toBe(true);
    expect(parseOutputOptions({ color: 'press', pdfvt: 'false' }).pdfvt).toBe(false);
    expect(parseOutputOptions({ pdfvt: 'true' }).pdfvt).toBe(true);
  });

  it('survives a job: what describeOutput keeps parses back to the same', () => {
    for (const q of [{}, { pdfvt: 'true' }, { color: 'press' }, { color: 'press', pdfvt: 'false' }, { color: 'press', impose: 'a4' }]) {
      const o = parseOutputOptions(q);
      expect(parseOutputOptions(describeOutput(o))).toEqual(o);
    }
  });

  it('refuses what PDF/VT cannot be, naming the options', () => {
    expect(() => parseOutputOptions({ pdfvt: 'yes' })).toThrow('pdfvt expects true or false, not "yes"');
    expect(() => parseOutputOptions({ pdfvt: 'true', split: 'record' })).toThrow(/split files .* pdfvt makes one PDF/);
    expect(() => parseOutputOptions({ pdfvt: 'true', impose: 'a4' })).toThrow(/pdfvt on imposed sheets needs color=press/);
  });
});

describe('what PDF/VT shares and states', () => {
  it(`keeps what the plain file shares shared: the same objects, and ${OFFICE_CARDS} leaves more`, () => {
    const plain = read(join(dir, 'office.pdf'), files.office!.expect);
    const forms = (pdf: Pdf) => dicts(pdf).filter(([, d]) => d['/Subtype'] === '/Form').length;
    expect(forms(files.office!)).toBe(forms(plain));
    // Added: the DPartRoot, its node, a leaf per record, the OutputIntent and its profile, the XMP.
    expect(Object.keys(files.office!.objects).length - Object.keys(plain.objects).length).toBe(OFFICE_CARDS + 5);
  });

  it('holds one static layer per side and insurer, shared by every card (its /SP forms)', (ctx) => {
    const pdf = files.office!;
    // A page's static layer: the /SP… forms it draws (under its variable layer, and over it where needed).
    const layers = new Map<string, number>();
    for (const ref of pages(pdf)) {
      const xobjects = get(pdf, get(pdf, get(pdf, ref)['/Resources'])['/XObject']);
      const forms = Object.entries(xobjects).filter(([name]) => name.startsWith('/SP'));
      const layer = forms
        .map(([, form]) => String(form))
        .sort()
        .join(' ');
      if (layer) layers.set(layer, (layers.get(layer) ?? 0) + 1);
    }
    if (layers.size === 0) ctx.skip();
    // One insurer, two sides: a front layer and a back layer, each drawn by all 1,000 cards.
    expect([...layers.values()]).toEqual([OFFICE_CARDS, OFFICE_CARDS]);
  });

  it('Ghostscript 10.00 draws form XObjects into each page: the press file shares none (README, press colour)', () => {
    const forms = (path: string) => dicts(read(path, files.imposed!.expect)).filter(([, d]) => d['/Subtype'] === '/Form').length;
    expect(forms(join(dir, 'imposed-office.pdf'))).toBeGreaterThan(0);
    expect(forms(files.imposed!.path)).toBe(0);
  });

  it('the same file gives the same bytes; another file another ID', () => {
    const plain = join(dir, 'office.pdf');
    const pass = (input: string) => {
      const parts: Uint8Array[] = [];
      writePdfVt(input, (b) => parts.push(Buffer.from(b)), {
        parts: files.office!.expect.parts.map((keys) => ({ pages: 2, keys })),
        level: 'record',
        metadata: { title: 't', subject: 's', producer: 'p', date: new Date(0) },
        outputIntent: { icc: '/usr/share/color/icc/sRGB.icc', identifier: 'sRGB', info: 'sRGB' },
      });
      return Buffer.concat(parts);
    };
    const [a, b] = [pass(plain), pass(plain)];
    expect(a.equals(b)).toBe(true);
    const changed = readFileSync(plain);
    const at = changed.indexOf('/MediaBox [ 0 0 242.6457 ');
    expect(at).toBeGreaterThan(0);
    changed.write('/MediaBox [ 0 0 242.6458 ', at, 'latin1');
    writeFileSync(join(dir, 'changed.pdf'), changed);
    const id = (bytes: Buffer) => /\/ID \[ <([0-9A-F]+)>/.exec(bytes.subarray(-400).toString('latin1'))?.[1];
    expect(id(pass(join(dir, 'changed.pdf')))).not.toBe(id(a));
  });
});

/** A break of the press file, in place and of the same length, and the check it must make fail. */
const BREAKS: [string, string, string][] = [
  ['%PDF-1.6', '%PDF-1.7', '6.2.2'],
  ['/ID [', '/IX [', '6.2.3'],
  ['pdfxid:GTS_PDFXVersion>PDF/X-4<', 'pdfxid:GTS_PDFXVersion>PDF/X-5<', '6.7.3'],
  ['<xmpMM:VersionID>1<', '<xmpMM:VersionXX>1<', 'VersionID'],
  ['/Trapped /False', '/Trapped /Truee', 'Trapped'],
  ['/ModDate (D:1970', '/ModDate (D:1971', 'Info agrees'],
  ['/S/GTS_PDFX', '/S/GTS_PDFY', 'OutputIntent'],
  ['/TrimBox', '/TrimBax', 'TrimBox'],
  ['/Type /Metadata /Subtype /XML', '/Type /Metadata /Subtype /XMM', '6.7.2: the catalog'],
  ['pdfvtid:GTS_PDFVTVersion>PDF/VT-1<', 'pdfvtid:GTS_PDFVTVersion>PDF/VT-2<', '16612-2 6.1'],
  ['/RecordLevel 1', '/RecordLevel 2', 'NodeNameList and RecordLevel'],
  ['/CIP4_UniqueID <FEFF0033', '/CIP4_UniqueID <FEFF0034', 'one leaf per record'],
  ['/DPart ', '/DPaxt ', 'every page’s /DPart'],
  ['/ProcSet', '/OPI    ', 'no JavaScript'],
];

describe('each check fails when what it checks breaks', () => {
  it.each(BREAKS)('%s → %s fails "%s"', (from, to, clause) => {
    const bytes = readFileSync(files.press!.path);
    const at = bytes.indexOf(from);
    expect(at, `${from} is in the file`).toBeGreaterThanOrEqual(0);
    bytes.write(to, at, 'latin1');
    const broken = join(dir, `broken-${BREAKS.findIndex((b) => b[0] === from)}.pdf`);
    writeFileSync(broken, bytes);
    const pdf = { ...read(broken, files.press!.expect), path: broken };
    const failing = Object.entries(CHECKS)
      .filter(([, check]) => check(pdf) !== undefined)
      .map(([name]) => name);
    expect(
      failing.filter((name) => name.includes(clause)),
      failing.join('\n'),
    ).not.toEqual([]);
  });

  it('the colour check fails on an RGB operator in a CMYK file', () => {
    const pdf = files.press!;
    expect(
      CHECKS['ISO 15930-7 6.2.4.3: device colour only of the output intent’s kind (and gray)']!({
        ...pdf,
        expect: { ...pdf.expect, colour: 'RGB' },
      }),
    ).toMatch(/CMYK/);
  });

  it('the render check sees a changed pixel', () => {
    const bytes = readFileSync(join(dir, 'press.pdf'));
    const at = bytes.lastIndexOf('/MediaBox [0 0 242.65 153.01]');
    expect(at).toBeGreaterThan(0);
    bytes.write('/MediaBox [1 0 243.65 153.01]', at, 'latin1');
    writeFileSync(join(dir, 'press-cut.pdf'), bytes);
    const n = pages(files.press!).length;
    const diff = compareImages(
      draw('pdftoppm', join(dir, 'press.pdf'), n, join(dir, 'c-')),
      draw('pdftoppm', join(dir, 'press-cut.pdf'), n, join(dir, 'd-')),
      EXACT,
    );
    expect(diff.sizeMismatch).toBeUndefined();
    expect(diff.diffPixels).toBeGreaterThan(0);
  });
});
