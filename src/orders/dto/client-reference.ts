import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsOmittable } from '../../http/validation';

/** Printable ASCII without spaces: what an SKU and a client reference may hold. */
export const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * An optional `clientReference` (an order's, or a list filter's): its rules and messages, and the
 * document's schema for it, checked in the order written (as OptionalDateTime's rules are).
 */
export const OptionalClientReference = () =>
  applyDecorators(
    ApiPropertyOptional({
      minLength: 1,
      maxLength: 128,
      pattern: VISIBLE_ASCII.source,
      example: 'checkout-7f3a',
    }),
    IsOmittable(),
    IsString(),
    Length(1, 128),
    Matches(VISIBLE_ASCII, {
      message: 'clientReference must be visible ASCII characters without spaces',
    }),
  );
