import { Inject, Injectable } from '@nestjs/common';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isDatabaseUnavailable } from '../database/database-errors';
import { newId } from '../database/uuid';
import { Gate } from '../http/gate';
import { ConnectionClosedError, DomainError } from '../http/problem';
import { Metrics } from '../metrics/metrics';
import { AllowedType, extensionFits, textTypeFor } from './content-type';
import { sanitizeFilename } from './filename';
import { IdleWatch } from './idle-watch';
import {
  badUpload,
  FileTooLargeError,
  NotMultipartError,
  UnsupportedFileTypeError,
  UploadsBusyError,
  UploadTimeoutError,
} from './files.errors';
import { BlobStorages } from './storage/blob-storages';
import { UploadInspector } from './upload-inspector';

/** Bytes already stored as a blob, judged and hashed, but not yet a file anyone can see. */
export interface StagedUpload {
  blobId: string;
  storage: BlobStorages['current']['name'];
  filename: string;
  contentType: AllowedType;
  size: number;
  sha256: string;
}

/** A part without a filename is a form field to multipart, not a file: the message says so. */
const ONE_PART = 'send exactly one part: the file, named "file" and with a filename';

/**
 * Streams a multipart upload into storage while hashing and judging it, before any transaction
 * opens (a slow client must not hold one). Whatever goes wrong, nothing of the upload is kept.
 * At most UPLOAD_CONCURRENCY uploads are read at once, so a process's memory does not grow with
 * the clients uploading together.
 */
@Injectable()
export class UploadReader {
  private readonly reading: Gate;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storages: BlobStorages,
    metrics: Metrics,
  ) {
    const reading = new Gate(
      config.uploadConcurrency,
      config.uploadQueue,
      () => new UploadsBusyError(),
    );
    this.reading = reading;
    new Gauge({
      name: 'uploads_waiting',
      help: 'Uploads waiting at this process for one of UPLOAD_CONCURRENCY slots, their bodies unread.',
      registers: [metrics.registry],
      collect() {
        this.set(reading.queued);
      },
    });
  }

  async stage(request: FastifyRequest): Promise<StagedUpload> {
    if (!request.isMultipart()) throw new NotMultipartError();
    return this.reading.run(() => this.read(request), whenClosed(request.raw));
  }

  private async read(request: FastifyRequest): Promise<StagedUpload> {
    // A client gone as its turn came: the multipart reader listens for the request's close only
    // from now on, and would wait for bytes forever.
    if (request.raw.destroyed) throw new ConnectionClosedError();
    const limits = {
      fileSize: this.config.maxUploadBytes,
      files: 1,
      fields: 0,
      parts: 1,
      headerPairs: 20,
    };
    const parts = request.parts({ limits });
    const firstPart = this.onlyFilePart(parts); // its first next() starts the reader's pipe
    const idle = new IdleWatch(request.raw, this.config.uploadIdleTimeoutMs);
    try {
      const part = await firstPart;
      idle.partStarted(part.file);
      return await this.stageFile(parts, part);
    } finally {
      idle.stop();
    }
  }

  /** Stores the file's part, then judges it: what it holds, and that nothing follows it. */
  private async stageFile(
    parts: AsyncIterableIterator<Multipart>,
    part: MultipartFile,
  ): Promise<StagedUpload> {
    const blobId = newId();
    const storage = this.storages.current;
    try {
      const inspected = await this.store(blobId, part);
      if (!(await parts.next()).done) throw badUpload(ONE_PART);
      if (inspected.size === 0) throw badUpload('the file is empty');
      const filename = sanitizeFilename(part.filename);
      const contentType =
        inspected.kind === 'text' ? textTypeFor(part.mimetype, filename) : inspected.kind!;
      if (!extensionFits(filename, contentType)) {
        throw new UnsupportedFileTypeError(
          `The name's extension does not fit the content (${contentType}).`,
        );
      }
      return {
        blobId,
        storage: storage.name,
        filename,
        contentType,
        size: inspected.size,
        sha256: inspected.sha256,
      };
    } catch (error) {
      await storage.delete(blobId).catch(() => undefined);
      throw this.translate(error);
    }
  }

  /**
   * Drops a staged blob that did not become a file (a replay, a rejection, a failure). Checked
   * against the file rows: after a connection lost at COMMIT the file may exist after all. If the
   * database cannot say, the blob stays for the orphan sweeper.
   */
  async discard(upload: StagedUpload): Promise<void> {
    await this.storages.named(upload.storage).deleteUnreferenced(upload.blobId);
  }

  private async onlyFilePart(parts: AsyncIterableIterator<Multipart>): Promise<MultipartFile> {
    let first: IteratorResult<Multipart>;
    try {
      first = await parts.next();
    } catch (error) {
      throw this.translate(error);
    }
    if (first.done || first.value.type !== 'file' || first.value.fieldname !== 'file')
      throw badUpload(ONE_PART);
    return first.value;
  }

  /**
   * Streams the part into storage. REQUEST_TIMEOUT bounds the whole upload here, where the bytes
   * are read: a slow-drip client is cut off with 408 instead of holding a blob open for hours.
   */
  private async store(blobId: string, part: MultipartFile) {
    const inspector = new UploadInspector();
    // The storage's read of `inspector` reports its errors; until that read starts (a blob row
    // is written first), this listener keeps an early 415 from being an unhandled 'error' event.
    inspector.on('error', () => undefined);
    part.file.on('error', (error) => inspector.destroy(error));
    // Over the limit busboy drops the rest of the part, but ends it only at its closing boundary,
    // once the whole body has arrived: cut here, the 413 goes out (and the connection closes) now.
    part.file.once('limit', () => part.file.destroy(this.tooLarge()));
    const timeoutMs = this.config.requestTimeoutMs;
    const timer = setTimeout(() => part.file.destroy(new UploadTimeoutError(timeoutMs)), timeoutMs);
    try {
      part.file.pipe(inspector);
      await this.storages.current.write(blobId, inspector);
    } catch (error) {
      // The size is judged before the content: a file refused by its first bytes is read on (not
      // stored) to learn whether it is over the limit, and one cut at the limit, which looks
      // truncated to the inspector, is too large rather than of the wrong type.
      if (error instanceof UnsupportedFileTypeError) await drain(part.file);
      throw part.file.truncated ? this.tooLarge() : error;
    } finally {
      clearTimeout(timer);
    }
    if (part.file.truncated) throw this.tooLarge();
    return inspector.result();
  }

  private tooLarge(): FileTooLargeError {
    return new FileTooLargeError(this.config.maxUploadBytes);
  }

  private translate(error: unknown): unknown {
    if (error instanceof DomainError || isDatabaseUnavailable(error)) return error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') return this.tooLarge();
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new NotMultipartError();
    if (code?.startsWith('FST_')) return badUpload(ONE_PART);
    const message = (error as { message?: string }).message ?? '';
    if (/multipart|boundary|part header|end of form/i.test(message))
      return badUpload('the multipart body is malformed');
    return error;
  }
}

/** Aborts when the client's connection closes: an upload waiting for a slot then leaves the line. */
function whenClosed(request: IncomingMessage): AbortSignal {
  const closed = new AbortController();
  if (request.destroyed) closed.abort(new ConnectionClosedError());
  else request.once('close', () => closed.abort(new ConnectionClosedError()));
  return closed.signal;
}

/** Reads the rest of a part and drops it; settles at its end, or when it fails or is cut off. */
function drain(file: Readable): Promise<void> {
  if (file.readableEnded || file.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    for (const event of ['end', 'close', 'error']) file.once(event, () => resolve());
    file.resume();
  });
}
