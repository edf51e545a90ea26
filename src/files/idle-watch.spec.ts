import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { UploadIdleError } from './files.errors';
import { IdleWatch } from './idle-watch';

/** A request as the watch sees it: a stream of the body's bytes, flowing, with `complete`. */
function fakeRequest() {
  const request = Object.assign(new PassThrough(), { complete: false });
  request.on('error', () => undefined);
  request.resume(); // piped on to the multipart reader, as the watch finds it
  return request;
}

describe('IdleWatch', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('cuts the request off with a 408 once the client has sent nothing for the timeout', () => {
    const request = fakeRequest();
    const watch = new IdleWatch(request as unknown as IncomingMessage, 1_000);
    jest.advanceTimersByTime(999);
    expect(request.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(request.errored).toBeInstanceOf(UploadIdleError);
    expect((request.errored as UploadIdleError).status).toBe(408);
    watch.stop();
  });

  it('counts from the last bytes that arrived, and cuts the part once it has started', () => {
    const request = fakeRequest();
    const part = new PassThrough().on('error', () => undefined);
    const watch = new IdleWatch(request as unknown as IncomingMessage, 1_000);
    jest.advanceTimersByTime(800);
    request.write('bytes');
    watch.partStarted(part);
    jest.advanceTimersByTime(800);
    expect(part.destroyed).toBe(false);
    jest.advanceTimersByTime(200);
    expect(part.errored).toBeInstanceOf(UploadIdleError);
    expect(request.destroyed).toBe(false);
    watch.stop();
  });

  it('cuts the request once the part has ended and the client holds back the closing boundary', () => {
    const request = fakeRequest();
    // Read to its end by storage; the request goes on, waiting for the boundary.
    const part = { readableEnded: true, destroyed: false, destroy: jest.fn() };
    const watch = new IdleWatch(request as unknown as IncomingMessage, 1_000);
    watch.partStarted(part as unknown as PassThrough);
    jest.advanceTimersByTime(1_000);
    expect(request.errored).toBeInstanceOf(UploadIdleError);
    expect(part.destroy).not.toHaveBeenCalled();
    watch.stop();
  });

  it('does not count time the service is not reading (backpressure) or after the request is whole', () => {
    const paused = fakeRequest();
    const pausedWatch = new IdleWatch(paused as unknown as IncomingMessage, 1_000);
    paused.pause();
    jest.advanceTimersByTime(5_000);
    expect(paused.destroyed).toBe(false);
    paused.resume();
    jest.advanceTimersByTime(1_000);
    expect(paused.destroyed).toBe(true); // reading again, and still nothing arrives
    pausedWatch.stop();

    const whole = fakeRequest();
    const wholeWatch = new IdleWatch(whole as unknown as IncomingMessage, 1_000);
    whole.complete = true;
    jest.advanceTimersByTime(5_000);
    expect(whole.destroyed).toBe(false);
    wholeWatch.stop();
  });

  it('cuts nothing once stopped', () => {
    const request = fakeRequest();
    new IdleWatch(request as unknown as IncomingMessage, 1_000).stop();
    jest.advanceTimersByTime(5_000);
    expect(request.destroyed).toBe(false);
    expect(request.listenerCount('data')).toBe(0);
  });
});
