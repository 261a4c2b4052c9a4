import express, { type Express } from 'express';
import { readFileSync } from 'node:fs';
import swaggerUi from 'swagger-ui-dist';
import { openApiDocument } from '../openapi.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The readable API page: Swagger UI from the npm package, served from here (no network). */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shikaku-print API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
`;

/** The routes that describe the API: /, /v1/openapi.json and its Swagger UI at /docs. */
export function addDocsRoutes(app: Express): void {
  // The API's description, readable without a key: what an integrator reads before asking for one.
  const document = openApiDocument(VERSION);
  app.get('/', (_req, res) => void res.json({ openapi: '/v1/openapi.json', docs: '/docs' }));
  app.get('/v1/openapi.json', (_req, res) => void res.json(document));
  app.use('/docs/assets', express.static(swaggerUi.getAbsoluteFSPath(), { index: false }));
  app.get('/docs', (_req, res) => void res.type('html').send(DOCS_PAGE));
  app.get(
    '/docs/init.js',
    (_req, res) =>
      void res
        .type('js')
        .send("window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#ui', validatorUrl: null, deepLinking: true });\n"),
  );
}
