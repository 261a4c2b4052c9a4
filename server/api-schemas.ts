// The HTTP API's shapes as zod schemas: the routes validate queries with them, and the OpenAPI document
// (openapi.ts) is generated from them, so that what is documented is what is checked.
import { z } from 'zod';
import { PrintError, recordSchema } from '../engine/index.ts';
import { JOB_STATES, WEBHOOK_STATES } from './jobs/job-model.ts';

/** One record of the record contract (docs/fields.md): the engine's own schema. */
export const Record_ = recordSchema.meta({
  id: 'Record',
  description: 'One insured person. Which fields a layout requires: GET /v1/layouts; every field: docs/fields.md.',
});

/** RFC 9457 problem with the contract's list of record problems. */
/** One problem of one record and field: in problem answers and in a job's rejections. */
const RecordProblemEntry = z.object({ record: z.number().int(), path: z.string(), message: z.string() });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(RecordProblemEntry).describe('at most 100 problems, each of one record and field (record 0: the body or its header)'),
    errorCount: z.number().int().describe('how many problems there are in all'),
  })
  .meta({ id: 'Problem' });

/** The production-output options (docs/spec/interfaces.md): query parameters of renders and jobs. */
export const OutputQuery = z.object({
  bleed: z.enum(['true', 'false']).optional().describe('pages are the trim plus 3 mm bleed on each side'),
  impose: z.string().optional().describe('press sheets: a4, a3, sra3, sra4 or WxH in mm'),
  duplex: z.enum(['long', 'short']).optional().describe('how backs are placed behind fronts (with impose)'),
  order: z.enum(['sequential', 'cut-stack']).optional().describe('slot order on sheets (with impose)'),
  color: z.enum(['office', 'press']).optional().describe('press: K-only black, CMYK through an ICC profile, PDF/X-4'),
  pdfvt: z
    .enum(['true', 'false'])
    .optional()
    .describe('PDF/VT-1 on PDF/X-4, one document part per record (per sheet with impose); true by default with color=press'),
});

/** `POST /v1/render/{layout}`'s query. */
export const RenderQuery = OutputQuery.extend({
  page: z.coerce.number().int().min(1).optional().describe('with Accept: image/png, the page to answer (default 1)'),
  dpi: z.coerce.number().int().min(72).max(600).optional().describe('with Accept: image/png, the density (default 300)'),
  png: z.enum(['proof', 'k']).optional().describe('with Accept: image/png: proof (default) or k, pure black on white'),
});

/** `POST /v1/jobs`'s query. */
export const JobQuery = OutputQuery.extend({
  layout: z.string().describe('the layout id (GET /v1/layouts)'),
  // A string here: the webhook check answers a wrong one with 422 naming what is wrong with it.
  callbackUrl: z.string().optional().describe('a webhook POSTed when the job ends: an http(s) URL to a host of SHIKAKU_WEBHOOK_HOSTS'),
  // Checked with the other output options (parseOutputOptions), which say what is wrong.
  split: z
    .string()
    .optional()
    .describe(
      "a ZIP of PDFs instead of one PDF: `record`, one per record named by its key (`ref`, else its insurance numbers); N, files of N records (part-0001.pdf …). The manifest names each record's file. Not with impose or color=press",
    ),
  mail: z
    .enum(['household', 'person', 'employer'])
    .optional()
    .describe(
      "a mailing run: records grouped into envelopes (国保 household to the 世帯主, each person, or through the employer 御中), each envelope's carrier then its documents; the manifest lists the envelopes, mailing.json and mailing.pdf count them. Trim pages only",
    ),
  sort: z.enum(['postal']).optional().describe('with mail: envelopes by postal code, then address (input order when left out)'),
  envelope: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .optional()
    .describe("the window envelope profile the 宛名 is placed for; the insurer profile's when left out"),
  registered: z
    .enum(['kani', 'tokutei', 'ippan'])
    .optional()
    .describe(
      'with mail: registered or recorded mail (簡易書留, 特定記録, 一般書留): each envelope gets the next お問い合わせ番号 of `numbers` that no earlier run took, printed with its NW-7 barcode under the 宛名; the manifest lists them (and the receipt list’s rows)',
    ),
  numbers: z
    .string()
    .max(40)
    .optional()
    .describe('with registered: the band the post office handed out, FIRST or FIRST-LAST (131-12-38385-2 or 11 digits)'),
});

