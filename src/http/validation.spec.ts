import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import { CreateOrderDto, OrderItemDto } from '../orders/dto/create-order.dto';
import { ValidationFailedError } from './problem';
import { createValidationPipe } from './validation';

const asBody: ArgumentMetadata = { type: 'body', metatype: CreateOrderDto };
const parsed = (json: string): unknown => JSON.parse(json);

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();

  it('turns a valid JSON body into the DTO, nested items included', async () => {
    const order = (await pipe.transform(
      parsed('{"currency":"EUR","items":[{"sku":"A-1","quantity":2,"unitPrice":150}]}'),
      asBody,
    )) as CreateOrderDto;
    expect(order).toBeInstanceOf(CreateOrderDto);
    expect(order.items[0]).toBeInstanceOf(OrderItemDto);
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
    )) as CreateOrderDto;
    expect(Object.hasOwn(order, 'prototype')).toBe(false);
    expect(Object.hasOwn(order.items[0], 'constructor')).toBe(false);
    expect(order.items[0]).toBeInstanceOf(OrderItemDto);
  });
});
