import { PrintError, type Engine, type OutputOptions, type PngMode, type RecordProblem } from '../engine/index.ts';

/**
 * A counter print (POST /v1/render/{layout}) as plain data, checked by the route: what a service prints in
 * its own engine, and what an `--api-only` instance sends to a cluster's workers (redis/counter-prints.ts).
 */
export interface CounterRequest {
  layout: string;
  /** The layout's name: a press file's title. */
  title: string;
  /** The records as received (a few: the route's limit). */
  records: unknown[];
  /** The PDF's output options (office output for a PNG). */
  output: OutputOptions;
  /** A PNG of one page instead of the PDF. */
  png?: { page: number; dpi: number; mode: PngMode } | undefined;
}

/** A counter print's answer: the file and how many pages the render made. */
export interface CounterResult {
  type: 'application/pdf' | 'image/png';
  body: Buffer;
  pageCount: number;
}

/** Counter prints sent elsewhere: the cluster's workers, for an API instance without a browser (`serve --api-only`). */
export interface RemoteCounter {
  /** Prints `request` on a worker within the instance's time limit, or until `signal` aborts. */
  print(request: CounterRequest, signal: AbortSignal): Promise<CounterResult>;
  close(): Promise<void>;
}

/** Prints a counter request in `engine`'s counter lane: the one way a service and a worker print it. */
export async function printAtCounter(
  engine: Engine,
  req: CounterRequest,
  o: { signal: AbortSignal; pressIcc?: string | undefined },
): Promise<CounterResult> {
  if (req.png) {
    const { page, dpi, mode } = req.png;
    const { png, pageCount } = await engine.renderPage(req.layout, req.records, {
      page,
      dpi,
      signal: o.signal,
      png: mode,
      lane: 'counter',
    });
    return { type: 'image/png', body: png, pageCount };
  }
  const result = await engine.renderPdf(req.layout, req.records, {
    signal: o.signal,
    output: req.output,
    name: `${req.layout}.pdf`,
    lane: 'counter',
    icc: o.pressIcc,
    pressTitle: req.title,
  });
  return { type: 'application/pdf', body: Buffer.from(result.pdf), pageCount: result.pageCount };
}

/** A PrintError as data, to cross a process boundary with its code, message and problems intact. */
export interface PrintErrorData {
  code: PrintError['code'];
  message: string;
  problems: readonly RecordProblem[];
  problemCount: number;
  retryAfterS?: number | undefined;
  facts: Record<string, string | number>;
}

/** `err` as data; anything but a PrintError is a RENDER failure whose text is not passed on (it may quote a record). */
export function errorData(err: unknown): PrintErrorData {
  if (err instanceof PrintError) {
    const { code, message, problems, problemCount, retryAfterS, facts } = err;
    return { code, message, problems, problemCount, retryAfterS, facts };
  }
  return { code: 'RENDER', message: 'the render failed', problems: [], problemCount: 0, facts: {} };
}

/** The PrintError `errorData` described. */
export function errorOf(d: PrintErrorData): PrintError {
  return new PrintError(d.code, d.message, {
    problems: d.problems,
    problemCount: d.problemCount,
    ...(d.retryAfterS === undefined ? {} : { retryAfterS: d.retryAfterS }),
    facts: d.facts,
  });
}
