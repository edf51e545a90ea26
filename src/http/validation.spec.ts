import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  getMetadataStorage,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_DATE,
  IS_INT,
  IS_NUMBER,
  IS_OBJECT,
  IS_STRING,
  IsArray,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
  ValidationError,
  ValidationTypes,
} from 'class-validator';
import { ValidationFailedError } from './problem';
import { PageLimit } from './query-parameters';
import { createValidationPipe, IsOmittable } from './validation';

/**
 * The kinds of rule a feature's body uses (strings, ranges, nested items), without the feature,
 * written as the features write them: class-validator checks a property's rules bottom-up, so the
 * most basic (presence, then type) is nearest the property, and the first broken is the answer.
 */
class ItemDto {
  @Length(1, 64)
  @IsString()
  sku: string;

  @Max(10_000)
  @Min(1)
  @IsInt()
  quantity: number;

  @Min(0)
  @IsInt()
  unitPrice: number;
}

class BodyDto {
  @Matches(/^[A-Z]{3}$/)
  currency: string;

  @Type(() => ItemDto)
  @ValidateNested({ each: true })
  @ArrayMaxSize(100)
  @ArrayMinSize(1)
  @IsArray()
  items: ItemDto[];

  @Matches(/^[\x21-\x7e]+$/, { message: 'reference must be visible ASCII characters' })
  @Length(1, 8)
  @IsString()
  @IsOmittable()
  reference?: string;
}

class PageQuery {
  @PageLimit(20)
  limit: number = 20;
}

const asBody: ArgumentMetadata = { type: 'body', metatype: BodyDto };
const asQuery: ArgumentMetadata = { type: 'query', metatype: PageQuery };
const parsed = (json: string): unknown => JSON.parse(json);

/** ValidationPipe's (protected) pass over the transformed value: class-validator's errors. */
type Validate = (object: object) => Promise<ValidationError[]>;

/** How many errors `error` is, its nested ones included. */
const size = (error: ValidationError): number =>
  1 + (error.children ?? []).reduce((sum, child) => sum + size(child), 0);

