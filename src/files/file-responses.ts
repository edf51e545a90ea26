import { Injectable } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { FileResponse } from './dto/file.response';
import { StoredFile } from './file.entity';

/** A file as the API shows it: to its owner, and in the events about it. */
@Injectable()
export class FileResponses {
  constructor(private readonly urls: ResourceUrls) {}

  of(file: StoredFile): FileResponse {
    return {
      id: file.id,
      filename: file.filename,
      contentType: file.contentType,
      size: Number(file.size),
      sha256: file.sha256,
      url: this.urls.to(`/api/files/${file.id}/content`),
      createdAt: file.createdAt.toISOString(),
      status: file.status,
      width: file.width,
      height: file.height,
      thumbnailUrl: file.thumbnailBlobId ? this.urls.to(`/api/files/${file.id}/thumbnail`) : null,
      error: file.errorCode ? { code: file.errorCode, detail: file.errorDetail ?? '' } : null,
    };
  }
}
