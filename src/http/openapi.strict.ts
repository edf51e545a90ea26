import type { OpenAPIObject, OperationObject, ResponseObject, TagObject } from '@nestjs/swagger';
import { PROBLEM } from './openapi.decorators';
import { headers } from './openapi.headers';

type Json = Record<string, unknown>;
type Answer = ResponseObject & { $ref?: never };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Answers given before any route runs (by Node, by Fastify, or by the service's own first hook
 * while it shuts down), shared by the operations that can get them: `when` says which (a JSON
 * body, a path parameter, or any request).
 */
const PRE_ROUTING: Record<
  string,
  { status: number; when: Exposure; description: string; retryAfter?: true }
> = {
  MalformedRequest: {
    status: 400,
    when: 'any',
    description:
      'The request is not valid HTTP, or its URL not a valid one (`malformed_request`, `bad_request`).',
  },
  RequestTimeout: {
    status: 408,
    when: 'any',
    description:
      'The request did not arrive whole within REQUEST_TIMEOUT (`request_timeout`); the connection is closed.',
  },
  PayloadTooLarge: {
    status: 413,
    when: 'json-body',
    description: 'The JSON body is larger than 256 KiB (`payload_too_large`).',
  },
  UriTooLong: {
    status: 414,
    when: 'path-parameter',
    description: 'A path segment is longer than 100 characters (`uri_too_long`).',
  },
  UnsupportedMediaType: {
    status: 415,
    when: 'json-body',
    description: 'The body is not `application/json` (`unsupported_media_type`).',
  },
  HeadersTooLarge: {
    status: 431,
    when: 'any',
    description:
      'The request line and headers are larger than the server accepts (`headers_too_large`); the connection is closed.',
  },
  ShuttingDown: {
    status: 503,
    when: 'any',
    description:
      'This instance is shutting down (`service_unavailable`): a request pipelined behind one in flight; the connection is closed, and a retry reaches another instance.',
    retryAfter: true,
  },
};
type Exposure = 'any' | 'json-body' | 'path-parameter';

/**
 * Makes the generated document exact OpenAPI 3.1 where @nestjs/swagger speaks 3.0 or leaves
 * things out: nullability as a type, closed request bodies, explicit public operations and the
 * answers given before routing.
 */
export function makeStrict(document: OpenAPIObject): OpenAPIObject {
  // The document describes the service that serves it: `/` resolves against that URL (an empty
  // list is not "this server" to every tool).
  document.servers = [{ url: '/', description: 'The service this document was fetched from' }];
  document.tags = tagsOf(document);
  replaceNullable(document);
  closeRequestSchemas(document);
  document.components = { ...document.components, responses: preRoutingResponses() };
  for (const operation of operationsOf(document)) {
    operation.security ??= []; // public: says so, rather than inheriting nothing by omission
    addPreRoutingAnswers(operation);
  }
  return document;
}

/**
 * Every tag an operation uses, declared once at the top (sorted, as the generator does not), with
 * the description it was declared with.
 */
function tagsOf(document: OpenAPIObject): TagObject[] {
  const declared = new Map((document.tags ?? []).map((tag) => [tag.name, tag]));
  const names = new Set(operationsOf(document).flatMap((operation) => operation.tags ?? []));
  return [...names].sort().map((name) => declared.get(name) ?? { name });
}

function operationsOf(document: OpenAPIObject): OperationObject[] {
  return Object.values(document.paths).flatMap((pathItem) =>
    METHODS.map((method) => pathItem[method]).filter((operation) => operation !== undefined),
  );
}

/** 3.0's `nullable: true` is no keyword in 3.1: null joins the type (or the enum, or a oneOf). */
function replaceNullable(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(replaceNullable);
  if (!node || typeof node !== 'object') return;
  const schema = node as Json;
  Object.values(schema).forEach(replaceNullable);
  if (schema.nullable !== true) return;
  delete schema.nullable;
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    schema.oneOf = [schema.allOf[0], { type: 'null' }]; // a nullable $ref
    delete schema.allOf;
    delete schema.type;
    return;
  }
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
}

/** The service refuses unknown fields (400): every schema a JSON request body uses says so. */
function closeRequestSchemas(document: OpenAPIObject) {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Json>;
  const closed = new Set<string>();
  const close = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(close);
    if (!node || typeof node !== 'object') return;
    const ref = (node as Json).$ref;
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/schemas/', '');
      if (closed.has(name)) return;
      closed.add(name);
      schemas[name].additionalProperties = false;
      return close(schemas[name]);
    }
    Object.values(node).forEach(close);
  };
  for (const operation of operationsOf(document)) {
    const body = operation.requestBody as { content?: Record<string, { schema?: Json }> };
    close(body?.content?.['application/json']?.schema);
  }
}

function preRoutingResponses(): Record<string, ResponseObject> {
  return Object.fromEntries(
    Object.entries(PRE_ROUTING).map(([name, { description, retryAfter }]) => [
      name,
      {
        description,
        ...PROBLEM,
        headers: retryAfter ? headers('X-Request-Id', 'Retry-After') : headers('X-Request-Id'),
      },
    ]),
  );
}

/** Each pre-routing answer the operation can get, unless it already documents that status. */
function addPreRoutingAnswers(operation: OperationObject) {
  const exposures = new Set<Exposure>(['any']);
  const body = operation.requestBody as
    { content?: Record<string, { schema?: { maxProperties?: number } }> } | undefined;
  const json = body?.content?.['application/json'];
  // TakesNoBody's `{}` (no properties): anything longer is refused (415) before it is read.
  if (json && json.schema?.maxProperties !== 0) exposures.add('json-body');
  if (operation.parameters?.some((parameter) => 'in' in parameter && parameter.in === 'path'))
    exposures.add('path-parameter');
  const responses = operation.responses as Record<string, Answer | { $ref: string }>;
  for (const [name, { status, when }] of Object.entries(PRE_ROUTING)) {
    if (exposures.has(when) && !responses[status])
      responses[status] = { $ref: `#/components/responses/${name}` };
  }
}