/** The `errors` of the problem a refused value answers (exactly: a stray key would show). */
async function errorsOf(transformed: Promise<unknown>): Promise<unknown> {
  const refusal = await transformed.then(
    () => null,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(ValidationFailedError);
  return (refusal as ValidationFailedError).toProblem().errors;
}

describe('createValidationPipe', () => {
  const pipe = createValidationPipe(null); // these DTOs are not marked: class-validator's pass

  it('turns a valid JSON body into the DTO, nested items included', async () => {
    const order = (await pipe.transform(
      parsed('{"currency":"EUR","items":[{"sku":"A-1","quantity":2,"unitPrice":150}]}'),
      asBody,
    )) as BodyDto;
    expect(order).toBeInstanceOf(BodyDto);
    expect(order.items[0]).toBeInstanceOf(ItemDto);
    expect(order.items[0]).toEqual({ sku: 'A-1', quantity: 2, unitPrice: 150 });
  });

  it.each([
    [
      'an unknown field',
      '{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPrice":1}],"x":1}',
      'x',
    ],
    [
      'a bad nested item',
      '{"currency":"EUR","items":[{"sku":"A","quantity":0,"unitPrice":1}]}',
      'items.0.quantity',
    ],
    ['an item that is not an object', '{"currency":"EUR","items":[7]}', 'items.0'],
  ])('refuses %s, naming the field', async (_case, json, field) => {
    const refusal = pipe.transform(parsed(json), asBody);
    await expect(refusal).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(refusal).rejects.toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ field })]),
    });
  });

  // class-transformer skips a key whose value on the instance is a function, and Nest's pipe
  // strips `constructor`: without their own check, these would pass as no field at all.
  it.each([
    ['toString', '"x"', 'toString'],
    ['constructor', '"x"', 'constructor'],
    ['__proto__', '{}', '__proto__'],
  ])('refuses a body field named %s like any unknown field', async (name, value, field) => {
    const json = `{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPrice":1}],"${name}":${value}}`;
    expect(await errorsOf(pipe.transform(parsed(json), asBody))).toEqual([
      { field, message: `property ${name} should not exist` },
    ]);
  });

  it.each([
    ['hasOwnProperty', 'valueOf'],
    ['constructor', 'prototype'], // which Nest's pipe strips, and used to drop silently
  ])('refuses such fields nested and at the top (%s, %s), naming each', async (nested, top) => {
    const json = `{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPrice":1,"${nested}":{}}],"${top}":1}`;
    expect(await errorsOf(pipe.transform(parsed(json), asBody))).toEqual([
      { field: `items.0.${nested}`, message: `property ${nested} should not exist` },
      { field: top, message: `property ${top} should not exist` },
    ]);
  });

  it('refuses such a field in a query', async () => {
    expect(await errorsOf(pipe.transform({ limit: '5', isPrototypeOf: '1' }, asQuery))).toEqual([
      { field: 'isPrototypeOf', message: 'property isPrototypeOf should not exist' },
    ]);
  });

  it('names a declared query parameter sent more than once as such, not by its type', async () => {
    expect(await errorsOf(pipe.transform({ limit: ['5', '6'] }, asQuery))).toEqual([
      { field: 'limit', message: 'limit must be sent once' },
    ]);
    // An unknown one is unknown however often it is sent, and named once.
    expect(await errorsOf(pipe.transform({ _: ['1', '2'], valueOf: ['1', '2'] }, asQuery))).toEqual(
      [
        { field: 'valueOf', message: 'property valueOf should not exist' },
        { field: '_', message: 'property _ should not exist' },
      ],
    );
  });

  it("answers such a field with the full pass's errors on the others", async () => {
    const json =
      '{"currency":"euro","items":[{"sku":"A","quantity":1,"unitPrice":1}],"toString":1}';
    expect(await errorsOf(pipe.transform(parsed(json), asBody))).toEqual([
      { field: 'toString', message: 'property toString should not exist' },
      { field: 'currency', message: expect.any(String) },
    ]);
  });

  // A wrong or missing value would fail every rule of its field; the first checked is the most
  // basic, and the answer names it, never a bound the value did not reach.
  const item = '{"sku":"A","quantity":1,"unitPrice":1}';
  it.each([
    ['a field left out', '{"currency":"EUR"}', 'items', 'items is required'],
    [
      'a nested field left out',
      '{"currency":"EUR","items":[{"quantity":1,"unitPrice":1}]}',
      'items.0.sku',
      'sku is required',
    ],
    [
      'a number sent as a string',
      '{"currency":"EUR","items":[{"sku":"A","quantity":"1","unitPrice":1}]}',
      'items.0.quantity',
      'quantity must be an integer number',
    ],
    [
      'a list that is no array',
      '{"currency":"EUR","items":"A"}',
      'items',
      'items must be an array',
    ],
    [
      'null where a field may only be left out',
      `{"currency":"EUR","items":[${item}],"reference":null}`,
      'reference',
      'reference must be a string',
    ],
    ['an array for the body', '[]', '', 'the body must be a JSON object'],
    ['null for the body', 'null', '', 'the body must be a JSON object'],
    ['a bare string for the body', '"x"', '', 'the body must be a JSON object'],
    [
      'a value of the right type but out of range',
      '{"currency":"EUR","items":[{"sku":"A","quantity":0,"unitPrice":1}]}',
      'items.0.quantity',
      'quantity must not be less than 1',
    ],
    [
      'a value breaking a length and a pattern rule (the length, checked first)',
      `{"currency":"EUR","items":[${item}],"reference":"a b c d e"}`,
      'reference',
      'reference must be shorter than or equal to 8 characters',
    ],
  ])('names the most basic rule broken by %s', async (_case, json, field, message) => {
    expect(await errorsOf(pipe.transform(parsed(json), asBody))).toEqual([{ field, message }]);
  });

  it.each([
    ['abc', 'limit must be an integer number'],
    ['500', 'limit must not be greater than 100'],
    ['-1', 'limit must not be less than 1'],
    ['0x10', 'limit must be an integer number'],
    ['1e1', 'limit must be an integer number'],
    ['5.0', 'limit must be an integer number'],
    ['', 'limit must be an integer number'],
  ])('names the most basic rule broken by a query limit of %s', async (limit, message) => {
    expect(await errorsOf(pipe.transform({ limit }, asQuery))).toEqual([
      { field: 'limit', message },
    ]);
  });

  it('names each field that fails once, and nothing of the values sent', async () => {
    const refusal = pipe.transform(parsed('{"items":[{"sku":7,"quantity":1}]}'), asBody);
    expect(await errorsOf(refusal)).toEqual([
      { field: 'currency', message: 'currency is required' },
      { field: 'items.0.sku', message: 'sku must be a string' },
      { field: 'items.0.unitPrice', message: 'unitPrice is required' },
    ]);
  });

  it('refuses a list over its maximum without checking any of its items', async () => {
    // The pass's own errors, before the answer is made of them: one for the list and none of its
    // items (checked, 5,000 empty items would be 5,000 errors with 3 more each).
    const validate = jest.spyOn(pipe as unknown as { validate: Validate }, 'validate');
    try {
      const body = { currency: 'EUR', items: Array(5000).fill({}) };
      expect(await errorsOf(pipe.transform(body, asBody))).toEqual([
        { field: 'items', message: 'items must contain no more than 100 elements' },
      ]);
      expect(validate).toHaveBeenCalledTimes(1);
      const errors = await (validate.mock.results[0].value as ReturnType<Validate>);
      expect(errors.reduce((sum, error) => sum + size(error), 0)).toBe(1);
    } finally {
      validate.mockRestore();
    }
  });

  it('reads a query limit of decimal digits as its number, leading zeros and all', async () => {
    expect(await pipe.transform({ limit: '007' }, asQuery)).toMatchObject({ limit: 7 });
  });
});

