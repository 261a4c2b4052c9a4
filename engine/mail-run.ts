import { PDFDocument, PDFObjectCopier, type PDFPage } from 'pdf-lib';
import { PrintError, type RecordProblem } from './errors.ts';
import { getLayout, type Layout } from './layouts/layouts.ts';
import { validateRecords, recordLabel } from './validate/validate.ts';
import { pinnedCoverage } from './fonts/glyph-coverage.ts';
import { FIELDS, type FieldName } from './records/fields.ts';
import type { InsuranceRecord } from './records/schema.ts';
import { addressBlock, REGISTERED_BLOCK_MIN_HEIGHT_MM, type AddressBlock } from './mail/address-block.ts';
import { REGISTERED_KINDS, type RegisteredKind } from './mail/number-band.ts';
import { formatInquiry, type InquiryNumber } from './records/inquiry-number.ts';
import { planEnvelopes, type MailMode, type MailSort, type PlannedEnvelope } from './mail/envelope-plan.ts';
import type { PrintValues } from './format/print-values.ts';
import { mmToPt, type PdfSink } from './pdf/pdf-writer.ts';
import { drawInSlot, pageForm, type PageForm } from './output/page-form.ts';
import { drawCodeMark } from './output/code-mark.ts';
import { matchingCode, runIdOf } from './mail/matching-code.ts';
import type { EnvelopeOutput, RecordPages, RegisteredRun, RenderSummary } from './output/summary.ts';
import type { RenderOptions } from './render-options.ts';
import type { Insurers } from './insurers/profiles.ts';
import type { Envelope } from './mail/envelopes.ts';

/*
 * A mailing run (issue: mailing; docs/spec/interfaces.md, Mailing): the records grouped into envelopes,
 * each envelope's carrier (layout.json `mailers`) first and then its documents, in one PDF, in envelope
 * order. Cards travel on their carrier's sheet (fronts on side 1 in the carrier's card slots, backs behind
 * them for a long-edge duplex); notices follow their carrier, or carry their own 宛名 when there is none.
 */

/** What a mailing run needs of the engine (render.ts), named here so the engine can run one itself. */
export interface MailEngine {
  readonly layouts: Map<string, Layout>;
  readonly insurers: Insurers;
  envelopeFor(insurerNumber: string | undefined, override?: string): Envelope;
  render(layout: Layout, raws: readonly unknown[], sink: PdfSink, options?: RenderOptions): Promise<RenderSummary>;
  renderSheets(layout: Layout, values: readonly PrintValues[], sink: PdfSink, options?: RenderOptions): Promise<RenderSummary>;
  printValues(layout: Layout, record: InsuranceRecord, index: number, block: AddressBlock | null): PrintValues;
}

/** What a mailing run takes besides the records. */
export interface MailRunOptions extends Pick<
  RenderOptions,
  'signal' | 'name' | 'envelope' | 'onProgress' | 'staticMarkup' | 'wholePages' | 'chromiumText'
> {
  mail: MailMode;
  sort?: MailSort | undefined;
  /** The run's id in the matching codes; made from what the run prints when left out (runIdOf). */
  runId?: string | undefined;
  /** The number of the run's first envelope in its codes and manifest: a job's chunk starts after the ones before it. */
  firstEnvelope?: number | undefined;
  /**
   * Registered and recorded mail: its kind, and the お問い合わせ番号 taken for the envelopes that keep none of
   * their own (registeredNumber), in envelope order (checkMailable counts them; the caller takes them from
   * its number store before the run, and gives them back if it fails).
   */
  registered?: { kind: RegisteredKind; numbers?: readonly InquiryNumber[] | undefined } | undefined;
}

/** A mailing run's page map: the records' pages, and the envelopes. */
export interface MailRunSummary extends RenderSummary {
  mail: MailMode;
  sort: MailSort;
  /** The envelope profile the 宛名 blocks were placed for (the first envelope's, when insurers differ). */
  envelopeProfile: string;
  envelopes: EnvelopeOutput[];
}

