// Which records go into which envelope, to whom it is addressed, and in what order the envelopes come off
// the printer (issue: mailing; docs/spec/mailing.md, "How insurers mail"): 国保 to the 世帯主, one envelope
// per household; 後期 and 協会けんぽ to each person; 協会けんぽ also through the employer (御中).
import type { InsuranceRecord } from '../records/schema.ts';
import type { FieldProblem } from '../validate/rules.ts';
import type { Addressee } from './address-block.ts';

/** How a run's records are grouped into envelopes (`--mail`, `mail=`). */
export type MailMode = 'household' | 'person' | 'employer';
export const MAIL_MODES: readonly MailMode[] = ['household', 'person', 'employer'];
/** The order of the envelopes: by postal code, then address (`sort=postal`), or as the input first names them. */
export type MailSort = 'postal' | 'input';

/** One envelope: its records (0-based input positions, in print order) and its addressee. */
export interface PlannedEnvelope {
  records: number[];
  to: Addressee;
}

/** A problem of one record (0-based) that keeps the run from being mailed. */
export interface PlanProblem extends FieldProblem {
  index: number;
}

/** Who a record's envelope goes to and which envelope it shares, or what is missing for that. */
type Route = { key: string; to: Addressee } | { problems: FieldProblem[] };

const missing = (path: string, what: string): FieldProblem => ({
  path,
  message: `a mailing run needs ${what}: expected it, received nothing`,
});

/**
 * A person's 宛名 as the record gives it (docs/spec/records.md, Mailing fields): at `mailingAddress`, else
 * `address`; to `addressee`, else in a household the 世帯主, else the person. A part the record lacks is
 * undefined, for the caller to name. A notice's own 宛名 block (render.ts) and a run's envelopes share it.
 */
export function addresseeOf(
  r: InsuranceRecord,
  household = false,
): { postalCode: string | undefined; address: string | undefined; name: string | undefined; honorific: '様' } {
  return {
    postalCode: r.postalCode,
    address: r.mailingAddress ?? r.address,
    name: r.addressee ?? (household ? r.householderName : undefined) ?? r.name,
    honorific: '様',
  };
}

function personRoute(r: InsuranceRecord, index: number, household: boolean): Route {
  const { postalCode, address, name } = addresseeOf(r, household);
  const problems: FieldProblem[] = [];
  if (postalCode === undefined) problems.push(missing('postalCode', 'the 郵便番号 of the 宛名'));
  if (address === undefined) problems.push(missing('mailingAddress', 'the address of the 宛名 (mailingAddress or address)'));
  if (name === undefined) problems.push(missing('addressee', 'the name of the 宛名 (addressee or name)'));
  if (household && r.householdId === undefined && r.householderName === undefined) {
    problems.push(missing('householdId', 'the household: householdId, or householderName with the address'));
  }
  if (problems.length || address === undefined || postalCode === undefined || name === undefined) return { problems };
  // A household is its id, else its 世帯主氏名 and address (docs/spec/records.md, Mailing fields).
  const key = household
    ? r.householdId !== undefined
      ? `id\u0000${r.householdId}`
      : `hh\u0000${r.householderName}\u0000${address}`
    : `p\u0000${index}`;
  return { key, to: { postalCode, address, name, honorific: '様' } };
}

function employerRoute(r: InsuranceRecord): Route {
  const problems: FieldProblem[] = [];
  if (r.employerId === undefined) problems.push(missing('employerId', 'the employer (事業所)'));
  if (r.employerName === undefined) problems.push(missing('employerName', "the employer's name"));
  if (r.employerPostalCode === undefined) problems.push(missing('employerPostalCode', "the employer's 郵便番号"));
  if (r.employerAddress === undefined) problems.push(missing('employerAddress', "the employer's address"));
  if (problems.length || !r.employerId || !r.employerName || !r.employerPostalCode || !r.employerAddress) return { problems };
  return {
    key: `e\u0000${r.employerId}`,
    to: { postalCode: r.employerPostalCode, address: r.employerAddress, name: r.employerName, honorific: '御中' },
  };
}

/** Postal code, then address, then where the envelope first appears: a stable order the post can work with. */
function postalOrder(a: PlannedEnvelope, b: PlannedEnvelope): number {
  if (a.to.postalCode !== b.to.postalCode) return a.to.postalCode < b.to.postalCode ? -1 : 1;
  if (a.to.address !== b.to.address) return a.to.address < b.to.address ? -1 : 1;
  return (a.records[0] ?? 0) - (b.records[0] ?? 0);
}

/**
 * Groups validated records into envelopes. Every record lands in exactly one envelope; records of one
 * envelope keep their input order. Records of one household or employer must agree on the 宛名: a member
 * whose postal code or address differs from the envelope's first record is a problem, never a guess.
 */
export function planEnvelopes(
  records: readonly InsuranceRecord[],
  mode: MailMode,
  sort: MailSort,
): { envelopes: PlannedEnvelope[]; problems: PlanProblem[] } {
  const problems: PlanProblem[] = [];
  const byKey = new Map<string, PlannedEnvelope>();
  records.forEach((r, index) => {
    const route = mode === 'employer' ? employerRoute(r) : personRoute(r, index, mode === 'household');
    if ('problems' in route) {
      problems.push(...route.problems.map((p) => ({ ...p, index })));
      return;
    }
    const known = byKey.get(route.key);
    if (!known) {
      byKey.set(route.key, { records: [index], to: route.to });
      return;
    }
    if (known.to.postalCode !== route.to.postalCode || known.to.address !== route.to.address) {
      const first = (known.records[0] ?? 0) + 1;
      // The field that differs: the postal code when it does, else the address.
      const postal = known.to.postalCode !== route.to.postalCode;
      const path = mode === 'employer' ? (postal ? 'employerPostalCode' : 'employerAddress') : postal ? 'postalCode' : 'mailingAddress';
      problems.push({
        index,
        path,
        message: `the 宛名 differs from record ${first} of the same envelope: expected the same 郵便番号 and address`,
      });
      return;
    }
    known.records.push(index);
  });
  const envelopes = [...byKey.values()];
  if (sort === 'postal') envelopes.sort(postalOrder);
  return { envelopes, problems };
}