/**
 * The pipe answers a field's first broken rule, and class-validator checks them bottom-up: a DTO
 * that writes its type check above a range or a pattern answers a wrong type with the bound's
 * message. Every DTO of src/ that has rules checks its type check, if any, before the others.
 */
describe('the DTOs of src/', () => {
  const TYPE_CHECKS = new Set([
    IS_STRING,
    IS_INT,
    IS_NUMBER,
    IS_BOOLEAN,
    IS_ARRAY,
    IS_OBJECT,
    IS_DATE,
  ]);
  const storage = getMetadataStorage();
  const rulesOf = (dto: new () => object) =>
    storage
      .getTargetValidationMetadatas(dto, '', true, false)
      .filter((rule) => rule.type === ValidationTypes.CUSTOM_VALIDATION);
  const src = join(__dirname, '..');
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => /(^|\/)dto\/[^/]+\.ts$/.test(file) && !file.endsWith('.spec.ts'))
    .sort();
  const classes = files.flatMap((file) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Object.values(require(join(src, file)) as Record<string, unknown>).filter(
      (value): value is new () => object =>
        typeof value === 'function' && rulesOf(value as never).length > 0,
    ),
  );

  it('are found', () => {
    expect(classes.map((dto) => dto.name)).toEqual(
      expect.arrayContaining(['CreateOrderDto', 'OrderItemDto', 'PageQuery', 'SignInDto']),
    );
  });

  it.each(classes.map((dto) => [dto.name, dto] as const))(
    '%s has each type check checked first',
    (_name, dto) => {
      const misordered = Object.entries(storage.groupByPropertyName(rulesOf(dto)))
        // The value's own type check comes first; its elements' (`each`) may follow its size.
        .filter(([, checked]) =>
          checked.slice(1).some((rule) => !rule.each && TYPE_CHECKS.has(rule.name ?? '')),
        )
        .map(
          ([property, checked]) => `${property}: ${checked.map((rule) => rule.name).join(', ')}`,
        );
      expect(misordered).toEqual([]);
    },
  );
});
