import type { Type } from '@nestjs/common';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledBodies } from './compiled-bodies';
import { createValidationPipe } from './validation';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = join(__dirname, '..', '..');
const document = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
const schemas: Record<string, Schema> = document.components.schemas;

/** Every class of src/ declared with @SchemaStatesAllRules() (its module loaded, so it is marked). */
function markedInSource(): string[] {
  const names: string[] = [];
  for (const file of readdirSync(join(root, 'src'), { recursive: true }) as string[]) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const source = readFileSync(join(root, 'src', file), 'utf8');
    const found = [...source.matchAll(/@SchemaStatesAllRules\(\)\s*export class (\w+)/g)];
    if (found.length > 0) require(join(root, 'src', file)); // eslint-disable-line @typescript-eslint/no-require-imports
    names.push(...found.map((match) => match[1]));
  }
  return names.sort();
}
const declared = markedInSource();

const compiled = CompiledBodies.of(document);
const fullPipe = createValidationPipe(null); // class-validator only
const marked = CompiledBodies.marked as Type[];

/** Characters where a schema and class-validator could count or match differently. */
const TRICKY = ['\uFE0F', '\uFE0E', '\u0000', ' ', '\t', '😀', 'é', 'a', 'Z', '-', '"'];

function nearString({ minLength = 0, maxLength = 40, pattern }: Schema): fc.Arbitrary<string> {
  const piece = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom(...TRICKY));
  const bounds = [minLength - 1, minLength, maxLength - 1, maxLength, maxLength + 1].filter(
    (n) => n >= 0,
  );
  const matching = pattern ? fc.stringMatching(new RegExp(pattern, 'u')) : fc.string();
  return fc.oneof(
    {
      arbitrary: matching.filter((v) => v.length >= minLength && v.length <= maxLength),
      weight: 12,
    },
    fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join('')),
    fc
      .tuple(fc.constantFrom(...bounds), fc.constantFrom('x', ...TRICKY))
      .map(([n, c]) => c.repeat(n)),
    fc
      .tuple(fc.constantFrom(...bounds), fc.constantFrom(...TRICKY))
      .map(([n, c]) => 'x'.repeat(n) + c),
  );
}

function nearInteger({ minimum = -100, maximum = 100 }: Schema): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: minimum, max: maximum }), weight: 12 },
    fc.constantFrom(minimum - 1, minimum, maximum, maximum + 1, 1.5, -0.5, 1e21, 2 ** 53 + 2),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
}

/** Values near what `schema` accepts, as JSON can carry them: in bounds, at them, past them, of other types. */
function near(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.$ref)
    return fc.constant(null).chain(() => near(schemas[schema.$ref.split('/').pop()]));
  const otherType = fc.constantFrom(null, true, 0, '', [], {}, '12', 12.5);
  return fc.oneof({ arbitrary: typed(schema), weight: 40 }, { arbitrary: otherType, weight: 1 });
}

/** The keywords the arbitraries below generate for; any other (a `format`, say) would go unchecked. */
const UNDERSTOOD = new Set([
  'type',
  'description',
  'example',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
]);

