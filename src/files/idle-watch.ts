import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { UploadIdleError } from './files.errors';

/**
 * Cuts off an upload whose client sends nothing for `ms` while the service waits for its bytes:
 * a phone gone into a tunnel leaves its connection open, and would hold an upload slot until
 * REQUEST_TIMEOUT. Time spent waiting on storage (the request paused by backpressure) or after
 * the whole request arrived is not the client's and does not count.
 */
export class IdleWatch {
  private readonly timer: NodeJS.Timeout;
  /** What a cut destroys: the request until the file's part starts, then the part (a 408 goes out). */
  private target: Readable;

  constructor(
    private readonly request: IncomingMessage,
    private readonly ms: number,
  ) {
    this.target = request;
    // Added after the multipart reader piped the request: a 'data' listener on a request not yet
    // flowing would start it, and its bytes would reach this listener alone.
    request.on('data', this.touch);
    this.timer = setTimeout(this.check, ms);
  }

  partStarted(part: Readable): void {
    this.target = part;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.request.off('data', this.touch);
  }

  private readonly touch = () => this.timer.refresh();

  private readonly check = () => {
    if (this.request.complete) return;
    if (this.request.readableFlowing === false) return void this.timer.refresh();
    this.target.destroy(new UploadIdleError(this.ms));
  };
}