/** `GET /v1/jobs`'s query. */
export const JobListQuery = z.object({
  state: z.enum(JOB_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('jobs a page (default 50)'),
  cursor: z.string().optional().describe('from `next` of the previous page'),
});

export const JobAccepted = z
  .object({ id: z.string(), url: z.string(), state: z.enum(JOB_STATES), records: z.number().int() })
  .meta({ id: 'JobAccepted' });

export const JobStatus = z
  .object({
    id: z.string(),
    url: z.string(),
    layout: z.string(),
    state: z
      .enum(JOB_STATES)
      .describe('validating: a body answered 202 on receipt whose records are still being checked (total: counted so far)'),
    stale: z
      .literal(true)
      .optional()
      .describe("a cluster's job while Redis is unreachable: state and progress are what its folder said at asOf, not now"),
    asOf: z.string().optional().describe('with stale: when the state and progress shown were saved'),
    progress: z.object({ done: z.number().int(), total: z.number().int(), rejected: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
    rejections: z.array(RecordProblemEntry).optional(),
    rejectionCount: z.number().int(),
    output: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
    callbackUrl: z.string().optional(),
    webhook: z
      .object({
        state: z.enum(WEBHOOK_STATES),
        attempts: z.number().int(),
        delivery: z.string().describe('X-Shikaku-Delivery of every attempt'),
      })
      .optional()
      .describe('where the webhook of an ended job stands; retries go on after a restart'),
    error: z
      .string()
      .optional()
      .describe('why it failed; a body refused after a 202 says what its 422 would have said, its problems in rejections'),
    retryable: z
      .literal(true)
      .optional()
      .describe('with state failed: failed for now, not for good (the disk was full); it resumes by itself once there is room'),
    result: z.string().optional(),
    manifest: z.string().optional(),
  })
  .meta({ id: 'JobStatus' });

export const JobList = z.object({ jobs: z.array(JobStatus), next: z.string().optional() }).meta({ id: 'JobList' });

export const Manifest = z
  .object({
    job: z.string(),
    layout: z.string(),
    records: z.array(
      z.object({
        record: z.number().int(),
        key: z.string().optional().describe("the record's ref, else its insurance numbers"),
        pages: z.array(z.number().int()).optional().describe('first and last page (of its file, with split)'),
        file: z.string().optional().describe('with split: the file of the ZIP that holds the record'),
        placements: z
          .array(
            z.object({ sheet: z.number().int(), side: z.enum(['front', 'back']), slot: z.number().int(), trimMm: z.array(z.number()) }),
          )
          .optional(),
        rejected: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    ),
    fieldMap: z
      .array(
        z.object({
          side: z.string(),
          fields: z.array(z.object({ field: z.string(), label: z.string(), boxMm: z.array(z.array(z.number())) })),
        }),
      )
      .optional()
      .describe(
        "trim-page output: where each fixed box is on each side, in mm from the page's top-left (the proof diff names changed fields by it)",
      ),
  })
  .meta({ id: 'Manifest' });

export const LayoutInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    document: z.string(),
    page: z.object({ widthMm: z.number(), heightMm: z.number() }),
    sides: z.array(z.string()),
    required: z.array(z.string()),
  })
  .meta({ id: 'Layout' });

/** Parses a query with `schema`; a wrong parameter is BAD_REQUEST (400) naming it. */
export function queryOf<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw new PrintError('BAD_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
}
