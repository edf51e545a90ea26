import {
  ArgumentMetadata,
  ValidationError,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import {
  IS_ARRAY,
  IS_BOOLEAN,
  IS_DATE,
  IS_DEFINED,
  IS_INT,
  IS_NUMBER,
  IS_OBJECT,
  IS_STRING,
  ValidateIf,
  ValidationTypes,
} from 'class-validator';
import { CompiledBodies } from './compiled-bodies';
import { FieldError, ValidationFailedError } from './problem';

/** Failures that are not about a field's value: an unknown field, or a value that is no object. */
const NOT_A_FIELD = new Set<string>([ValidationTypes.WHITELIST, 'unknownValue']);
const TYPE_CHECKS = new Set<string>([
  IS_STRING,
  IS_INT,
  IS_NUMBER,
  IS_BOOLEAN,
  IS_ARRAY,
  IS_OBJECT,
  IS_DATE,
]);

/**
 * How basic a failed constraint is, lowest first: presence, then type, then ValidateNested's
 * "must be either object or array" (an IsArray or IsObject beside it says the same more exactly),
 * then every rule about the value itself (range, length, pattern, format, set).
 */
function basicness(constraint: string): number {
  if (NOT_A_FIELD.has(constraint) || constraint === IS_DEFINED) return 0;
  if (TYPE_CHECKS.has(constraint)) return 1;
  return constraint === ValidationTypes.NESTED_VALIDATION ? 2 : 3;
}

/**
 * The one message a field reports: "is required" when it was left out (its value is undefined,
 * yet a rule failed, so no IsOptional or IsOmittable let it be), otherwise the most basic failed
 * constraint's. A value of the wrong type fails its range, length and pattern rules too, and those
 * messages would describe a rule the value never got as far as. Ties go to the decorator written
 * first: class-validator checks (and so lists) them bottom-up, the order TypeScript applies them.
 */
function messageOf(error: ValidationError): string | undefined {
  const failed = Object.entries(error.constraints ?? {}).reverse();
  if (failed.length === 0) return undefined;
  if (error.value === undefined && !failed.some(([constraint]) => NOT_A_FIELD.has(constraint)))
    return `${error.property} is required`;
  failed.sort(([a], [b]) => basicness(a) - basicness(b)); // stable: ties keep the written order
  return failed[0][1];
}

/**
 * One entry per failing field. A field that fails its own rules is reported without its children:
 * those were checked inside a value already refused (an items list of the wrong size or type).
 */
function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const message = messageOf(error);
    return message === undefined ? flatten(error.children ?? [], field) : [{ field, message }];
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
      // Every rule is checked, so that messageOf can pick the most basic failure: stopping at the
      // first would report whichever decorator is written last, often a range or a pattern. A
      // value that passes is checked against every rule either way. The values stay in the
      // errors only for messageOf to tell a left-out field; they never reach the answer.
      stopAtFirstError: false,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
    },
    compiled,
  );
}
