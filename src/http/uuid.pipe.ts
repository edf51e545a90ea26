import { Injectable, PipeTransform } from '@nestjs/common';
import { isUuid } from '../database/uuid';
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
