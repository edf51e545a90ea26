import { Injectable, Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { isUuid, UUID_PATTERN } from '../database/uuid';
import { ValidationFailedError } from './problem';

/** Path ids must be UUIDs: anything else is a 400 before it can reach SQL as a cast error. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value))
      throw new ValidationFailedError([{ field: 'id', message: 'id must be a UUID' }]);
    return value.toLowerCase();
  }
}

/**
 * `@UuidParam() id: string`: the path parameter `name` through UuidPipe, documented with the pattern
 * the pipe enforces (`format: uuid` alone would also admit the `urn:uuid:` form, which it refuses).
 */
export function UuidParam(name = 'id'): ParameterDecorator {
  return (target, method, index) => {
    Param(name, UuidPipe)(target, method, index);
    const handler = Object.getOwnPropertyDescriptor(target, method!)!;
    ApiParam({
      name,
      schema: { type: 'string', format: 'uuid', pattern: UUID_PATTERN.source },
      example: '0190a5c4-7c1e-7d3a-9f2b-3c4d5e6f7a8b',
    })(target, method!, handler);
  };
}