/** One member of an envelope as its carrier lists them. */
export type CarrierMember = Pick<PrintValues, 'name' | 'nameKana' | 'symbol' | 'number' | 'branch' | 'relationshipLabel'> & {
  record: number;
};

/** What a carrier's template sees besides the first record's values and `mail` (the envelope's 宛名). */
export interface CarrierValues {
  /** This sheet of the envelope's carrier, and how many it has (n/m). */
  sheet: number;
  sheets: number;
  /** The members whose documents this sheet lists (and, for cards, holds). */
  members: CarrierMember[];
  /** Documents in the envelope. */
  count: number;
  /** What is enclosed: 資格確認書 (cards) or 資格情報のお知らせ. */
  enclosed: string;
  /** The card slots this sheet fills, as CSS for their cut lines. */
  slots: { style: string }[];
  /** Whether the addressee is an employer (御中). */
  employer: boolean;
}

const CARD_MM = { width: 85.6, height: 53.98 };
/** Every page of a mailing run is an A4 sheet for the inserting line: carriers, and the notices behind them. */
export const MAIL_SHEET_MM = { widthMm: 210, heightMm: 297 } as const;
const isSheet = (l: Layout) => l.page.widthMm === MAIL_SHEET_MM.widthMm && l.page.heightMm === MAIL_SHEET_MM.heightMm;

/**
 * The envelopes of a mailing run's checked records (`records[i]` is input record `positions[i]`, 0-based,
 * received as `raws[i]`), and every problem as a record problem of its input record.
 */
export function planMailing(
  records: readonly InsuranceRecord[],
  mail: MailMode,
  sort: MailSort,
  raws: readonly unknown[],
  positions?: readonly number[],
): { envelopes: PlannedEnvelope[]; problems: RecordProblem[] } {
  const plan = planEnvelopes(records, mail, sort);
  const problems = plan.problems.map((p) => recordProblem(p, raws, positions));
  return { envelopes: plan.envelopes, problems };
}

/**
 * Checks, before any browser starts, that checked records can be mailed by `mail` with `layout`: its
 * carrier, and every record's 宛名, envelope and registered number. Throws what the run itself would
 * throw; answers how many envelopes there are and how many need an お問い合わせ番号 taken (registered runs).
 */
export function checkMailable(
  layouts: ReadonlyMap<string, Layout>,
  layout: Layout,
  records: readonly InsuranceRecord[],
  raws: readonly unknown[],
  mail: MailMode,
  registered?: RegisteredKind,
): { envelopes: number; needNumbers: number } {
  mailCarrier(layouts, layout, mail);
  const plan = planMailing(records, mail, 'input', raws);
  if (plan.problems.length) throw planError(plan.problems, raws.length);
  keptEnvelopes(records, plan.envelopes, raws);
  const kept = keptNumbers(records, plan.envelopes, raws, registered);
  return { envelopes: plan.envelopes.length, needNumbers: registered ? kept.filter((n) => n === undefined).length : 0 };
}

/**
 * The お問い合わせ番号 each envelope keeps (its records' registeredNumber, a reprint's), undefined where it
 * takes a new one. Refused, naming the records: a number in a run that is not registered, records of one
 * envelope that disagree, two envelopes with one number, and a registered run of several insurers (one
 * sender signs one receipt list).
 */
