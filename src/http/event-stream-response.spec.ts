import { NotAcceptableException } from '@nestjs/common';
import { requireEventStreamAccepted } from './event-stream-response';

describe('requireEventStreamAccepted', () => {
  it.each([
    undefined,
    '',
    'text/event-stream',
    'TEXT/Event-Stream',
    'text/event-stream; charset=UTF-8',
    'text/*',
    '*/*',
    'application/json, text/event-stream;q=0.1',
    'text/*;q=0, text/event-stream', // the more specific range decides
  ])('admits %p', (accept) => {
    expect(() => requireEventStreamAccepted(accept)).not.toThrow();
  });

  it.each([
    'application/json',
    'text/event-stream;q=0, */*', // the more specific range decides
    'text/event-stream;q=0.000',
    '*/*;q=0',
    'text/event-stream;charset=latin1',
  ])('refuses %p with 406', (accept) => {
    expect(() => requireEventStreamAccepted(accept)).toThrow(NotAcceptableException);
  });
});
