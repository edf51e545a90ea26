import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { addEmailFormat } from '../../../src/http/email-format';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pointingIntoDefs, schemaResource } from '../../../src/http/compiled-bodies';

type Json = Record<string, unknown>;
export type Schema = Json;

const DOCUMENT_ID = 'https://order-service.test/openapi.json';

/** The committed document: what clients generate from, and what the service is judged against. */
export function loadDocument(): Json {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8'));
}

/**
 * The document's schemas as strict JSON Schema 2020-12 (what OpenAPI 3.1 says they are): Ajv in
 * strict mode, so a 3.0 leftover such as `nullable` is an error rather than silently ignored;
 * `example` is OpenAPI's own annotation, so it is the only keyword added.
 */
export class DocumentSchemas {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(components: Json) {
    addFormats(this.ajv);
    addEmailFormat(this.ajv);
    this.ajv.addKeyword({
      keyword: 'example',
      schemaType: ['string', 'number', 'object', 'array', 'boolean'],
    });
    this.ajv.addSchema(schemaResource((components.schemas ?? {}) as Json, DOCUMENT_ID));
  }

  /** Errors of `value` against `schema` (a schema of the document), empty when it validates. */
  errors(schema: Schema, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(pointingIntoDefs(schema, DOCUMENT_ID) as Schema);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(root)'} ${error.message}`,
    );
  }
}
