import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { Caller } from '../auth/caller';
import { GuardedWrite } from '../database/guarded-write';
import { Transactions } from '../database/transactions';
import { newId } from '../database/uuid';
import { NotFoundError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import { ByteRange } from './byte-range';
import { FileResponse } from './dto/file.response';
import { StoredFile } from './file.entity';
import { FilesRepository } from './files.repository';
import { BlobStorages } from './storage/blob-storages';
import type { StagedUpload } from './upload-reader';

@Injectable()
export class FilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly transactions: Transactions,
    private readonly storages: BlobStorages,
    private readonly urls: ResourceUrls,
  ) {}

  /** A staged upload as a file of the caller's, and the write the idempotency store makes of it. */
  planCreate(caller: Caller, upload: StagedUpload): { file: FileResponse; write: GuardedWrite } {
    const file: StoredFile = {
      id: newId(),
      userId: caller.userId,
      blobId: upload.blobId,
      storage: upload.storage,
      filename: upload.filename,
      contentType: upload.contentType,
      size: upload.size,
      sha256: upload.sha256,
      createdAt: new Date(),
    };
    return { file: this.toResponse(file), write: this.files.insertion(file) };
  }

  async get(caller: Caller, id: string): Promise<FileResponse> {
    return this.toResponse(await this.owned(caller, id));
  }

  /** The metadata, and a reader of the bytes (all, or an inclusive range). */
  async open(
    caller: Caller,
    id: string,
  ): Promise<{ file: FileResponse; read: (range: ByteRange | null) => Readable }> {
    const file = await this.owned(caller, id);
    const storage = this.storages.named(file.storage);
    return {
      file: this.toResponse(file),
      read: (range) => storage.read(file.blobId, Number(file.size), range),
    };
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const deleted = await this.files.deleteOwned(this.transactions.autocommit, caller.userId, id);
    if (!deleted) throw new NotFoundError('file');
    // After the row is gone: if this fails, the blob is an orphan and the sweeper removes it.
    await this.storages
      .named(deleted.storage)
      .delete(deleted.blobId)
      .catch(() => undefined);
  }

  private async owned(caller: Caller, id: string): Promise<StoredFile> {
    const file = await this.files.findOwned(this.transactions.autocommit, caller.userId, id);
    if (!file) throw new NotFoundError('file');
    return file;
  }

  private toResponse(file: StoredFile): FileResponse {
    return {
      id: file.id,
      filename: file.filename,
      contentType: file.contentType,
      size: Number(file.size),
      sha256: file.sha256,
      url: this.urls.to(`/api/files/${file.id}/content`),
      createdAt: file.createdAt.toISOString(),
    };
  }
}
