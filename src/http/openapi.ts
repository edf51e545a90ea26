import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, onSendHookHandler, RouteOptions } from 'fastify';
import { headers, RESPONSE_HEADERS } from './openapi.headers';
import { makeStrict } from './openapi.strict';
import { addRouteConfig } from './route-config';
import { addRouteHook } from './route-hooks';

/** What each group of operations is for, as documentation tools show it above the group. */
const TAGS: Record<string, string> = {
  auth: 'Access tokens: sign in with an email and password for a Bearer token.',
  users: 'Sign-up, and your own user: read it, or replace its name and email.',
  orders:
    'Orders, each created exactly once per Idempotency-Key; read, listed and cancelled by their owner only.',
  files:
    'Uploads (images get a WebP thumbnail in the background), their metadata and bytes, whole or by range, and links that need no token.',
  'order-exports':
    'CSV exports of your orders, made in the background: 202 Accepted, then follow the export until it is done.',
  events:
    'Every change to your users, orders, files and exports, as pages or as a live stream (Server-Sent Events).',
  health: 'Probes for orchestrators and load balancers, and the synthetic create check.',
};

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details with a stable machine-readable `code`.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'urn:order-service:problem:validation_failed' },
    title: { type: 'string', example: 'Validation failed' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string' },
    code: { type: 'string', example: 'validation_failed' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** The OpenAPI 3.1 document, generated from the controllers and DTOs (see nest-cli.json's plugin). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Order service')
    .setDescription(
      'Create users, orders and files exactly once. Errors are application/problem+json with a stable `code`. ' +
        'Every create answers 201 with Location and ETag and honours Idempotency-Key; keys are remembered for IDEMPOTENCY_TTL (24 h by default). ' +
        'Every answer also carries X-Content-Type-Options: nosniff and Cache-Control: no-store on creates, changes and problems, private, no-cache on reads.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer');
  for (const [name, description] of Object.entries(TAGS)) config.addTag(name, description);
  const document = SwaggerModule.createDocument(app, config.build(), {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA },
    headers: RESPONSE_HEADERS,
  };
  addRequestIdHeader(document);
  return makeStrict(document);
}

/** Every answer carries X-Request-Id (an onRequest hook sets it), so every response documents it. */
function addRequestIdHeader(document: OpenAPIObject) {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      for (const response of Object.values(pathItem[method]?.responses ?? {})) {
        if (!response || '$ref' in response) continue; // shared ones (components.responses) carry it already
        response.headers = { ...headers('X-Request-Id'), ...response.headers };
      }
    }
  }
}

const DOCS_PATH = 'api/docs';

/**
 * What the docs page may load: its own scripts and styles, images from this origin or made in the
 * page (icons as data: URLs; a thumbnail "Try it out" fetched, as a blob: URL), and requests to
 * this origin ("Try it out"); nothing else, and no page may frame it. The token typed into its
 * Authorize dialog lives on the API's origin, so no script from elsewhere may run there. Inline
 * styles stay allowed: the template has <style> blocks and the UI sets style attributes.
 */
export const DOCS_CONTENT_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const sendDocsPolicy: onSendHookHandler = (_request, reply, payload, done) => {
  void reply.header('Content-Security-Policy', DOCS_CONTENT_POLICY);
  done(null, payload);
};

const DOCUMENT_PATHS = ['api/openapi.json', 'api/openapi.yaml'];

/**
 * YAML's registered media type (RFC 9512), where @nestjs/swagger sends `text/yaml`: on the
 * document alone, not on a problem the route may answer instead (503 while shutting down).
 */
const sendYamlMediaType: onSendHookHandler = (_request, reply, payload, done) => {
  if (String(reply.getHeader('content-type')).startsWith('text/yaml'))
    void reply.header('Content-Type', 'application/yaml; charset=utf-8');
  done(null, payload);
};

/** Serves the document (/api/openapi.json, .yaml) and a browsable UI at /api/docs, to anyone. */
export function serveOpenApi(app: INestApplication) {
  // On the docs' routes alone (the static files' too): no other request pays for a hook.
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  const isDocs = (route: RouteOptions) =>
    route.url === `/${DOCS_PATH}` || route.url.startsWith(`/${DOCS_PATH}/`);
  addRouteHook(fastify, 'onSend', isDocs, sendDocsPolicy);
  const isDocument = (route: RouteOptions) => DOCUMENT_PATHS.includes(route.url.slice(1));
  // Every route under /api/docs is public: no route of the API may be declared there.
  addRouteConfig(fastify, (route) => isDocs(route) || isDocument(route), {
    access: 'public, token ignored',
  });
  const [jsonDocumentUrl, yamlDocumentUrl] = DOCUMENT_PATHS;
  addRouteHook(
    fastify,
    'onSend',
    (route) => route.url === `/${yamlDocumentUrl}`,
    sendYamlMediaType,
  );
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl,
    yamlDocumentUrl,
  });
}
