// The receipt list of a registered run (差出票 / 受領証): its rows, weights and summary from the manifest, its CSV,
// and its A4 pages read back in-process (pages, rows in order, the summary, a long name printed whole, the
// bytes); a unit test, it starts no poppler. The page as a picture is the golden golden/receipt-list/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInsurers, NO_INSURERS, PrintError, type Insurers } from '../engine/index.ts';
import {
  receiptCsv,
  receiptList,
  receiptSettings,
  senderSettings,
  type ReceiptEnvelope,
  type ReceiptManifest,
  type ReceiptSettings,
} from '../engine/mail/receipt-list.ts';
import { receiptListPdf } from '../engine/mail/receipt-list-pdf.ts';
import { drawnRuns, type DrawnRun } from './helpers/pdf-lib-text.ts';

const SENDER: ReceiptSettings = receiptSettings({
  sender: { name: '出雲市', postalCode: '693-8530', address: '島根県出雲市今市町70番地', telephone: '0853-00-0002' },
});

/** The printed お問い合わせ番号 `i` places after 131-12-38385-2. */
function number(i: number): string {
  const n = String(1311238385 + i);
  return `${n.slice(0, 3)}-${n.slice(3, 5)}-${n.slice(5)}-${Number(n) % 7}`;
}

/** A registered run's manifest of `count` envelopes; `change` may alter each. */
function manifest(count: number, change: (e: ReceiptEnvelope, i: number) => void = () => undefined): ReceiptManifest {
  const envelopes = Array.from({ length: count }, (_, i): ReceiptEnvelope => {
    const e = {
      envelope: i + 1,
      sheets: 1,
      postalCode: '6930001',
      registeredNumber: number(i),
      addressee: `受取 ${i + 1}郎 様`,
      address: `島根県出雲市今市町${i + 1}番地`,
    };
    change(e, i);
    return e;
  });
  const registered = {
    kind: 'kani' as const,
    label: '簡易書留',
    insurerNumber: '320036',
    first: number(0),
    last: number(count - 1),
    count,
  };
  return { envelopes, registered };
}

const doc = async (m: ReceiptManifest, settings = SENDER) => PDFDocument.load(await receiptListPdf(receiptList(m, settings)));
const texts = (d: PDFDocument, page: number) => drawnRuns(d, page).map((r) => r.text);
const NUMBER = /^\d{3}-\d{2}-\d{5}-\d$/;