export function keptNumbers(
  records: readonly InsuranceRecord[],
  envelopes: readonly PlannedEnvelope[],
  raws: readonly unknown[],
  registered: RegisteredKind | undefined,
  positions?: readonly number[],
): (InquiryNumber | undefined)[] {
  const problems: { index: number; path: string; message: string }[] = [];
  const owner = new Map<string, number>();
  const sender = records[0]?.insurerNumber;
  const kept = envelopes.map((e, k) => {
    const numbers = e.records.map((i) => records[i]?.registeredNumber);
    for (const [j, n] of numbers.entries()) {
      const index = e.records[j] as number;
      if (n !== undefined && !registered)
        problems.push({
          index,
          path: 'registeredNumber',
          message: 'an お問い合わせ番号 prints only in a registered run: give --registered (registered=) with its kind',
        });
      else if (n !== numbers[0])
        problems.push({
          index,
          path: 'registeredNumber',
          message: `the records of one envelope keep one number: expected ${numbers[0] ? formatInquiry(numbers[0]) : 'none'}, received ${n ? formatInquiry(n) : 'none'}`,
        });
      if (registered && records[index]?.insurerNumber !== sender)
        problems.push({
          index,
          path: 'insurerNumber',
          message: `a registered run is one sender's (one receipt list): expected ${sender ?? 'none'}, as the first record, received ${records[index]?.insurerNumber ?? 'none'}`,
        });
    }
    const n = numbers[0];
    if (n !== undefined && owner.has(n))
      problems.push({
        index: e.records[0] as number,
        path: 'registeredNumber',
        message: `${formatInquiry(n)} is already the number of envelope ${(owner.get(n) as number) + 1} of this run: a number is one piece's`,
      });
    if (n !== undefined) owner.set(n, k);
    return n;
  });
  if (problems.length)
    throw planError(
      problems.map((p) => recordProblem(p, raws, positions)),
      raws.length,
    );
  return kept;
}

/** Each envelope's number: its own, else the next of those taken for the run. */
function envelopeNumbers(
  kept: readonly (InquiryNumber | undefined)[],
  registered: MailRunOptions['registered'],
): (InquiryNumber | undefined)[] | undefined {
  if (!registered) return undefined;
  const taken = [...(registered.numbers ?? [])];
  const need = kept.filter((n) => n === undefined).length;
  if (need > taken.length)
    throw new PrintError(
      'INVALID_INPUT',
      `a registered run needs an お問い合わせ番号 for each envelope: ${need} of ${kept.length} keep none of their own, and ${taken.length} were taken (--numbers, numbers=)`,
    );
  if (need < taken.length) throw new Error(`the run was given ${taken.length} numbers for ${need} envelopes`);
  return kept.map((n) => n ?? taken.shift());
}

/**
 * A reprint (records written by `mailing verify --reprint`, each with its `envelopeCode`): the run id and
 * each envelope's number they keep, so the sheets print with the codes they had. Undefined for a first print.
 */
function keptEnvelopes(
  records: readonly InsuranceRecord[],
  envelopes: readonly PlannedEnvelope[],
  raws: readonly unknown[],
): { run: string; numbers: number[] } | undefined {
  if (!records.some((r) => r.envelopeCode !== undefined)) return undefined;
  const problems: { index: number; path: string; message: string }[] = [];
  const [run = ''] = (records.find((r) => r.envelopeCode)?.envelopeCode ?? '').split('.');
  const numbers = envelopes.map((e) => {
    const codes = e.records.map((i) => records[i]?.envelopeCode);
    for (const [k, code] of codes.entries()) {
      const index = e.records[k] as number;
      if (code === undefined)
        problems.push({ index, path: 'envelopeCode', message: 'a reprint keeps every envelope: expected RUN.ENVELOPE, received nothing' });
      else if (code.split('.')[0] !== run)
        problems.push({ index, path: 'envelopeCode', message: `a reprint is of one run: expected ${run}.…, received "${code}"` });
      else if (code !== codes[0])
        problems.push({
          index,
          path: 'envelopeCode',
          message: `the records of one envelope keep one envelope: expected "${codes[0]}", received "${code}"`,
        });
    }
    return Number((codes[0] ?? '.0').split('.')[1]);
  });
  if (problems.length)
    throw planError(
      problems.map((p) => recordProblem(p, raws)),
      raws.length,
    );
  return { run, numbers };
}

/** A problem of checked record `index` (0-based here; `positions` maps it to its input position) as the engine reports it. */
function recordProblem(
  p: { index: number; path: string; message: string },
  raws: readonly unknown[],
  positions?: readonly number[],
): RecordProblem {
  const at = positions?.[p.index] ?? p.index;
  return {
    record: at + 1,
    recordLabel: recordLabel(at, raws[p.index]),
    path: p.path,
    label: FIELDS[p.path as FieldName]?.label ?? p.path,
    message: p.message,
  };
}

