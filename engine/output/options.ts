import { PrintError } from '../errors.ts';
import { parseSheet } from './sheet-plan.ts';
import { OFFICE_OUTPUT, type OutputOptions } from './target.ts';

/** The most records one file of split output may hold: a file is held in memory until it is whole. */
const MAX_SPLIT = 5_000;

/**
 * Reads the production-output options as the CLI (`--bleed`, `--impose a4` …) and the HTTP API
 * (`bleed=true`, `impose=a4` …) give them (docs/spec/interfaces.md, "Production output"): one reading for both, so
 * a value means the same wherever it comes from. A wrong value is INVALID_INPUT naming the option.
 */
export function parseOutputOptions(values: Record<string, unknown>): OutputOptions {
  const text = (name: string): string | undefined => {
    const v = values[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' && typeof v !== 'boolean') throw new PrintError('INVALID_INPUT', `${name} must be given once`);
    return String(v);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = text(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v))
      throw new PrintError('INVALID_INPUT', `${name} expects ${allowed.join(' or ')}, not "${v}"`);
    return v as T;
  };
  const bleed = oneOf('bleed', ['true', 'false'], 'false') === 'true';
  const impose = text('impose');
  const output: OutputOptions = {
    bleed,
    impose: impose === undefined ? undefined : parseSheet(impose),
    duplex: oneOf('duplex', ['long', 'short'], OFFICE_OUTPUT.duplex),
    order: oneOf('order', ['sequential', 'cut-stack'], OFFICE_OUTPUT.order),
    color: oneOf('color', ['office', 'press'], OFFICE_OUTPUT.color),
    pdfvt: false,
  };
  // PDF/VT is what a press's RIP takes for variable data: the default of press output, asked for otherwise.
  output.pdfvt = oneOf('pdfvt', ['true', 'false'], output.color === 'press' ? 'true' : 'false') === 'true';
  if (output.pdfvt && output.impose && output.color !== 'press') {
    throw new PrintError(
      'INVALID_INPUT',
      'pdfvt on imposed sheets needs color=press: their crop marks are CMYK, which PDF/X-4 allows only with a CMYK output intent',
    );
  }
  if (!output.impose && (text('duplex') !== undefined || text('order') !== undefined)) {
    throw new PrintError('INVALID_INPUT', 'duplex and order place pages on imposed sheets: give impose too (a4, a3, sra3 or WxH)');
  }
  const split = text('split');
  if (split !== undefined) {
    if (split !== 'record' && !(/^\d{1,5}$/.test(split) && Number(split) >= 1 && Number(split) <= MAX_SPLIT)) {
      throw new PrintError(
        'INVALID_INPUT',
        `split expects record (a file per record) or N, records a file from 1 to ${MAX_SPLIT}, not "${split}"`,
      );
    }
    if (output.impose)
      throw new PrintError('INVALID_INPUT', 'split makes files of trim pages; imposed sheets hold many records each: leave impose out');
    if (output.color === 'press')
      throw new PrintError(
        'INVALID_INPUT',
        'split files are for electronic delivery; color=press makes one PDF for a press: leave one of them out',
      );
    if (output.pdfvt)
      throw new PrintError(
        'INVALID_INPUT',
        'split files are for electronic delivery; pdfvt makes one PDF for a press: leave one of them out',
      );
    output.split = split === 'record' ? 'record' : Number(split);
  }
  return output;
}

/** The options as a job keeps them and the API shows them (names of docs/spec/interfaces.md). */
export function describeOutput(o: OutputOptions): Record<string, string | boolean> {
  return {
    bleed: o.bleed,
    ...(o.impose ? { impose: o.impose.name, duplex: o.duplex, order: o.order } : {}),
    color: o.color,
    // Shown when it is on, or off against the press default: a job keeps what it was asked for.
    ...(o.pdfvt || o.color === 'press' ? { pdfvt: o.pdfvt } : {}),
    ...(o.split !== undefined ? { split: String(o.split) } : {}),
  };
}
