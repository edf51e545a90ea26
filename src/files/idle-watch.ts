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
  private part: Readable | null = null;

  /**
   * Start it once the multipart reader pipes the request: a 'data' listener on a request not yet
   * piped would set it flowing, and the bytes would reach this listener alone.
   */
  constructor(
    private readonly request: IncomingMessage,
    private readonly ms: number,
  ) {
    request.on('data', this.touch);
    this.timer = setTimeout(this.check, ms);
  }

  partStarted(part: Readable): void {
    this.part = part;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.request.off('data', this.touch);
  }

  private readonly touch = () => this.timer.refresh();

  private readonly check = () => {
    if (this.request.complete) return;
    if (this.request.readableFlowing === false) return void this.timer.refresh();
    // The file's part, while it is arriving, so that the 408 can still be answered; before it, or
    // once it has ended (the client holds back the closing boundary), the request and its socket.
    const reading = this.part && !this.part.readableEnded && !this.part.destroyed;
    (reading ? this.part! : this.request).destroy(new UploadIdleError(this.ms));
  };
}
