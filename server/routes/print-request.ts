import type { Request } from 'express';
import { parseOutputOptions, PrintError, type OutputOptions } from '../../engine/index.ts';

/** The body's media type without its parameters; no Content-Type is JSON. */
export const mediaType = (req: Request) => (req.get('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();

/** The production-output options of a request's query (docs/spec/interfaces.md); a wrong one is a 400 naming it. */
export function outputOf(req: Request): OutputOptions {
  try {
    return parseOutputOptions(req.query);
  } catch (err) {
    if (err instanceof PrintError && err.code === 'INVALID_INPUT') throw new PrintError('BAD_REQUEST', err.message);
    throw err;
  }
}
