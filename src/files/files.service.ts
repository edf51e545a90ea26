import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { requireTokenCaller, type Caller } from '../auth/caller';
import { Transactions, Tx } from '../database/transactions';
import { newId } from '../database/uuid';
import { PageQuery } from '../http/dto/page.query';
import { etagOf } from '../http/etag';
import { createdOutcome } from '../http/outcome';
import { assertPreconditions, Preconditions } from '../http/preconditions';
import { pageOf, pageWindow } from '../http/pages';
import { NotFoundError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import { EventsRepository } from '../events/events.repository';
import type { EventType } from '../events/outbox';
import { FileResponses } from './file-responses';
import type { Executed } from '../idempotency/create-executor';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { ByteRange } from './byte-range';
import { isImageType } from './content-type';
import { FileLinksResponse } from './dto/file-links.dto';
import { FilePageResponse, FileResponse } from './dto/file.response';
import { NOTHING_DERIVED, StoredFile } from './file.entity';
import { FileLinks, type LinkTarget } from './file-links';
import { ThumbnailNotFoundError } from './files.errors';
import { FilesRepository } from './files.repository';
import { BlobStorages } from './storage/blob-storages';
import { StagedUpload, UploadReader } from './upload-reader';

@Injectable()
export class FilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly transactions: Transactions,
    private readonly storages: BlobStorages,
    private readonly urls: ResourceUrls,
    private readonly responses: FileResponses,
    private readonly events: EventsRepository,
    private readonly uploads: UploadReader,
    private readonly links: FileLinks,
  ) {}

  /**
   * A staged upload becomes a file of the caller's. When it does not (a replay, a rejection, a
   * failure), its bytes are discarded.
   */
  async create(
    caller: Caller,
    upload: StagedUpload,
    idempotent: IdempotentRequest | null,
  ): Promise<Executed> {
    try {
      const file = this.newFile(caller, upload);
      const outcome = createdOutcome(
        this.urls.to(`/api/files/${file.id}`),
        this.responses.of(file),
      );
      const executed = await this.files.create(file, outcome, withUpload(idempotent, upload));
      if (executed.replayed || executed.outcome.status !== 201) await this.uploads.discard(upload);
      return executed;
    } catch (error) {
      await this.uploads.discard(upload).catch(() => undefined);
      throw error;
    }
  }

  private newFile(caller: Caller, upload: StagedUpload): StoredFile {
    return {
      id: newId(),
      userId: caller.userId,
      blobId: upload.blobId,
      storage: upload.storage,
      filename: upload.filename,
      contentType: upload.contentType,
      size: upload.size,
      sha256: upload.sha256,
      createdAt: new Date(),
      status: isImageType(upload.contentType) ? 'processing' : 'ready',
      ...NOTHING_DERIVED,
    };
  }

  async get(caller: Caller, id: string): Promise<FileResponse> {
    return this.responses.of(await this.owned(caller, id));
  }

  /** Those of `ids` that are files of the caller's, by id, in one read. */
  async getAmong(caller: Caller, ids: string[]): Promise<Map<string, FileResponse>> {
    const db = this.transactions.autocommit;
    const files = await this.files.findOwnedAmong(db, caller.userId, ids);
    return new Map(files.map((file) => [file.id, this.responses.of(file)]));
  }

  async list(caller: Caller, query: PageQuery): Promise<FilePageResponse> {
    const db = this.transactions.autocommit;
    const files = await this.files.listOwned(db, caller.userId, pageWindow(query));
    return pageOf(
      files.map((file) => this.responses.of(file)),
      query.limit,
    );
  }

  /** URLs of the file's bytes and thumbnail that open without a token for `seconds` from now. */
  async linksTo(caller: Caller, id: string, seconds: number): Promise<FileLinksResponse> {
    const file = await this.owned(caller, id);
    return this.responses.linksTo(file, this.links.expiryIn(seconds));
  }

  /**
   * Whom a request for a file's `target` reads for: the maker of the `link` it carries (the URL
   * alone decides, whatever token comes with it, and an empty `link` is refused, not skipped),
   * else the Bearer token's caller.
   */
  callerFor(
    caller: Caller | null,
    link: string | undefined,
    id: string,
    target: LinkTarget,
  ): Caller {
    if (link !== undefined) return { userId: this.links.ownerOf(link, id, target) };
    return requireTokenCaller(caller, 'GET /api/files/{id}/links');
  }

  /** The metadata, and a reader of the bytes (all, or an inclusive range). */
  async open(
    caller: Caller,
    id: string,
  ): Promise<{ file: FileResponse; read: (range: ByteRange | null) => Readable }> {
    const file = await this.owned(caller, id);
    const storage = this.storages.named(file.storage);
    return {
      file: this.responses.of(file),
      read: (range) => storage.read(file.blobId, Number(file.size), range),
    };
  }

  /** The thumbnail's bytes and validator; 404 while there is none. */
  async thumbnail(
    caller: Caller,
    id: string,
  ): Promise<{ etag: string; size: number; read: () => Readable }> {
    const file = await this.owned(caller, id);
    const { thumbnailBlobId: blobId, thumbnailSize: size } = file;
    if (!blobId || size === null) throw new ThumbnailNotFoundError(file.status === 'processing');
    const storage = this.storages.named(file.storage);
    // The blob is named after the file and written once per file: its id is a strong validator.
    return { etag: `"${blobId}"`, size, read: () => storage.read(blobId, size, null) };
  }

  /** The row and its `file.deleted` commit together; the blobs go after. */
  async delete(caller: Caller, id: string, preconditions: Preconditions = {}): Promise<void> {
    const deleted = await this.transactions.run(async (tx) => {
      await this.assertDeletable(tx, caller, id, preconditions);
      const file = await this.files.deleteOwned(tx, caller.userId, id);
      if (file) await this.announce(tx, 'file.deleted', file);
      return file;
    });
    if (!deleted) throw new NotFoundError('file');
    // After the row is gone: if this fails, the blobs are orphans and the sweeper removes them.
    const storage = this.storages.named(deleted.storage);
    for (const blobId of [deleted.blobId, deleted.thumbnailBlobId])
      if (blobId) await storage.delete(blobId).catch(() => undefined);
  }

  /**
   * A conditional delete's If-Match / If-None-Match, compared with the metadata's ETag under the
   * row's lock, so the image job cannot change it between the check and the delete. No such file:
   * nothing to compare, and the delete answers 404.
   */
  private async assertDeletable(tx: Tx, caller: Caller, id: string, preconditions: Preconditions) {
    if (preconditions.ifMatch === undefined && preconditions.ifNoneMatch === undefined) return;
    const current = await this.files.lockOwned(tx, caller.userId, id);
    if (current) assertPreconditions(preconditions, etagOf(this.responses.of(current)));
  }

  private async owned(caller: Caller, id: string): Promise<StoredFile> {
    const file = await this.files.findOwned(this.transactions.autocommit, caller.userId, id);
    if (!file) throw new NotFoundError('file');
    return file;
  }

  /** Writes the event of a change to `file`, in the change's transaction. */
  announce(tx: Tx, type: EventType, file: StoredFile): Promise<void> {
    const data = JSON.stringify(this.responses.of(file));
    return this.events.append(tx, { type, owner: file.userId, subject: file.id, data });
  }
}

/** Uploads are fingerprinted by their bytes' SHA-256 and their name, not by a JSON body. */
function withUpload(
  idempotent: IdempotentRequest | null,
  upload: StagedUpload,
): IdempotentRequest | null {
  if (!idempotent) return null;
  return {
    ...idempotent,
    request: {
      ...idempotent.request,
      body: { filename: upload.filename },
      extra: `sha256:${upload.sha256}`,
    },
  };
}
