// The people and profile folders of the insurer-profile tests (insurers*.test.ts).
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_INSURERS_DIR } from '../../engine/index.ts';

/** A person of the 島根 後期高齢者医療 union, with no insurer fields of their own. */
export const koukiPerson = {
  insurerNumber: '39320015',
  number: '00123456',
  name: '石橋 梅',
  nameKana: 'イシバシ ウメ',
  sex: '女',
  birthDate: '1944-03-03',
  address: '島根県出雲市今市町1234番地',
  qualifiedDate: '2019-03-03',
  issueDate: '2026-08-01',
  expiryDate: '2027-07-31',
  effectiveDate: '2026-08-01',
  copayRate: 1,
};
/** A 協会けんぽ member with no insurer fields of their own. */
export const kenpoPerson = {
  insurerNumber: '01320019',
  symbol: '32010203',
  number: '45',
  branch: '00',
  name: '協会 太郎',
  nameKana: 'キョウカイ タロウ',
  sex: '男',
  birthDate: '1989-05-10',
  qualifiedDate: '2024-12-02',
  issueDate: '2024-12-02',
  expiryDate: '2029-11-30',
  relationship: '本人',
};

/** A folder of profiles under `parent`: the samples' seals, and `profiles` written as <number>.json. */
export function profilesDir(parent: string, profiles: Record<string, unknown>[]): string {
  const root = mkdtempSync(join(parent, 'profiles-'));
  cpSync(join(SAMPLE_INSURERS_DIR, 'seals'), join(root, 'seals'), { recursive: true });
  for (const p of profiles) writeFileSync(join(root, `${String(p.insurerNumber)}.json`), JSON.stringify(p));
  return root;
}