describe('receipt list: rows and summary', () => {
  it('numbers the rows 1 … N in envelope order, with the postal code written 123-4567', () => {
    const list = receiptList(manifest(3), SENDER);
    expect(list.rows.map((r) => [r.serial, r.number, r.postalCode])).toEqual([
      [1, '131-12-38385-2', '693-0001'],
      [2, '131-12-38386-3', '693-0001'],
      [3, '131-12-38387-4', '693-0001'],
    ]);
    expect(list.label).toBe('簡易書留');
  });

  it('puts each piece in its weight class at the classes’ edges: sheets × 4.4 g + 6 g, the limit itself within', () => {
    // sheets → grams: 4 → 23.6, 5 → 28, 10 → 50, 11 → 54.4, 21 → 98.4, 22 → 102.8, 32 → 146.8, 33 → 151.2,
    // 55 → 248, 56 → 252.4, 112 → 498.8, 113 → 503.2, 225 → 996.
    const sheets = [4, 5, 10, 11, 21, 22, 32, 33, 55, 56, 112, 113, 225];
    const list = receiptList(
      manifest(sheets.length, (e, i) => void (e.sheets = sheets[i] as number)),
      SENDER,
    );
    expect(list.rows.map((r) => [r.sheets, r.grams, r.weight])).toEqual([
      [4, 23.6, '25g'],
      [5, 28, '50g'],
      [10, 50, '50g'],
      [11, 54.4, '100g'],
      [21, 98.4, '100g'],
      [22, 102.8, '150g'],
      [32, 146.8, '150g'],
      [33, 151.2, '250g'],
      [55, 248, '250g'],
      [56, 252.4, '500g'],
      [112, 498.8, '500g'],
      [113, 503.2, '1kg'],
      [225, 996, '1kg'],
    ]);
    // A profile's own weights: 5 sheets of 5 g in no envelope weigh exactly 25 g, still 25g.
    const own = receiptSettings({ sender: SENDER.sender, sheetGrams: 5, envelopeGrams: 0 });
    expect(
      receiptList(
        manifest(2, (e, i) => void (e.sheets = 5 + i)),
        own,
      ).rows.map((r) => r.weight),
    ).toEqual(['25g', '50g']);
    // Over 1 kg there is no class: refused, naming the envelope.
    expect(() =>
      receiptList(
        manifest(2, (e, i) => void (e.sheets = i === 1 ? 226 : 1)),
        SENDER,
      ),
    ).toThrow(/envelope 2: 226 sheets weigh 1000\.4 g, over the list's 1 kg/);
  });

  it('sums the pieces per weight class, lightest first, with the range of numbers', () => {
    const list = receiptList(
      manifest(7, (e, i) => void (e.sheets = [1, 11, 1, 5, 1, 11, 22][i] as number)),
      SENDER,
    );
    expect(list.summary).toEqual({
      first: '131-12-38385-2',
      last: '131-12-38391-1',
      byWeight: [
        { weight: '25g', pieces: 3 },
        { weight: '50g', pieces: 1 },
        { weight: '100g', pieces: 2 },
        { weight: '150g', pieces: 1 },
      ],
      pieces: 7,
    });
  });

  it('refuses a manifest that is not a registered run’s, saying so', () => {
    const plain = { envelopes: manifest(2).envelopes };
    const refused = (m: ReceiptManifest) => () => receiptList(m, SENDER);
    expect(refused(plain)).toThrow(PrintError);
    expect(refused(plain)).toThrow(/not the manifest of a registered run .*: it has no "registered"/);
    const withoutName = manifest(3, (e, i) => void (i === 1 && delete e.addressee));
    expect(refused(withoutName)).toThrow(/not the manifest of a registered run .*: envelopes\[1\]\.addressee/);
    const twice = manifest(2, (e) => void (e.registeredNumber = number(0)));
    expect(refused(twice)).toThrow(/envelopes 1 and 2 have the same お問い合わせ番号 131-12-38385-2/);
    const wrongDigit = manifest(2, (e, i) => void (i === 1 && (e.registeredNumber = '131-12-38386-4')));
    expect(refused(wrongDigit)).toThrow(/envelope 2: お問い合わせ番号 131-12-38386-4: its check digit is 3/);
    const miscounted = { ...manifest(2), registered: { ...manifest(2).registered!, count: 3 } };
    expect(refused(miscounted)).toThrow(/registered\.count is 3, its envelopes have 2 numbers/);
    try {
      receiptList(plain, SENDER);
    } catch (err) {
      expect((err as PrintError).code).toBe('INVALID_INPUT');
    }
  });

  it('refuses a run whose insurer has no profile, naming the 保険者番号 and the folder', () => {
    expect(() => senderSettings('320036', NO_INSURERS)).toThrow(/no insurer profile for 保険者番号 320036 in no insurer profiles folder/);
    expect(() => senderSettings(null, NO_INSURERS)).toThrow(/carry no 保険者番号/);
  });
});

describe('receipt list: CSV', () => {
  it('is UTF-8 with a BOM, a header line and one CRLF line per piece in the default columns', () => {
    const csv = receiptCsv(
      receiptList(
        manifest(2, (e, i) => void (e.sheets = i === 0 ? 1 : 11)),
        SENDER,
      ),
    );
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.slice(1).split('\r\n')).toEqual([
      'お問い合わせ番号,郵便番号,受取人,重量区分',
      '131-12-38385-2,693-0001,受取 1郎 様,定形 25g以内',
      '131-12-38386-3,693-0001,受取 2郎 様,定形外 100g以内',
      '',
    ]);
  });

  it('has the profile’s columns in its order, quotes what needs it and never lets a cell read as a formula', () => {
    const settings = receiptSettings({ sender: SENDER.sender, columns: ['sheets', 'address', 'number'] });
    const m = manifest(2, (e, i) => void (e.address = i === 0 ? '出雲市今市町1番地, 2階' : '=HYPERLINK("x")'));
    const csv = receiptCsv(receiptList(m, settings));
    expect(csv.slice(1).split('\r\n')).toEqual([
      '枚数,住所,お問い合わせ番号',
      '1,"出雲市今市町1番地, 2階",131-12-38385-2',
      `1,"'=HYPERLINK(""x"")",131-12-38386-3`,
      '',
    ]);
  });
});

