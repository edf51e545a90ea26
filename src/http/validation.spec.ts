import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsInt,
  IsString,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { ValidationFailedError } from './problem';
import { createValidationPipe } from './validation';

/** The kinds of rule a feature's body uses (strings, ranges, nested items), without the feature. */
class ItemDto {
  @IsString()
  @Length(1, 64)
  sku: string;

  @IsInt()
  @Min(1)
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
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items: ItemDto[];
}

const asBody: ArgumentMetadata = { type: 'body', metatype: BodyDto };
const parsed = (json: string): unknown => JSON.parse(json);

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
