import type { RegisteredKind } from './mail/number-band.ts';
import type { FieldFit } from './browser/fit-fields.ts';
import type { Lane } from './browser/tab-pool.ts';
import type { CounterBatchOptions } from './browser/counter-batch.ts';
import type { Insurers } from './insurers/profiles.ts';
import { LAYOUTS_DIR, type Layout } from './layouts/layouts.ts';
import type { RenderSummary } from './output/summary.ts';
import type { OutputOptions } from './output/target.ts';
import type { PngMode } from './png/finish-png.ts';

// What the engine takes and answers: its options, a render's options and results, a layout's summary.

/** Tuning of an engine; every field has a default that suits a 2-core machine. */
export interface EngineOptions {
  /** Tabs printing in parallel in the one browser. */
  tabs: number;
  /** Tabs more, kept for counter prints (RenderOptions.lane): a batch run never takes them. */
  counterTabs: number;
  /** Pages a tab prints before a fresh one takes its place (memory hygiene, as restartAfter for the browser). */
  freshTabAfterPages: number;
  /** Records per document: one page load and one print call serve this many records. */
  chunkSize: number;
  /** Time limit for loading or printing one chunk. */
  timeoutMs: number;
  layoutsDir: string;
  /** The Chromium binary (CHROME_PATH, read by config/env.ts); /usr/bin/chromium when left out. */
  chromePath: string | undefined;
  /** Chunks one browser prints before it is replaced by a fresh one (memory hygiene). */
  restartAfter: number;
  /** Tries of one chunk; between tries the browser is killed and started again. */
  attempts: number;
  /**
   * Counter prints of one layout that arrive together print in one call (engine/browser/counter-batch.ts):
   * how long the first waits for others when nothing of its layout is printing (ms), and the pages of one call at most.
   */
  counterBatch: CounterBatchOptions;
  /** The insurer profiles folder asked for by name (--insurers, SHIKAKU_INSURERS_DIR); `insurers/` when left out. */
  insurersDir?: string | undefined;
  /** Profiles already loaded (the CLI checks records before it starts the engine); wins over insurersDir. */
  insurers?: Insurers | undefined;
  /** The envelope profiles' folder; envelopes/ of this repository when left out. */
  envelopesDir?: string | undefined;
}

/** The engine's tuning when a caller leaves a field out. */
export const ENGINE_DEFAULTS: EngineOptions = {
  // Three on two cores: printing once moved work into node (composing the layers, ~80 ms a chunk), and a
  // third tab keeps both cores printing meanwhile (bench --records 10000: 2 tabs 173, 3 tabs 202, 4 tabs
  // 198 cards/s; proportional memory 1.18, 1.32, 1.49 GiB).
  tabs: 3,
  counterTabs: 0,
  freshTabAfterPages: 4000,
  chunkSize: 100,
  timeoutMs: 120_000,
  layoutsDir: LAYOUTS_DIR,
  chromePath: undefined,
  restartAfter: 2000,
  attempts: 3,
  // A few milliseconds: requests sent at once arrive within 1–2 ms of each other on loopback.
  counterBatch: { waitMs: 3, maxPages: 64, inFlight: 2 },
};

/** A render held in memory, for small requests. */
export interface RenderResult extends RenderSummary {
  pdf: Uint8Array;
}

/** Progress of a render, reported after each chunk. */
export interface RenderProgress {
  recordsDone: number;
  recordsTotal: number;
}

/** What a caller may attach to a render. */
export interface RenderOptions {
  onProgress?: (p: RenderProgress) => void;
  /** Bleed, imposition, duplex, order, colour (the output stage, engine/output/output-stage.ts); trim pages when left out. */
  output?: OutputOptions | undefined;
  /** With `output.color` press: the press's CMYK ICC profile; Ghostscript's CMYK profile when left out. */
  icc?: string | undefined;
  /** With `output.color` press: the press file's title; `name` (or the layout's id) when left out. */
  pressTitle?: string | undefined;
  /** What the slug of imposed sheets calls this run: the output file's or the job's name. */
  name?: string | undefined;
  /** Cancels the render: chunks in Chromium are stopped, no further chunk starts, it rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** `counter` for a person waiting (it goes before batch chunks, and may use the counter tabs); `batch` when left out. */
  lane?: Lane | undefined;
  /** Also answer every fixed box and what fitting did to it (RenderSummary.fitting): the studio's overlay. */
  fitting?: boolean | undefined;
  /**
   * The window envelope (envelopes/<id>.json) the 宛名 blocks are placed for; each record's insurer profile
   * names it when left out, else the default envelope.
   */
  envelope?: string | undefined;
  /**
   * Print the 宛名 block on a layout that has one (layout.json addressBlock) for records with a postalCode;
   * true when left out. A mailing run turns it off for documents that travel behind a carrier.
   */
  addressBlocks?: boolean | undefined;
  /**
   * A registered mailing run's kind (mail-run.ts): each 宛名 block prints its record's `registeredNumber` and
   * its NW-7 barcode. A record's registeredNumber prints only in such a run.
   */
  registered?: RegisteredKind | undefined;
  /** Also answer the field map (RenderSummary.fieldMap), for trim pages: the manifest carries it. */
  fieldMap?: boolean | undefined;
  /**
   * A draft proof for the studio: a box whose text does not fit is reported in `fitting` (fits: false)
   * instead of failing the render, and printed cut off. Never for output that goes anywhere.
   */
  draft?: boolean | undefined;
  /**
   * Print each page whole, in one layer, instead of its static layer once and its variable layer
   * (engine/browser/layers.ts): the check that both print the same pages.
   */
  wholePages?: boolean | undefined;
  /**
   * Print the variable layer with Chromium even where the glyph writer would write it
   * (engine/pdf/text-layer.ts): the check that both draw the same glyphs in the same places.
   */
  chromiumText?: boolean | undefined;
  /**
   * Called with each chunk's static layers as markup (engine/browser/layers.ts staticSignatures), one per
   * page of the output in the chunk's order: the static-layer check (engine/static-check.ts).
   */
  staticMarkup?: ((chunk: number, pages: string[]) => void) | undefined;
}

/** Which page of a render to rasterize, and how to stop it. */
export interface RenderPageOptions {
  /** The page, from 1 to records × sides. */
  page: number;
  /** Resolution of the PNG; 300 when left out. */
  dpi?: number | undefined;
  /** Cancels rendering and rasterizing alike; the promise rejects with CANCELLED. */
  signal?: AbortSignal | undefined;
  /** A proof (default) or pure black on white for a card printer's K panel. */
  png?: PngMode | undefined;
  /** As RenderOptions.lane. */
  lane?: Lane | undefined;
  /** As RenderOptions.fitting: RenderedPage.fitting then holds the boxes of this page. */
  fitting?: boolean | undefined;
  /** As RenderOptions.draft. */
  draft?: boolean | undefined;
}

/** One page of a render as PNG, with the page count of the whole render. */
export interface RenderedPage {
  png: Buffer;
  pageCount: number;
  /** With RenderPageOptions.fitting: the fixed boxes of this page and what fitting did to them. */
  fitting?: FieldFit[];
}

/** What a layout offers, for listings. */
export interface LayoutSummary {
  id: string;
  name: string;
  widthMm: number;
  heightMm: number;
  sides: string[];
  required: string[];
}

/** A layout's public facts. */
export function summarizeLayout(l: Layout): LayoutSummary {
  return {
    id: l.id,
    name: l.name,
    widthMm: l.page.widthMm,
    heightMm: l.page.heightMm,
    sides: l.sides.map((s) => s.id),
    required: [...l.required],
  };
}
