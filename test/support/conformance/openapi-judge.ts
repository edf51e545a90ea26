import { type Exchange, isJsonMediaType, mediaTypeOf } from './exchange';
import { DocumentSchemas, type Schema } from './openapi-schemas';
import { isStatedRefusal } from './stated-refusals';

type Media = { schema?: Schema };
type Header = { $ref?: string; required?: boolean; schema?: Schema };
type Response = {
  $ref?: string;
  headers?: Record<string, Header>;
  content?: Record<string, Media>;
};
type Parameter = {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
};
type Operation = {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, Response>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    headers: Record<string, Header>;
    responses: Record<string, Response>;
  };
};
type Route = { name: string; pattern: RegExp; method: string; operation: Operation };

/** What the document says of a request: why it refuses it, and whether it could judge all of it. */
interface RequestVerdict {
  refusals: string[];
  /** False when part of the request is beyond the document's judgement (a multipart body, unknown query parameters). */
  complete: boolean;
}

/** Judges exchanges against an OpenAPI 3.1 document, as a validating proxy would. */
export class OpenApiJudge {
  private readonly schemas: DocumentSchemas;
  private readonly routes: Route[];

  constructor(private readonly document: Document) {
    this.schemas = new DocumentSchemas(document.components);
    this.routes = Object.entries(document.paths).flatMap(([template, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${template}`,
        pattern: new RegExp(`^${template.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
        method: method.toUpperCase(),
        operation,
      })),
    );
  }

  /** The documented operation, or null for what the document does not describe (docs, metrics, 404 probes). */
  operationOf(exchange: Exchange): Route | null {
    const path = exchange.url.pathname;
    return (
      this.routes.find((route) => route.method === exchange.method && route.pattern.test(path)) ??
      null
    );
  }

  /** Every way the exchange and the document disagree; empty when they agree. */
  mismatches(route: Route, exchange: Exchange): string[] {
    const request = this.judgeRequest(route, exchange);
    const found = this.responseMismatches(route, exchange);
    if (exchange.status < 300 && request.refusals.length > 0)
      found.push(`accepted a request the document refuses: ${request.refusals.join('; ')}`);
    if (exchange.status === 400 && request.complete && request.refusals.length === 0) {
      const problem = exchange.responseJson as {
        code?: string;
        errors?: { field: string; message: string }[];
      };
      if (!isStatedRefusal(route.name, problem))
        found.push(
          `refused with 400 a request the document accepts (${exchange.url.pathname}${exchange.url.search}): ${JSON.stringify(problem)}`,
        );
    }
    return found.map((mismatch) => `${route.name} → ${exchange.status}: ${mismatch}`);
  }

  private judgeRequest(route: Route, exchange: Exchange): RequestVerdict {
    const parameters = route.operation.parameters ?? [];
    const documentedQuery = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
    const complete = [...exchange.url.searchParams.keys()].every((name) =>
      documentedQuery.has(name),
    );
    const refusals = parameters.flatMap((parameter) =>
      this.parameterRefusals(route, exchange, parameter),
    );
    const body = this.bodyRefusals(route.operation, exchange);
    return { refusals: [...refusals, ...body.refusals], complete: complete && body.complete };
  }

  private parameterRefusals(route: Route, exchange: Exchange, parameter: Parameter): string[] {
    const value = parameterValue(route, exchange, parameter);
    const label = `${parameter.in} parameter ${parameter.name}`;
    if (value === undefined) return parameter.required ? [`missing ${label}`] : [];
    const repeated =
      parameter.in === 'query' && exchange.url.searchParams.getAll(parameter.name).length > 1;
    if (repeated && parameter.schema?.type !== 'array')
      return [`${label} repeated, but it is one value`];
    return this.errors(parameter.schema, coerced(parameter.schema, value)).map(
      (e) => `${label}: ${e}`,
    );
  }

  private bodyRefusals(operation: Operation, exchange: Exchange): RequestVerdict {
    const body = exchange.requestBody;
    const documented = operation.requestBody;
    if (body.kind === 'none')
      return { refusals: documented?.required ? ['missing request body'] : [], complete: true };
    if (!documented)
      return { refusals: ['a request body, which the operation does not take'], complete: true };
    const mediaType = body.kind === 'other' ? body.mediaType : 'application/json';
    const media = documented.content[mediaType];
    if (!media)
      return {
        refusals: [`a ${mediaType} body, which the operation does not take`],
        complete: true,
      };
    if (body.kind === 'unparseable-json')
      return { refusals: ['a body that is not JSON'], complete: true };
    if (body.kind === 'other') return { refusals: [], complete: false }; // multipart: parts not judged
    return {
      refusals: this.errors(media.schema, body.value).map((e) => `body ${e}`),
      complete: true,
    };
  }

  private responseMismatches(route: Route, exchange: Exchange): string[] {
    const documented =
      route.operation.responses[exchange.status] ?? route.operation.responses.default;
    if (!documented) return ['status not documented'];
    const response = this.resolve(documented);
    return [
      ...this.headerMismatches(response, exchange),
      ...this.bodyMismatches(response, exchange),
    ];
  }

  private headerMismatches(response: Response, exchange: Exchange): string[] {
    return Object.entries(response.headers ?? {}).flatMap(([name, reference]) => {
      const header = reference.$ref ? this.document.components.headers[name] : reference;
      const value = exchange.responseHeaders[name.toLowerCase()];
      if (value === undefined) return header.required ? [`required header ${name} missing`] : [];
      const text = Array.isArray(value) ? value.join(', ') : value;
      return this.errors(header.schema, coerced(header.schema, text)).map(
        (e) => `header ${name}: ${e}`,
      );
    });
  }

  private bodyMismatches(response: Response, exchange: Exchange): string[] {
    if (!exchange.responseHasBody || exchange.method === 'HEAD') return [];
    const mediaType = mediaTypeOf(exchange.responseHeaders['content-type']);
    const content = response.content ?? {};
    const media = content[mediaType] ?? content[`${mediaType.split('/')[0]}/*`] ?? content['*/*'];
    if (!media) return [`a ${mediaType || 'untyped'} body, which the response does not document`];
    if (!isJsonMediaType(mediaType)) return []; // streams, images, file content: status and headers only
    return this.errors(media.schema, exchange.responseJson).map((e) => `body ${e}`);
  }

  private resolve(response: Response): Response {
    if (!response.$ref) return response;
    return this.document.components.responses[response.$ref.replace('#/components/responses/', '')];
  }

  private errors(schema: Schema | undefined, value: unknown): string[] {
    return schema ? this.schemas.errors(schema, value) : [];
  }
}

function parameterValue(
  route: Route,
  exchange: Exchange,
  parameter: Parameter,
): string | undefined {
  if (parameter.in === 'header') return exchange.requestHeaders[parameter.name.toLowerCase()];
  if (parameter.in === 'query') return exchange.url.searchParams.get(parameter.name) ?? undefined;
  const raw = route.pattern.exec(exchange.url.pathname)?.groups?.[parameter.name];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not valid percent-encoding: judged as sent
  }
}

/**
 * Parameters and headers travel as text: a numeric schema reads a number when the text spells one
 * of its type (an integer is digits alone: `5.0` is no integer's spelling, as Stripe's API says).
 */
function coerced(schema: Schema | undefined, text: string): unknown {
  const spelling =
    schema?.type === 'integer' ? /^-?\d+$/ : schema?.type === 'number' ? /^-?\d+(\.\d+)?$/ : null;
  return spelling?.test(text) ? Number(text) : text;
}
