import { OptionError } from './report.ts';

/** A required string option, or an OptionError naming it. */
export function requireOption(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new OptionError(`--${name} is required`);
  return v;
}

/** A whole-number option within [min, max], or an OptionError saying what was expected. */
export function intOption(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) {
    throw new OptionError(`--${name} expects a whole number from ${min} to ${max}, received ${JSON.stringify(v)}`);
  }
  return n;
}

/** The output format option: pdf or png. */
export function formatOption(values: Record<string, unknown>): 'pdf' | 'png' {
  const v = values.format;
  if (v !== 'pdf' && v !== 'png') throw new OptionError(`--format expects pdf or png, received "${String(v)}"`);
  return v;
}

/** The PNG mode option: proof (default) or k, pure black on white for card printers. */
export function pngOption(values: Record<string, unknown>): 'proof' | 'k' {
  const v = values.png ?? 'proof';
  if (v !== 'proof' && v !== 'k') throw new OptionError(`--png expects proof or k, received ${JSON.stringify(v)}`);
  return v;
}

/** A string option when given, else undefined. */
export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
