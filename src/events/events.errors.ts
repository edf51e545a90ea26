import { DomainError } from '../http/problem';

export class TooManyStreamsError extends DomainError {
  constructor(limit: number) {
    super(
      429,
      'too_many_streams',
      'Too many event streams',
      `You have ${limit} event streams open at this instance already; close one, or share one between your tabs.`,
      { 'Retry-After': '5' },
    );
  }
}