describe('receipt list: the A4 pages', () => {
  let big: PDFDocument;
  beforeAll(async () => {
    big = await doc(manifest(300, (e, i) => void (e.sheets = i % 10 === 9 ? 11 : 1)));
  });

  it('prints 300 pieces on 20 A4 pages of 15, numbered n / 20, the rows in order', () => {
    expect(big.getPageCount()).toBe(20);
    const numbers: string[] = [];
    for (let p = 0; p < 20; p += 1) {
      const page = big.getPage(p);
      expect([page.getWidth(), page.getHeight()].map((v) => Math.round(v))).toEqual([595, 842]);
      const t = texts(big, p);
      expect(t).toContain(`${p + 1} / 20`);
      expect(t).toContain('書留・特定記録郵便物等差出票');
      expect(t).toContain('簡易書留');
      expect(t).toContain('〒693-8530\u3000島根県出雲市今市町70番地');
      expect(t).toContain('電話 0853-00-0002');
      // 通番 right after each row's start: 1 … 15 on the first page, 286 … 300 on the last.
      const serials = t.filter((s) => /^\d+$/.test(s)).map(Number);
      expect(serials.filter((n) => n > 15 * p && n <= 15 * (p + 1))).toEqual(Array.from({ length: 15 }, (_, i) => 15 * p + i + 1));
      numbers.push(...t.filter((s) => NUMBER.test(s)));
    }
    expect(numbers).toEqual(Array.from({ length: 300 }, (_, i) => number(i)));
  });

  it('goes on from page to page, and ends with the summary and the empty 引受日付印 box on the last page only', () => {
    const first = texts(big, 0);
    expect(first).toContain('この頁 通番 1〜15（15 通）／ 全 300 通\u3000次頁に続く');
    expect(first).not.toContain('引受日付印（受領印）');
    expect(first).not.toContain('差出の内容（合計）');
    const last = texts(big, 19);
    expect(last).toContain('引受日付印（受領印）');
    expect(last).toContain('131-12-38385-2 〜 131-12-38684-0');
    // 270 pieces of 1 sheet, 30 of 11 sheets; the total in the summary and in the heading.
    const after = (label: string) => last[last.lastIndexOf(label) + 1];
    expect(after('定形 25g以内')).toBe('270 通');
    expect(after('定形外 100g以内')).toBe('30 通');
    expect(after('合計')).toBe('300 通');
    expect(after('差出通数')).toBe('300 通');
  });

  it('shows the profile’s title and columns, and 以下余白 under the last piece', async () => {
    const settings = receiptSettings({
      title: '書留郵便物受領証',
      sender: SENDER.sender,
      columns: ['number', 'addressee', 'address', 'sheets'],
    });
    const d = await doc(manifest(2), settings);
    const t = texts(d, 0);
    expect(t).toContain('書留郵便物受領証');
    expect(t).not.toContain('書留・特定記録郵便物等差出票');
    const headers = ['通番', 'お問い合わせ番号', '郵便番号', '受取人', '住所', '重量区分', '枚数'].filter((h) => t.includes(h));
    expect(headers).toEqual(['通番', 'お問い合わせ番号', '受取人', '住所', '枚数']);
    expect(t).toContain('島根県出雲市今市町2番地');
    expect(t).toContain('以下余白');
  });

  it('prints a long name whole, smaller and on more lines, never cut; a name past the floor is refused without being shown', async () => {
    const name = 'ヤマダ・エンタープライズ・ホールディングス 代表取締役社長 山田 アレクサンドラ・ミハイロヴナ 様';
    const d = await doc(manifest(3, (e, i) => void (i === 1 && (e.addressee = name))));
    const row = drawnRuns(d, 0).filter((r) => r.size < 10.5 && /[ア-ン山]/.test(r.text) && !r.text.startsWith('受取'));
    expect(row.length).toBeGreaterThan(1); // on more than one line
    expect(
      row
        .map((r) => r.text)
        .join('')
        .replace(/ /g, ''),
    ).toBe(name.replace(/ /g, ''));
    expect(drawnRuns(d, 0).some((r) => r.text.includes('…'))).toBe(false);
    for (const r of row) expect(r.size).toBeGreaterThanOrEqual(5);
    const endless = `${'長'.repeat(400)} 様`;
    const refused = receiptListPdf(
      receiptList(
        manifest(2, (e, i) => void (i === 1 && (e.addressee = endless))),
        SENDER,
      ),
    );
    await expect(refused).rejects.toThrow(/^envelope 2: its 受取人 \(402 characters\) does not fit its cell .* even at 5 pt/);
    await expect(refused).rejects.not.toThrow(/長長/);
  });

  it('cuts an address past the floor with …, as the only text it may cut', async () => {
    const settings = receiptSettings({ sender: SENDER.sender, columns: ['number', 'addressee', 'address', 'sheets', 'weight'] });
    const d = await doc(
      manifest(2, (e, i) => void (i === 1 && (e.address = `島根県出雲市${'長い建物の名前'.repeat(40)}`))),
      settings,
    );
    const cut = drawnRuns(d, 0).filter((r) => r.text.includes('長い建物'));
    expect(cut.at(-1)?.text.endsWith('…')).toBe(true);
    expect(cut.every((r) => r.size === 5)).toBe(true);
  });

  it('sets a character BIZ UD Gothic lacks in IPAmj Mincho, the rest of the name in Gothic', async () => {
    const d = await doc(manifest(1, (e) => void (e.addressee = '𠮷岡 正義 様')));
    const runs = drawnRuns(d, 0);
    const mj = runs.filter((r) => r.font.endsWith('+IPAmjMincho'));
    expect(mj.map((r) => r.text)).toEqual(['𠮷']);
    const next = runs[runs.indexOf(mj[0] as DrawnRun) + 1];
    expect(next).toMatchObject({ text: '岡 正義 様', font: expect.stringMatching(/\+BIZUDGothicRegular$/) as unknown });
    expect(next!.x).toBeGreaterThan(mj[0]!.x);
    expect(next!.y).toBe(mj[0]!.y);
    // A list of Gothic text only embeds no Mincho.
    expect(drawnRuns(await doc(manifest(1)), 0).some((r) => r.font.includes('IPAmj'))).toBe(false);
  });

  it('gives the same bytes for the same list, and other bytes for another', async () => {
    const a = await receiptListPdf(receiptList(manifest(17), SENDER));
    const b = await receiptListPdf(receiptList(manifest(17), SENDER));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = await receiptListPdf(
      receiptList(
        manifest(17, (e, i) => void (i === 16 && (e.addressee = '受取 17朗 様'))),
        SENDER,
      ),
    );
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    const d = await PDFDocument.load(a, { updateMetadata: false });
    expect([d.getTitle(), d.getProducer(), d.getCreationDate()]).toEqual([
      '書留・特定記録郵便物等差出票（簡易書留）',
      'shikaku-print',
      undefined,
    ]);
  });
});

describe('receipt list: the sender from the insurer profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-receipts-'));
  let insurers: Insurers;
  beforeAll(async () => {
    writeFileSync(
      join(dir, '320036.json'),
      JSON.stringify({
        insurerNumber: '320036',
        name: '出雲市',
        address: '島根県出雲市今市町70番地',
        receipts: { sender: { name: '出雲市 保険年金課', postalCode: '6938530' }, columns: ['number', 'weight'], sheetGrams: 5 },
      }),
    );
    insurers = await loadInsurers(dir, { sealMm: 10, explicit: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the name, 〒 and columns the profile gives, and the profile’s address when it gives none', async () => {
    const settings = senderSettings('320036', insurers);
    expect(settings).toEqual({
      title: '書留・特定記録郵便物等差出票',
      sender: { name: '出雲市 保険年金課', postalCode: '693-8530', address: '島根県出雲市今市町70番地' },
      columns: ['number', 'weight'],
      sheetGrams: 5,
      envelopeGrams: 6,
    });
    const t = texts(await doc(manifest(1), settings), 0);
    expect(t).toContain('出雲市 保険年金課');
    expect(t.some((s) => s.startsWith('電話'))).toBe(false);
    expect(t).not.toContain('受取人');
  });
});
