import {
  ArgumentMetadata,
  ValidationError,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { getMetadataStorage, ValidateIf, ValidationTypes } from 'class-validator';
import { CompiledBodies } from './compiled-bodies';
import { isJsonObject } from './json-text';
import { bodyRefusal, FieldError, ValidationFailedError } from './problem';

/** Failures that are not about a field's value: an unknown field, or a value that is no object. */
const NOT_A_FIELD = new Set<string>([ValidationTypes.WHITELIST, 'unknownValue']);

/**
 * The one message a field reports: "is required" when it was left out (its value is undefined,
 * yet a rule failed, so no IsOptional or IsOmittable let it be), otherwise its failed rule's. The
 * pipe stops at a field's first failure, so there is one: class-validator checks a property's
 * rules bottom-up, the decorator nearest the property first, and the DTOs are written so that is
 * the most basic (the type, then range, length, pattern or format): a value of the wrong type is
 * never described by a bound it did not get as far as.
 */
function messageOf(error: ValidationError): string | undefined {
  const [failed] = Object.entries(error.constraints ?? {});
  if (failed === undefined) return undefined;
  const [constraint, message] = failed;
  return error.value === undefined && !NOT_A_FIELD.has(constraint)
    ? `${error.property} is required`
    : message;
}

/**
 * One entry per failing field. A field that fails a rule of its own has no children: its nested
 * values are not checked once the value holding them is refused (an items list of the wrong size
 * or type).
 */
function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const message = messageOf(error);
    return message === undefined ? flatten(error.children ?? [], field) : [{ field, message }];
  });
}

/**
 * Field names the full pass would drop unseen: Object.prototype's members (`toString`,
 * `constructor`, `__proto__` ...), whose keys class-transformer skips (their value on the new
 * instance is a function) or Nest's pipe strips, and `prototype`, which it strips too. No DTO
 * declares one, so each is an unknown field, refused here as the whitelist would refuse it.
 */
const DROPPED_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Every field of `value`, at any depth, that the full pass would drop (DROPPED_NAMES). */
function droppedNameFields(value: unknown, parent = ''): FieldError[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) => {
    const field = parent ? `${parent}.${key}` : key;
    if (!Array.isArray(value) && DROPPED_NAMES.has(key))
      return [{ field, message: `property ${key} should not exist` }];
    return droppedNameFields((value as Record<string, unknown>)[key], field);
  });
}

/** A DTO class, as Nest's metadata gives it. */
type DtoClass = NonNullable<ArgumentMetadata['metatype']>;

/** The properties a DTO declares rules for, by DTO class: asked on every list request. */
const declaredNames = new WeakMap<DtoClass, Set<string>>();

function declaredNamesOf(dto: DtoClass): Set<string> {
  let names = declaredNames.get(dto);
  if (!names) {
    const rules = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    names = new Set(rules.map((rule) => rule.propertyName));
    declaredNames.set(dto, names);
  }
  return names;
}

/**
 * A parameter the query DTO declares, sent more than once (the parser makes a list of it): each
 * is one value, and its rules would only say the list is not of its type. An unknown one, sent
 * once or more, is left to the whitelist, which names it as unknown.
 */
function repeatedParameters(query: object, dto: DtoClass): FieldError[] {
  const declared = declaredNamesOf(dto);
  return Object.entries(query)
    .filter(([name, value]) => Array.isArray(value) && declared.has(name))
    .map(([name]) => ({ field: name, message: `${name} must be sent once` }));
}

/** What the full pass would misname, or not see at all. */
function fieldsRefusedFirst(value: unknown, { type, metatype }: ArgumentMetadata): FieldError[] {
  if (value === null || typeof value !== 'object') return [];
  const repeated = type === 'query' && metatype ? repeatedParameters(value, metatype) : [];
  return [...repeated, ...droppedNameFields(value)];
}

/** `first`, then those of `rest` on a field `first` does not name. */
function mergedByField(first: FieldError[], rest: FieldError[]): FieldError[] {
  const named = new Set(first.map((error) => error.field));
  return [...first, ...rest.filter((error) => !named.has(error.field))];
}

/**
 * Nest's ValidationPipe for the values Fastify's parsers make: JSON bodies, query strings and path
 * parameters. A JSON body that its DTO's compiled schema accepts (`CompiledBodies`, most bodies)
 * goes to the handler as parsed, without class-transformer's instance or class-validator's pass;
 * any other body, and every other value, takes the full pass, whose messages are the answer.
 * None of these values can hold a sparse array or a binary value, so the two passes that look for
 * those (they guard multipart fields and socket messages) are skipped. Uploads never reach a
 * pipe; the files module reads multipart itself. A field the full pass would drop unseen is
 * refused (see DROPPED_NAMES; the compiled schemas admit no such key), and so is a declared query
 * parameter sent twice, with the full pass's other errors.
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
    // Else an array, null or a bare value would be told every field it lacks. No body at all is
    // told just that (the pipe reads it as {}), which a form can show field by field.
    if (metadata.type === 'body' && value !== undefined && !isJsonObject(value))
      throw bodyRefusal('the body must be a JSON object', 'The body must be a JSON object.');
    const refused = this.toValidate(metadata) ? fieldsRefusedFirst(value, metadata) : [];
    if (!refused.length) return super.transform(value, metadata);
    // The full pass too, so that the answer names every field at fault at once.
    const others = await super.transform(value, metadata).then(
      () => [],
      (error: unknown) => {
        if (error instanceof ValidationFailedError) return error.errors ?? [];
        throw error;
      },
    );
    throw new ValidationFailedError(mergedByField(refused, others));
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
      // A field's first failed rule ends its checks, its nested ones included: a list over its
      // maximum, or of the wrong type, is refused without a look at any item, so a large invalid
      // body is not checked item by item. The rule that fails first is the one written nearest
      // the property (see messageOf). The values stay in the errors only for messageOf to tell a
      // left-out field; they never reach the answer.
      stopAtFirstError: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
    },
    compiled,
  );
}