function typed(schema: Schema): fc.Arbitrary<unknown> {
  const unknown = Object.keys(schema).filter((keyword) => !UNDERSTOOD.has(keyword));
  if (unknown.length > 0) throw new Error(`no arbitrary for ${unknown.join(', ')}: add one first`);
  if (schema.enum) {
    const listed = fc.constantFrom(...(schema.enum as unknown[]));
    const altered = listed.map((v) => (typeof v === 'string' ? v.toLowerCase() + '\uFE0F' : v));
    return fc.oneof({ arbitrary: listed, weight: 8 }, altered, fc.string({ maxLength: 4 }));
  }
  if (schema.type === 'string') return nearString(schema);
  if (schema.type === 'integer') return nearInteger(schema);
  if (schema.type === 'array') {
    const { minItems = 0, maxItems = 3 } = schema;
    const items = near(schema.items);
    return fc.oneof(
      fc.array(items, {
        minLength: Math.max(0, minItems - 1),
        maxLength: Math.min(maxItems + 1, 4),
      }),
      // At and past maxItems: one item repeated, as cheap as a short array.
      fc
        .tuple(items, fc.constantFrom(maxItems, maxItems + 1))
        .map(([item, n]) => Array(n).fill(item)),
    );
  }
  if (schema.type === 'object') {
    const properties = Object.entries<Schema>(schema.properties ?? {});
    const all = fc.record(Object.fromEntries(properties.map(([k, s]) => [k, near(s)])), {
      requiredKeys: schema.required ?? [],
    });
    const dropOne = fc.tuple(all, fc.nat()).map(([r, i]) => {
      const keys = Object.keys(r);
      return keys.length ? (({ [keys[i % keys.length]]: _dropped, ...rest }) => rest)(r) : r;
    });
    const record = fc.oneof({ arbitrary: all, weight: 8 }, dropOne);
    const key = fc.constantFrom('extra', 'toString', 'constructor');
    const extra = fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, fc.tuple(key, fc.string()));
    return fc.tuple(record, extra).map(([r, e]) => (e ? { ...r, [e[0]]: e[1] } : r));
  }
  throw new Error(`no arbitrary for ${JSON.stringify(schema)}`);
}

describe('CompiledBodies, the validation fast path', () => {
  it('checks every class of src/ marked with @SchemaStatesAllRules(), each with a schema', () => {
    expect(declared.length).toBeGreaterThan(0);
    expect(marked.map((dto) => dto.name).sort()).toEqual(declared);
    for (const dto of marked) expect(Object.keys(schemas)).toContain(dto.name);
  });

  it.each(marked.map((dto) => [dto.name, dto] as const))(
    '%s: a body its schema accepts, class-validator accepts too, as the same value',
    async (_name, dto) => {
      const metadata = { type: 'body' as const, metatype: dto, data: '' };
      let accepted = 0;
      const acceptedWith = new Map<string, number>(); // per property: not only the bare minimum
      await fc.assert(
        fc.asyncProperty(near(schemas[dto.name]), async (generated) => {
          const body = JSON.parse(JSON.stringify(generated)) as unknown; // as a parsed request body
          if (!compiled.accepts(dto, body)) return;
          accepted++;
          for (const key of Object.keys(body as object))
            acceptedWith.set(key, (acceptedWith.get(key) ?? 0) + 1);
          const validated = await fullPipe.transform(body, metadata); // throws if class-validator refuses
          // Equal as JSON. The one difference JSON hides: the instance has its absent optional
          // fields as own properties set to undefined, the parsed body has no such key.
          expect(JSON.parse(JSON.stringify(validated))).toEqual(body);
        }),
        { numRuns: 5000 },
      );
      expect(accepted).toBeGreaterThan(250); // the property was not vacuous
      const fewest = Math.min(
        ...Object.keys(schemas[dto.name].properties).map((p) => acceptedWith.get(p) ?? 0),
      );
      expect(fewest).toBeGreaterThan(50); // every property was accepted in many bodies
    },
  );

  it('takes the fast path for a valid order, and class-validator answers an invalid one', async () => {
    const pipe = createValidationPipe(compiled);
    const dto = marked.find((m) => m.name === 'CreateOrderDto')!;
    const metadata = { type: 'body' as const, metatype: dto, data: '' };
    const order = { currency: 'EUR', items: [{ sku: 'A-1', quantity: 1, unitPrice: 5 }] };
    expect(await pipe.transform(order, metadata)).toBe(order); // as parsed: no instance built
    const invalid = { ...order, items: [{ sku: 'A 1', quantity: 1, unitPrice: 5 }] };
    await expect(pipe.transform(invalid, metadata)).rejects.toMatchObject({
      errors: [
        { field: 'items.0.sku', message: 'sku must be visible ASCII characters without spaces' },
      ],
    });
  });
});
