import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { addEmailFormat } from './email-format';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Json = Record<string, unknown>;
const DOCUMENT_ID = 'urn:order-service:openapi';

/** The DTO classes marked with `@SchemaStatesAllRules()`. */
const MARKED = new Set<unknown>();

/**
 * Marks a JSON body DTO whose OpenAPI schema (generated from its own class-validator decorators)
 * states every one of its rules, so that a body the compiled schema accepts is a body
 * class-validator accepts, as the same value: compiled-bodies.spec.ts checks that of every class
 * marked, over generated bodies at and around each bound. Such a body goes on as parsed, not as an
 * instance: an optional field left out is absent rather than an own property set to undefined, so
 * handlers read optional fields with `??`, never `in`. Not for a rule a schema says otherwise
 * (validator.js's lengths, which leave out variation selectors) unless a pattern narrows it, nor
 * for a class with defaults or transforms.
 */
export const SchemaStatesAllRules = (): ClassDecorator => (target) => void MARKED.add(target);

/**
 * The marked body DTOs compiled once to JSON Schema validators (Ajv), from the schemas the
 * committed OpenAPI document gives them (kept equal to what the DTOs generate by
 * `npm run openapi:check`). The validation pipe lets a body these accept through as parsed and
 * gives any other to class-validator, whose messages are the answer.
 */
export class CompiledBodies {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: true });
  private readonly validators = new Map<unknown, ValidateFunction | null>();

  constructor(private readonly schemaNames: ReadonlySet<string>) {
    addFormats(this.ajv);
    addEmailFormat(this.ajv);
    this.ajv.addKeyword({ keyword: 'example' }); // OpenAPI's annotation
  }

  /** The compiled document's schemas; `document` is an OpenAPI document. */
  static of(document: Json): CompiledBodies {
    const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Json;
    const compiled = new CompiledBodies(new Set(Object.keys(schemas)));
    compiled.ajv.addSchema(schemaResource(schemas, DOCUMENT_ID));
    for (const dto of MARKED) compiled.accepts(dto, undefined); // compiled now, not on a request
    return compiled;
  }

  /** From the committed openapi.json beside package.json; null when it is not there. */
  static fromPackageDocument(): CompiledBodies | null {
    const file = documentFile(__dirname);
    return file ? CompiledBodies.of(JSON.parse(readFileSync(file, 'utf8')) as Json) : null;
  }

  /** The classes marked with `@SchemaStatesAllRules()` so far. */
  static get marked(): unknown[] {
    return [...MARKED];
  }

  /** True when `dto` is a marked class and its schema accepts `body`. */
  accepts(dto: unknown, body: unknown): boolean {
    let validate = this.validators.get(dto);
    if (validate === undefined) {
      validate = this.compile(dto);
      this.validators.set(dto, validate);
    }
    return validate !== null && validate(body) === true;
  }

  private compile(dto: unknown): ValidateFunction | null {
    if (typeof dto !== 'function' || !MARKED.has(dto) || !this.schemaNames.has(dto.name))
      return null;
    return this.ajv.getSchema(`${DOCUMENT_ID}#/$defs/${dto.name}`) ?? null;
  }
}

/** openapi.json in the nearest folder up from `from` that holds package.json (src/ or dist/src/). */
function documentFile(from: string): string | null {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const file = join(dir, 'openapi.json');
      return existsSync(file) ? file : null;
    }
  }
  return null;
}

/**
 * An OpenAPI document's `components.schemas` as one JSON Schema 2020-12 resource named `id`, each
 * schema under `$defs` and every `#/components/schemas/X` reference pointing at `id#/$defs/X`.
 */
export function schemaResource(schemas: Json, id: string): Json {
  return { $id: id, $defs: pointingIntoDefs(schemas, id) };
}

/** `node` with its `#/components/schemas/X` references pointing at `id#/$defs/X`. */
export function pointingIntoDefs(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((item) => pointingIntoDefs(item, id));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string'
        ? [key, value.replace('#/components/schemas/', `${id}#/$defs/`)]
        : [key, pointingIntoDefs(value, id)],
    ),
  );
}
