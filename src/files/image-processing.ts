import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type Sharp from 'sharp';
import { v5 as uuidV5 } from 'uuid';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import type { JobTask } from '../jobs/job-task';
import type { StoredFile } from './file.entity';
import { FilesRepository, PROCESS_IMAGE } from './files.repository';
import { FilesService } from './files.service';
import { BlobStorages } from './storage/blob-storages';

/** Longer side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256;
/**
 * Longest side decoded, in pixels. Shrinking costs memory by the width, not by the pixels: a small
 * PNG declaring a thin image far wider than this, within MAX_IMAGE_PIXELS, would take gigabytes.
 */
export const MAX_IMAGE_SIDE = 16_384;
const THUMBNAIL_NAMESPACE = '5d4e2b0a-9c1f-4f5e-8a8e-3b7f0c6d2a91';

/** Names a file's thumbnail blob after the file, so that a repeated run writes the same one. */
export function thumbnailBlobIdOf(fileId: string): string {
  return uuidV5(fileId, THUMBNAIL_NAMESPACE);
}

let loadedSharp: typeof Sharp | undefined;

/**
 * sharp, required on first use rather than imported: loading it maps libvips, memory an API
 * process that runs no jobs (WORKER_CONCURRENCY=0) would hold for nothing. A process that runs
 * jobs loads it as it starts (`ImageProcessing`), so a missing libvips still stops it there.
 */
function sharp(): typeof Sharp {
  if (!loadedSharp) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadedSharp = require('sharp') as typeof Sharp;
    // libvips's operation cache keeps decoded images between calls: memory a job never reuses.
    loadedSharp.cache(false);
  }
  return loadedSharp;
}

interface Rendered {
  width: number;
  height: number;
  thumbnail: Buffer;
}

/** Why an image cannot be processed: the file ends `failed` with this, and the job is done. */
export class ImageRejected extends Error {
  constructor(
    readonly code: 'image_undecodable' | 'image_too_large',
    detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/**
 * The job every image upload adds: reads its dimensions and writes a WebP thumbnail with sharp,
 * then marks the file ready; an image that cannot be decoded, or declares more pixels than
 * MAX_IMAGE_PIXELS, marks it failed. Safe to run again: the thumbnail's blob id is derived from
 * the file's, and only a file still processing changes.
 */
@Injectable()
export class ImageProcessing implements JobTask<{ fileId: string }> {
  readonly name = PROCESS_IMAGE;
  private readonly logger = new Logger('ImageProcessing');

  constructor(
    private readonly files: FilesRepository,
    private readonly storages: BlobStorages,
    private readonly transactions: Transactions,
    private readonly service: FilesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (config.workerConcurrency > 0) sharp();
  }

  async run({ fileId }: { fileId: string }): Promise<void> {
    const db = this.transactions.autocommit;
    const file = await this.files.find(db, fileId);
    if (!file || file.status !== 'processing') return; // deleted, or done by an earlier run
    const bytes = await buffer(
      this.storages.named(file.storage).read(file.blobId, file.size, null),
    );
    let rendered: Rendered;
    try {
      rendered = await renderThumbnail(bytes, this.config.maxImagePixels);
    } catch (error) {
      if (!(error instanceof ImageRejected)) throw error;
      if (error.cause instanceof Error)
        this.logger.warn(`file ${file.id}: ${error.code}: ${firstLine(error.cause.message)}`);
      return this.fail(file.id, error.code, error.message);
    }
    await this.storeThumbnail(file, rendered);
  }

  /** The cause stays in the log (the job runner wrote each run's): it may name storage or SQL. */
  async gaveUp({ fileId }: { fileId: string }, _error: Error): Promise<void> {
    await this.fail(fileId, 'processing_failed', PROCESSING_FAILED);
  }

  /** `failed`, and `file.failed` in the same transaction; nothing if it was no longer processing. */
  private fail(fileId: string, code: string, detail: string): Promise<void> {
    return this.transactions.run(async (tx) => {
      const failed = await this.files.markFailed(tx, fileId, code, detail);
      if (failed) await this.service.announce(tx, 'file.failed', failed);
    });
  }

  private async storeThumbnail(file: StoredFile, { width, height, thumbnail }: Rendered) {
    const storage = this.storages.named(file.storage);
    const thumbnailBlobId = thumbnailBlobIdOf(file.id);
    await storage.deleteUnreferenced(thumbnailBlobId); // left by a run that died before marking
    await storage.write(thumbnailBlobId, Readable.from([thumbnail]));
    const image = { width, height, thumbnailBlobId, thumbnailSize: thumbnail.length };
    const ready = await this.transactions.run(async (tx) => {
      const marked = await this.files.markReady(tx, file.id, image);
      if (marked) await this.service.announce(tx, 'file.ready', marked);
      return marked;
    });
    if (!ready) await storage.deleteUnreferenced(thumbnailBlobId); // deleted meanwhile
  }
}

/**
 * The header is read first: a pixel bomb (a small file declaring a huge image) is refused before
 * anything is decoded, and `limitInputPixels` holds the decoder to the same bound.
 */
export async function renderThumbnail(bytes: Buffer, maxPixels: number): Promise<Rendered> {
  // The header alone, unlimited, so that a bomb is named as such rather than as undecodable.
  const metadata = await sharp()(bytes, { limitInputPixels: false })
    .metadata()
    .catch((error: Error) => {
      throw undecodable(error);
    });
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) throw new ImageRejected('image_undecodable', 'The image has no size.');
  if (width * height > maxPixels)
    throw new ImageRejected(
      'image_too_large',
      `The image declares ${width}×${height} pixels; at most ${maxPixels} are processed (MAX_IMAGE_PIXELS).`,
    );
  if (Math.max(width, height) > MAX_IMAGE_SIDE)
    throw new ImageRejected(
      'image_too_large',
      `The image declares ${width}×${height} pixels; sides of at most ${MAX_IMAGE_SIDE} are processed.`,
    );
  const thumbnail = await sharp()(bytes, { limitInputPixels: maxPixels })
    .rotate() // as EXIF orientation says, like every viewer shows it
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp()
    .toBuffer()
    .catch((error: Error) => {
      throw undecodable(error);
    });
  return { width, height, thumbnail };
}

/** The decoder's own words go to the log, not to the client: they name the library, not the file. */
function undecodable(error: Error): ImageRejected {
  return new ImageRejected(
    'image_undecodable',
    'The image could not be decoded: its data is corrupt, or in a form this service does not read.',
    { cause: error },
  );
}

const PROCESSING_FAILED =
  'The image could not be processed because of a fault on the service side; upload it again to retry.';

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
