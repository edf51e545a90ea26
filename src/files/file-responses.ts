import { Injectable } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { FileLinksResponse } from './dto/file-links.dto';
import { FileResponse } from './dto/file.response';
import { StoredFile } from './file.entity';
import { FileLinks, type LinkTarget } from './file-links';

/** A file as the API shows it: to its owner, and in the events about it. */
@Injectable()
export class FileResponses {
  constructor(
    private readonly urls: ResourceUrls,
    private readonly links: FileLinks,
  ) {}

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

  /** The file's `url` and `thumbnailUrl`, each with a `link` that opens it until `expiresAt`. */
  linksTo(file: StoredFile, expiresAt: Date): FileLinksResponse {
    const linked = (target: LinkTarget) => {
      const link = this.links.seal(file.userId, file.id, target, expiresAt);
      return this.urls.to(`/api/files/${file.id}/${target}?link=${link}`);
    };
    return {
      url: linked('content'),
      thumbnailUrl: file.thumbnailBlobId ? linked('thumbnail') : null,
      expiresAt: expiresAt.toISOString(),
    };
  }
}
