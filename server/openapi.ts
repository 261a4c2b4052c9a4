// The OpenAPI 3.1 description of the HTTP API (GET /v1/openapi.json), generated from the zod schemas the
// routes validate with (api-schemas.ts): every route, its statuses and its headers.
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  JobAccepted,
  JobList,
  JobListQuery,
  JobQuery,
  JobStatus,
  LayoutInfo,
  Manifest,
  Problem,
  Record_,
  RenderQuery,
} from './api-schemas.ts';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const RETRY_AFTER = z.string().meta({ description: 'seconds to wait before trying again' });
const REQUEST_ID = z.string().meta({ description: "the request's id: the caller's X-Request-Id when sane, else a new one" });
const DOWNLOAD_HEADERS = {
  'Content-Length': z.string(),
  'Content-Disposition': z.string().meta({
    description: 'attachment; filename=<layout>-<job id>.pdf (.zip, .manifest.json …); only on 200 and 206, never on an error',
  }),
  ETag: z.string().meta({ description: 'a strong entity tag ("<size>-<mtime>", hex): the file never changes once the job is done' }),
  'Last-Modified': z.string(),
  'Accept-Ranges': z.literal('bytes'),
};
const common: ZodOpenApiResponsesObject = {
  '401': problem('no or wrong API key'),
  '503': {
    ...problem('not ready (no browser yet), stopping, or a render past its time limit'),
    headers: z.object({ 'Retry-After': RETRY_AFTER }),
  },
};
const jobId = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/) });
const requestIdHeader = z.object({
  'X-Request-Id': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .optional()
    .meta({ description: 'kept, logged and answered' }),
});

const RESULT_TYPES = ['application/pdf', 'application/zip'];

const download = (what: string, types: string[], schema?: z.ZodType): ZodOpenApiOperationObject => ({
  summary: `the job's ${what}, as a resumable download`,
  requestParams: {
    path: jobId,
    header: requestIdHeader.extend({
      Range: z.string().optional().meta({ description: 'bytes=FIRST-LAST (or FIRST-, or -SUFFIX): answered 206' }),
      'If-Range': z.string().optional().meta({
        description:
          'the ETag or Last-Modified of the copy held: the range is sent only if it is still that file, by the strong comparison of RFC 9110 (a weak W/"…" tag never matches; a date only when it is exactly Last-Modified); otherwise the whole file, 200',
      }),
      'If-None-Match': z.string().optional(),
    }),
  },
  responses: {
    '200': {
      description: what,
      headers: z.object(DOWNLOAD_HEADERS),
      content: Object.fromEntries(types.map((type) => [type, { schema: schema ?? z.string().meta({ format: 'binary' }) }])),
    },
    '206': { description: 'the part asked for with Range', headers: z.object({ ...DOWNLOAD_HEADERS, 'Content-Range': z.string() }) },
    '304': { description: 'not modified since the ETag given in If-None-Match' },
    '404': problem('no such job (or another key’s)'),
    '409': problem('the job is not done yet'),
    '410': problem('the job was deleted meanwhile'),
    '416': {
      ...problem('the range is not within the file: problem+json, without Content-Disposition'),
      headers: z.object({ 'Content-Range': z.string().meta({ description: 'bytes */<size>' }) }),
    },
    ...common,
  },
});

