import {
  ArgumentMetadata,
  ValidationError,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { CompiledBodies } from './compiled-bodies';
import { FieldError, ValidationFailedError } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Nest's ValidationPipe for the values Fastify's parsers make: JSON bodies, query strings and path
 * parameters. A JSON body that its DTO's compiled schema accepts (`CompiledBodies`, most bodies)
 * goes to the handler as parsed, without class-transformer's instance or class-validator's pass;
 * any other body, and every other value, takes the full pass, whose messages are the answer.
 * None of these values can hold a sparse array or a binary value, so the two passes that look for
 * those (they guard multipart fields and socket messages) are skipped. Uploads never reach a
 * pipe; the files module reads multipart itself. The pass that strips `__proto__`, `constructor`
 * and `prototype` keys still runs on the full path; the compiled schemas admit no such key.
 */
class FastifyValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly compiled: CompiledBodies | null,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && this.compiled?.accepts(metadata.metatype, value)) return value;
    return super.transform(value, metadata);
  }

  protected override closeArrayGaps(): void {}

  protected override findNestedBinaryValues(): ValidationError[] {
    return [];
  }
}

/**
 * An optional body field that may be left out but not sent as null (class-validator's IsOptional
 * admits both): the document types it as its type alone, and the service answers as it says.
 */
export const IsOmittable = () => ValidateIf((_object, value) => value !== undefined);

/** Unknown fields, wrong types and out-of-range values all answer 400 validation_failed. */
export function createValidationPipe(compiled: CompiledBodies | null): ValidationPipe {
  return new FastifyValidationPipe(
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
    },
    compiled,
  );
}
