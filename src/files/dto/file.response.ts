import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, ApiUuid } from '../../http/openapi.decorators';
import { FILE_STATUSES, type FileStatus } from '../file.entity';
import { PageResponseOf } from '../../http/dto/page.response';

/** Why processing failed. */
export class FileError {
  /** `image_undecodable`, `image_too_large` or `processing_failed`. */
  code: string;
  detail: string;
}

/** An uploaded file's metadata; `url` downloads its bytes. */
export class FileResponse {
  @ApiUuid()
  id: string;
  /** The client's filename, sanitised; display only. */
  filename: string;
  /** Judged from the bytes. */
  contentType: string;
  /** Bytes. */
  @ApiProperty({ type: 'integer' })
  size: number;
  /** Hex SHA-256 of the bytes; also the download's ETag. */
  sha256: string;
  url: string;
  @ApiTimestamp()
  createdAt: string;
  /**
   * Images are `processing` until their dimensions are read and their thumbnail written, then
   * `ready` (or `failed`, with `error`); other files are `ready` at once.
   */
  @ApiProperty({ enum: FILE_STATUSES })
  status: FileStatus;
  /** Pixels, for images once processed; else null. */
  @ApiProperty({ type: 'integer', nullable: true })
  width: number | null;
  @ApiProperty({ type: 'integer', nullable: true })
  height: number | null;
  /** A WebP of at most 256 px on its longer side, once there is one; else null. */
  thumbnailUrl: string | null;
  error: FileError | null;
}

export class FilePageResponse extends PageResponseOf(FileResponse) {}
