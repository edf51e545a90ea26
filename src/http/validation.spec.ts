import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ValidationFailedError } from './problem';
import { createValidationPipe, IsOmittable } from './validation';

/** The kinds of rule a feature's body uses (strings, ranges, nested items), without the feature. */
class ItemDto {
  @IsString()
  @Length(1, 64)
  sku: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity: number;

  @IsInt()
  @Min(0)
  unitPrice: number;
}

class BodyDto {
  @Matches(/^[A-Z]{3}$/)
  currency: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items: ItemDto[];

  @IsOmittable()
  @IsString()
  @Length(1, 8)
  @Matches(/^[\x21-\x7e]+$/, { message: 'reference must be visible ASCII characters' })
  reference?: string;
}

class PageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

const asBody: ArgumentMetadata = { type: 'body', metatype: BodyDto };
const asQuery: ArgumentMetadata = { type: 'query', metatype: PageQuery };
const parsed = (json: string): unknown => JSON.parse(json);

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

  // The rules are written type first, then range, length or pattern, and a wrong or missing value
  // fails all of them: each field names the most basic, never a bound the value did not reach.
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
    [
      'a value of the right type but out of range',
      '{"currency":"EUR","items":[{"sku":"A","quantity":0,"unitPrice":1}]}',
      'items.0.quantity',
      'quantity must not be less than 1',
    ],
    [
      'a value breaking a length and a pattern rule (the one written first)',
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

  it('still drops constructor and prototype keys, which JSON may carry', async () => {
    const order = (await pipe.transform(
      parsed(
        '{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPrice":1,"constructor":{"name":"x"}}],"prototype":{}}',
      ),
      asBody,
    )) as BodyDto;
    expect(Object.hasOwn(order, 'prototype')).toBe(false);
    expect(Object.hasOwn(order.items[0], 'constructor')).toBe(false);
    expect(order.items[0]).toBeInstanceOf(ItemDto);
  });
});
