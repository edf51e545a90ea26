import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { headers, RESPONSE_HEADERS } from './openapi.headers';
import { makeStrict } from './openapi.strict';

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
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
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

/** Serves the document at /api/openapi.json and a browsable UI at /api/docs. */
export function serveOpenApi(app: INestApplication) {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
  });
}