/** Problems of the plan as the engine reports record problems. */
function planError(list: RecordProblem[], count: number): PrintError {
  const bad = new Set(list.map((p) => p.record)).size;
  const problems = `${list.length} problem${list.length === 1 ? '' : 's'}`;
  return new PrintError('INVALID_INPUT', `${bad} of ${count} records cannot be mailed (${problems}); nothing was printed`, {
    problems: list,
  });
}

/**
 * The carrier layout of a run, or null when its documents carry their own 宛名; a layout that cannot be
 * mailed that way is refused (INVALID_INPUT) naming the ways it can.
 */
export function mailCarrier(layouts: ReadonlyMap<string, Layout>, layout: Layout, mail: MailMode): Layout | null {
  const id = layout.mailers[mail];
  if (id) {
    const carrier = getLayout(layouts as Map<string, Layout>, id);
    if (carrier.document !== 'mailer' || !carrier.mailer || !isSheet(carrier))
      throw new PrintError('SETUP', `layout ${layout.id}: its carrier ${id} is not an A4 mailer layout`);
    if (layout.document === 'card' ? carrier.mailer.cardSlots.length === 0 : !isSheet(layout))
      throw new PrintError(
        'SETUP',
        `layout ${layout.id}: cards need a carrier with card slots, other documents behind a carrier are A4 sheets`,
      );
    if (!carrier.matchingCode || (layout.document !== 'card' && !layout.matchingCode))
      throw new PrintError(
        'SETUP',
        `layout ${layout.id}: every sheet of a mailing run carries a matching code: ${carrier.matchingCode ? layout.id : id} declares no matchingCode`,
      );
    return carrier;
  }
  if (mail === 'person' && layout.addressBlock && isSheet(layout)) {
    if (!layout.matchingCode)
      throw new PrintError(
        'SETUP',
        `layout ${layout.id}: every sheet of a mailing run carries a matching code: it declares no matchingCode`,
      );
    return null;
  }
  const modes = Object.keys(layout.mailers);
  throw new PrintError(
    'INVALID_INPUT',
    `layout ${layout.id} cannot be mailed by ${mail}: ${modes.length || layout.addressBlock ? `it is mailed by ${[...modes, ...(layout.addressBlock ? ['person'] : [])].join(', ')}` : 'it has no carrier and no 宛名'}`,
  );
}

/** The carrier sheets of one envelope: members split by what a sheet holds. */
function carrierSheets(
  engine: MailEngine,
  carrier: Layout,
  layout: Layout,
  records: readonly InsuranceRecord[],
  e: PlannedEnvelope,
  block: AddressBlock,
  mail: MailMode,
): PrintValues[] {
  const spec = carrier.mailer as NonNullable<Layout['mailer']>;
  const cards = layout.document === 'card' ? spec.cardSlots : [];
  const perSheet = cards.length > 0 ? cards.length : spec.listRows;
  const sheets = Math.ceil(e.records.length / perSheet);
  const head = e.records[0] as number;
  const base = engine.printValues(carrier, records[head] as InsuranceRecord, head, block);
  return Array.from({ length: sheets }, (_, s) => {
    const on = e.records.slice(s * perSheet, (s + 1) * perSheet);
    const members = on.map((i) => {
      const v = engine.printValues(carrier, records[i] as InsuranceRecord, i, null);
      return {
        record: i + 1,
        name: v.name,
        nameKana: v.nameKana,
        symbol: v.symbol,
        number: v.number,
        branch: v.branch,
        relationshipLabel: v.relationshipLabel,
      };
    });
    const carrierValues: CarrierValues = {
      sheet: s + 1,
      sheets,
      members,
      count: e.records.length,
      enclosed: layout.document === 'card' ? '資格確認書' : '資格情報のお知らせ',
      slots: cards
        .slice(0, on.length)
        .map((c) => ({ style: `left:${c.xMm}mm;top:${c.yMm}mm;width:${CARD_MM.width}mm;height:${CARD_MM.height}mm` })),
      employer: mail === 'employer',
    };
    return { ...base, carrier: carrierValues } as PrintValues;
  });
}

