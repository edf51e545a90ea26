import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { WithRouteConfig } from '../http/route-config';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_MAX_FIELD_LENGTH, IDEMPOTENCY_KEY_PATTERN } from './idempotency-key';
import { IdempotencyOptions, IdempotentRequest, idempotentRequestOf } from './idempotent-request';

const IDEMPOTENCY_KEY_DESCRIPTION =
  'Makes the create exactly-once (draft-ietf-httpapi-idempotency-key-header-07). An sf-string (`"abc"`) or bare (`abc`) key of 1-255 visible ASCII characters, scoped to the caller, method and route, and remembered for IDEMPOTENCY_TTL (24 h by default). A retry with the same key and request gets the stored response byte for byte with `Idempotent-Replayed: true`; another request under the key gets 422; a retry while the first is still running waits up to IDEMPOTENCY_WAIT, then gets 409 with `Retry-After`.';

/**
 * Declares that a create route takes an Idempotency-Key: in the route's Fastify config (where the
 * early replay hook reads it) and in the OpenAPI document.
 */
export const Idempotent = (options: IdempotencyOptions) =>
  applyDecorators(
    WithRouteConfig({ idempotency: options }),
    ApiHeader({
      name: 'Idempotency-Key',
      required: options.required,
      description: IDEMPOTENCY_KEY_DESCRIPTION,
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: IDEMPOTENCY_KEY_MAX_FIELD_LENGTH,
        pattern: IDEMPOTENCY_KEY_PATTERN,
        example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
      },
    }),
  );

/** The request's key and scope for `CreateExecutor.execute`, or null when none was sent. */
export const Idempotency = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotentRequest | null =>
    idempotentRequestOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