/** The OpenAPI 3.1 document of the service. */
export function openApiDocument(version: string): object {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'shikaku-print',
      version,
      description:
        'Print service for 資格確認書 and 資格情報のお知らせ: synchronous renders for a counter, batch jobs for a renewal run. Errors are application/problem+json (RFC 9457). Every answer carries X-Request-Id.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'SHIKAKU_API_KEYS' } } },
    security: [{ bearer: [] }],
    paths: {
      '/': {
        get: {
          summary: 'where the API description is',
          security: [],
          responses: {
            '200': {
              description: 'links to /v1/openapi.json and /docs',
              content: { 'application/json': { schema: z.object({ openapi: z.string(), docs: z.string() }) } },
            },
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'liveness',
          security: [],
          responses: {
            '200': {
              description: 'the process answers',
              content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
            },
          },
        },
      },
      '/readyz': {
        get: {
          summary: 'readiness: a browser is up and the data folder has room',
          security: [],
          responses: {
            '200': {
              description: 'ready',
              content: {
                'application/json': {
                  schema: z.object({
                    ready: z.boolean(),
                    browser: z.boolean(),
                    disk: z.object({ freeMb: z.number(), minFreeMb: z.number(), low: z.boolean() }),
                  }),
                },
              },
            },
            '503': { description: 'not ready', content: { 'application/json': { schema: z.object({ ready: z.boolean() }).loose() } } },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      '/docs': {
        get: {
          summary: 'this description as a readable page (served offline)',
          security: [],
          responses: { '200': { description: 'HTML', content: { 'text/html': { schema: z.string() } } } },
        },
      },
      '/v1/openapi.json': {
        get: {
          summary: 'this document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.object({}).loose() } } } },
        },
      },
      '/v1/layouts': {
        get: {
          summary: 'the layouts: page size, sides, required fields',
          requestParams: { header: requestIdHeader },
          responses: { '200': { description: 'layouts', content: { 'application/json': { schema: z.array(LayoutInfo) } } }, ...common },
        },
      },
      '/v1/render/{layout}': {
        post: {
          summary: 'a synchronous render of at most 500 records: a PDF, or one page as PNG',
          requestParams: { path: z.object({ layout: z.string() }), query: RenderQuery, header: requestIdHeader },
          requestBody: { required: true, content: { 'application/json': { schema: z.union([Record_, z.array(Record_)]) } } },
          responses: {
            '200': {
              description: 'the PDF, or with Accept: image/png the page',
              headers: z.object({ 'X-Request-Id': REQUEST_ID }),
              content: {
                'application/pdf': { schema: z.string().meta({ format: 'binary' }) },
                'image/png': { schema: z.string().meta({ format: 'binary' }) },
              },
            },
            '400': problem('a malformed body or a wrong option'),
            '404': problem('no such layout'),
            '413': problem('more than 500 records, or a body over 2 MiB: send a job'),
            '415': problem('a body that is not JSON'),
            '422': problem('invalid records (each named with its fields), or a page or dpi out of range'),
            '429': { ...problem('the render queue is full'), headers: z.object({ 'Retry-After': RETRY_AFTER }) },
            ...common,
          },
        },
      },
      '/v1/jobs': {
        post: {
          summary: 'a batch job: JSON array, NDJSON or CSV (UTF-8 or Shift_JIS; a header of field names or labels)',
          requestParams: {
            query: JobQuery,
            header: requestIdHeader.extend({
              'Idempotency-Key': z
                .string()
                .regex(/^[\x21-\x7e]{1,255}$/)
                .optional()
                .meta({ description: 'a retry with the same key and request answers 200 with the first job' }),
            }),
          },
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: z.array(Record_) },
              'application/x-ndjson': { schema: z.string().meta({ description: 'one record (JSON) a line' }) },
              'text/csv': {
                schema: z.string().meta({ description: 'a header of field names or their labels (docs/fields.md), a record a row' }),
              },
            },
          },
          responses: {
            '200': {
              description: 'a retry of a job already made (Idempotency-Key): the first job',
              headers: z.object({ Location: z.string(), 'Idempotent-Replayed': z.literal('true') }),
              content: { 'application/json': { schema: JobAccepted } },
            },
            '202': {
              description:
                'the job is taken in and queued; a body whose Content-Length is over SHIKAKU_ACCEPT_ON_RECEIPT_KB (default 16 MiB) is answered once received, state validating, and checked afterwards: its job then goes on queued, or ends failed with the error and problems (rejections, rejectionCount) its 422 would have carried',
              headers: z.object({ Location: z.string() }),
              content: { 'application/json': { schema: JobAccepted } },
            },
            '400': problem('a malformed body, a wrong option or Idempotency-Key'),
            '404': problem('no such layout'),
            '413': problem('a body over the job limit'),
            '415': problem('a body that is not JSON, NDJSON or CSV'),
            '422': problem(
              'a CSV header naming no field, too many invalid records, an Idempotency-Key used for another request, or a callbackUrl refused',
            ),
            '429': {
              ...problem(
                'another request with this Idempotency-Key is still being taken in (a cluster waits up to two intake leases for it first)',
              ),
              headers: z.object({ 'Retry-After': RETRY_AFTER.meta({ description: 'seconds: one intake lease (SHIKAKU_INTAKE_LEASE_S)' }) }),
            },
            '507': { ...problem('no room in the data folder'), headers: z.object({ 'Retry-After': RETRY_AFTER }) },
            ...common,
          },
        },
        get: {
          summary: "the key's jobs, newest first",
          requestParams: { query: JobListQuery, header: requestIdHeader },
          responses: {
            '200': { description: 'a page of jobs and the URL of the next', content: { 'application/json': { schema: JobList } } },
            '400': problem('a wrong state or limit'),
            ...common,
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: "a job's state and progress",
          requestParams: { path: jobId, header: requestIdHeader },
          responses: {
            '200': { description: 'the job', content: { 'application/json': { schema: JobStatus } } },
            '404': problem('no such job (or another key’s)'),
            ...common,
          },
        },
        delete: {
          summary: 'cancels a job and deletes everything of it',
          requestParams: { path: jobId, header: requestIdHeader },
          responses: { '204': { description: 'deleted' }, '404': problem('no such job (or another key’s)'), ...common },
        },
      },
      '/v1/jobs/{id}/result': {
        get: download('PDF (a ZIP of PDFs with split)', RESULT_TYPES),
        head: download('PDF or ZIP (headers only)', RESULT_TYPES),
      },
      '/v1/jobs/{id}/manifest': {
        get: download('manifest', ['application/json'], Manifest),
        head: download('manifest (headers only)', ['application/json'], Manifest),
      },
      '/v1/jobs/{id}/mailing': {
        get: download('mailing summary of a mail= job: envelopes per 郵便区, per sheet count, with and without barcode (counts only)', [
          'application/json',
        ]),
        head: download('mailing summary (headers only)', ['application/json']),
      },
      '/v1/jobs/{id}/mailing.pdf': {
        get: download('mailing summary of a mail= job, printable for the 差出票', ['application/pdf']),
        head: download('mailing summary PDF (headers only)', ['application/pdf']),
      },
      '/v1/jobs/{id}/receipts.pdf': {
        get: download('receipt list (差出票 / 受領証) of a registered= job: 15 pieces a page, sender from the insurer profile', [
          'application/pdf',
        ]),
        head: download('receipt list PDF (headers only)', ['application/pdf']),
      },
      '/v1/jobs/{id}/receipts.csv': {
        get: download('receipt list of a registered= job as CSV (UTF-8 with BOM)', ['text/csv']),
        head: download('receipt list CSV (headers only)', ['text/csv']),
      },
    },
  });
}