/**
 * The carrier as it prints in this run: a carrier's later sides hold the backs of the cards on it, so
 * documents that are not cards need only its first side (a 1,000-notice run prints 400 sheets fewer).
 */
function carrierSheetLayout(carrier: Layout, layout: Layout): Layout {
  if (layout.document === 'card' || carrier.sides.length === 1) return carrier;
  return { ...carrier, sides: carrier.sides.slice(0, 1), sideTemplates: carrier.sideTemplates.slice(0, 1) };
}

/** Prints a run into memory. */
async function printed(run: (sink: PdfSink) => Promise<unknown>): Promise<PDFDocument> {
  const parts: Uint8Array[] = [];
  await run((b) => void parts.push(b));
  return PDFDocument.load(Buffer.concat(parts), { updateMetadata: false });
}

/**
 * Prints a mailing run of `layout`'s records into `sink`: grouped by `options.mail`, ordered by
 * `options.sort`. Throws INVALID_INPUT naming every record that cannot be mailed (no postal code, no
 * household, a member whose 宛名 differs from its envelope's), before anything is printed.
 */
export async function renderMailRun(
  engine: MailEngine,
  layoutId: string,
  raws: readonly unknown[],
  sink: PdfSink,
  options: MailRunOptions,
): Promise<MailRunSummary> {
  const layout = getLayout(engine.layouts, layoutId);
  const sort = options.sort ?? 'input';
  const records = validateRecords(raws, layout, { coverage: pinnedCoverage(), insurers: engine.insurers });
  const carrier = mailCarrier(engine.layouts, layout, options.mail);
  const plan = planMailing(records, options.mail, sort, raws);
  if (plan.problems.length) throw planError(plan.problems, raws.length);
  const { envelopes } = plan;
  const registered = options.registered;
  const numbers = envelopeNumbers(keptNumbers(records, envelopes, raws, registered?.kind), registered);
  const blocks = envelopes.map((e, k) => {
    const envelope = engine.envelopeFor(records[e.records[0] as number]?.insurerNumber, options.envelope);
    const number = numbers?.[k];
    const block = addressBlock(e.to, envelope, registered && number ? { kind: registered.kind, number } : undefined);
    if (registered && block.area.height < REGISTERED_BLOCK_MIN_HEIGHT_MM)
      throw new PrintError(
        'INVALID_INPUT',
        `envelope ${envelope.id}: its window leaves ${block.area.height.toFixed(1)} mm for the 宛名 block, a registered piece's number needs ${REGISTERED_BLOCK_MIN_HEIGHT_MM} mm under it (envelopes/README.md)`,
      );
    return block;
  });
  const order = envelopes.flatMap((e) => e.records);
  // Documents that carry their own 宛名 print their envelope's number in it.
  const envelopeOf = new Map(envelopes.flatMap((e, k) => e.records.map((i) => [i, k] as const)));
  const docRaw = (i: number) =>
    numbers && carrier === null ? { ...(raws[i] as object), registeredNumber: numbers[envelopeOf.get(i) as number] } : raws[i];
  const common = {
    signal: options.signal,
    name: options.name,
    staticMarkup: options.staticMarkup,
    wholePages: options.wholePages,
    chromiumText: options.chromiumText,
  };
  let docsSummary: RenderSummary = { layout: layout.id, pageCount: 0, records: [] };
  const docs = await printed(async (sink) => {
    docsSummary = await engine.render(layout, order.map(docRaw), sink, {
      ...common,
      envelope: options.envelope,
      addressBlocks: carrier === null,
      registered: registered?.kind,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  });
  const sheet = carrier && carrierSheetLayout(carrier, layout);
  const carriers = sheet
    ? await printed((sink) =>
        engine.renderSheets(
          sheet,
          envelopes.flatMap((e, k) => carrierSheets(engine, carrier, layout, records, e, blocks[k] as AddressBlock, options.mail)),
          sink,
          common,
        ),
      )
    : null;
  const out = await PDFDocument.create({ updateMetadata: false });
  const kept = keptEnvelopes(records, envelopes, raws);
  const run = kept?.run ?? options.runId ?? runIdOf(JSON.stringify([layout.id, options.mail, sort, raws]));
  const mailed = await compose(out, {
    layout,
    carrier: sheet,
    docs,
    carriers,
    envelopes,
    blocks,
    run,
    firstEnvelope: options.firstEnvelope ?? 1,
    numbers: kept?.numbers,
  });
  const registeredRun =
    registered && numbers ? registeredOf(registered.kind, records[0]?.insurerNumber, numbers as InquiryNumber[]) : undefined;
  out.setTitle(`${layout.name}: mail by ${options.mail}`);
  out.setProducer('shikaku-print');
  out.setCreator('shikaku-print');
  sink(await out.save());
  // Keys as the documents' render made them (record-key.ts), each record's own.
  const keys = new Map(docsSummary.records.map((r) => [(order[r.record - 1] as number) + 1, r.key]));
  const withKeys = mailed.records.map((r) => ({ ...r, ...(keys.get(r.record) ? { key: keys.get(r.record) as string } : {}) }));
  const envelopeProfile = engine.envelopeFor(records[envelopes[0]?.records[0] ?? 0]?.insurerNumber, options.envelope).id;
  return {
    layout: layout.id,
    pageCount: out.getPageCount(),
    records: withKeys,
    mail: options.mail,
    sort,
    envelopeProfile,
    envelopes: mailed.envelopes,
    ...(registeredRun ? { registered: registeredRun } : {}),
  };
}

/** A registered run as the manifest names it: its kind, sender and numbers (11 digits or printed). */
export function registeredOf(kind: RegisteredKind, insurerNumber: string | undefined, numbers: readonly string[]): RegisteredRun {
  const sorted = numbers.map((n) => n.replace(/-/g, '')).sort();
  return {
    kind,
    label: REGISTERED_KINDS[kind],
    insurerNumber: insurerNumber ?? null,
    first: formatInquiry(sorted[0] as InquiryNumber),
    last: formatInquiry(sorted.at(-1) as InquiryNumber),
    count: numbers.length,
  };
}

interface Composition {
  layout: Layout;
  carrier: Layout | null;
  docs: PDFDocument;
  carriers: PDFDocument | null;
  envelopes: PlannedEnvelope[];
  blocks: AddressBlock[];
  /** The run's id in the matching codes, and the number of its first envelope (a job's chunk starts later). */
  run: string;
  firstEnvelope: number;
  /** A reprint's envelopes keep their numbers (keptEnvelopes); else they count on from firstEnvelope. */
  numbers?: number[] | undefined;
}

/** Puts the printed carriers and documents together, envelope by envelope. */
async function compose(out: PDFDocument, c: Composition): Promise<{ records: RecordPages[]; envelopes: EnvelopeOutput[] }> {
  const sides = c.layout.sides.length;
  const slots = c.carrier && c.layout.document === 'card' ? (c.carrier.mailer?.cardSlots ?? []) : [];
  const onCarrier = slots.length > 0;
  const carrierSides = c.carrier?.sides.length ?? 0;
  // Copied pages keep their compressed content; one copier per source copies its fonts once.
  const docPages = onCarrier ? [] : await out.copyPages(c.docs, c.docs.getPageIndices());
  const carrierPages = c.carriers ? await out.copyPages(c.carriers, c.carriers.getPageIndices()) : [];
  const copier = PDFObjectCopier.for(c.docs.context, out.context);
  const forms = new Map<number, PageForm>();
  const formOf = (p: number) => {
    let form = forms.get(p);
    if (!form) forms.set(p, (form = pageForm(out, copier, c.docs.getPage(p), mmToPt(CARD_MM.width), mmToPt(CARD_MM.height))));
    return form;
  };
  const records: RecordPages[] = [];
  const mailed: EnvelopeOutput[] = [];
  const numberOf = (k: number) => c.numbers?.[k] ?? c.firstEnvelope + k;
  let position = 0; // the document's position in print order (its pages in `docs`)
  let carrierSheet = 0;
  for (const [k, e] of c.envelopes.entries()) {
    const first = out.getPageCount() + 1;
    // The pages of each sheet of the envelope, with the layout that says where its code goes.
    const sheetPages: { pages: PDFPage[]; layout: Layout }[] = [];
    if (c.carrier) {
      const carrier = c.carrier;
      const perSheet = onCarrier ? slots.length : (c.carrier.mailer?.listRows ?? 1);
      for (let s = 0; s * perSheet < e.records.length; s++, carrierSheet++) {
        const front = carrierPages[carrierSheet * carrierSides] as PDFPage;
        out.addPage(front);
        if (!onCarrier) {
          sheetPages.push({ pages: [front], layout: carrier });
          continue;
        }
        const back = carrierPages[carrierSheet * carrierSides + 1];
        if (back) out.addPage(back);
        sheetPages.push({ pages: back ? [front, back] : [front], layout: carrier });
        const frontPage = out.getPageCount() - (back ? 1 : 0);
        e.records.slice(s * perSheet, (s + 1) * perSheet).forEach((index, slot) => {
          const at = slots[slot] as { xMm: number; yMm: number };
          const rect = { x: at.xMm, y: at.yMm, width: CARD_MM.width, height: CARD_MM.height, rotated: false };
          const pageHeightMm = c.carrier?.page.heightMm as number;
          drawInSlot(front, formOf(position * sides), rect, pageHeightMm, 0);
          // The back lands behind its front when the sheet turns over its long edge: mirrored left to right.
          if (back && sides > 1)
            drawInSlot(
              back,
              formOf(position * sides + 1),
              { ...rect, x: (c.carrier?.page.widthMm as number) - rect.x - rect.width },
              pageHeightMm,
              0,
            );
          records.push({ record: index + 1, firstPage: frontPage, lastPage: frontPage + (back ? 1 : 0), envelope: numberOf(k) });
          position++;
        });
      }
    }
    if (!onCarrier) {
      for (const index of e.records) {
        const firstPage = out.getPageCount() + 1;
        const pages = Array.from({ length: sides }, (_, side) => out.addPage(docPages[position * sides + side]));
        records.push({ record: index + 1, firstPage, lastPage: out.getPageCount(), envelope: numberOf(k) });
        // An A4 notice is one sheet (mailed documents are A4 sheets: mailCarrier).
        sheetPages.push({ pages, layout: c.layout });
        position++;
      }
    }
    const block = c.blocks[k] as AddressBlock;
    const codes = sheetPages.map(({ pages, layout }, i) => {
      const code = matchingCode({ run: c.run, envelope: numberOf(k), sheet: i + 1, sheets: sheetPages.length });
      for (const page of pages) drawCodeMark(page, code, layout.matchingCode as NonNullable<Layout['matchingCode']>, layout.page.heightMm);
      return code;
    });
    mailed.push({
      envelope: numberOf(k),
      records: e.records.map((i) => i + 1),
      pages: [first, out.getPageCount()],
      sheets: sheetPages.length,
      postalCode: e.to.postalCode,
      barcode: block.barcode?.data ?? null,
      ...(block.reason ? { reason: block.reason } : {}),
      codes,
      // A registered piece: the receipt list's row, as the piece prints it.
      ...(block.registered
        ? {
            registeredNumber: block.registered.number,
            addressee: `${e.to.name} ${e.to.honorific}`,
            address: block.address.map((line) => line.map((p) => p.text).join('')).join(' '),
          }
        : {}),
    });
  }
  await out.flush();
  records.sort((a, b) => a.record - b.record);
  return { records, envelopes: mailed };
}
