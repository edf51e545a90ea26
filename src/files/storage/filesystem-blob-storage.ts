import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isUuid } from '../../database/uuid';
import type { ByteRange } from '../byte-range';
import { BlobStorage } from './blob-storage';
import { BlobsRepository } from './blobs.repository';

/**
 * Blobs as files under DATA_DIR/files, named by their server-generated id: written to a temp
 * file, fsynced, then renamed into place, so a blob is either complete or absent.
 */
export class FilesystemBlobStorage implements BlobStorage {
  readonly name = 'filesystem';
  private readonly root: string;
  private readonly temp: string;

  constructor(
    dataDir: string,
    private readonly blobs: BlobsRepository,
  ) {
    this.root = join(dataDir, 'files');
    this.temp = join(this.root, 'tmp');
  }

  async write(blobId: string, source: Readable): Promise<void> {
    await mkdir(this.temp, { recursive: true });
    // A name of this write's own: a run that died mid-write (a job's, whose blob id is the same
    // every run) must not block the next one with its leftover.
    const partial = join(this.temp, `${blobId}.${randomBytes(6).toString('hex')}.part`);
    const file = await open(partial, 'wx', 0o600);
    try {
      // writeFile, not write: write() is one system call, which may write only part of a chunk
      // (a disk filling up); writeFile goes on from the handle's position until all of it is.
      for await (const chunk of source) await file.writeFile(chunk as Buffer);
      await file.sync();
      await file.close();
      await rename(partial, this.pathOf(blobId));
      await this.syncFolder();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw error;
    }
  }

  read(blobId: string, _size: number, range: ByteRange | null): Readable {
    return createReadStream(this.pathOf(blobId), range ?? {});
  }

  async delete(blobId: string): Promise<void> {
    await rm(this.pathOf(blobId), { force: true });
  }

  async deleteUnreferenced(blobId: string): Promise<void> {
    if (!(await this.blobs.referencedAmong([blobId])).has(blobId)) await this.delete(blobId);
  }

  async sweepOrphans(olderThan: Date): Promise<number> {
    const staleTemp = await this.olderThan(this.temp, olderThan, (name) => name.endsWith('.part'));
    const staleBlobs = await this.olderThan(this.root, olderThan, isUuid);
    const referenced =
      staleBlobs.length === 0 ? new Set<string>() : await this.blobs.referencedAmong(staleBlobs);
    const orphans = staleBlobs.filter((blobId) => !referenced.has(blobId));
    await Promise.all([
      ...staleTemp.map((name) => rm(join(this.temp, name), { force: true })),
      ...orphans.map((id) => this.delete(id)),
    ]);
    return staleTemp.length + orphans.length;
  }

  private pathOf(blobId: string): string {
    if (!isUuid(blobId)) throw new Error('blob ids are UUIDs'); // never a client-chosen path
    return join(this.root, blobId);
  }

  private async syncFolder() {
    const folder = await open(this.root, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  private async olderThan(
    folder: string,
    cutoff: Date,
    nameFilter: (name: string) => boolean,
  ): Promise<string[]> {
    const names = await readdir(folder).catch(() => [] as string[]);
    const stale: string[] = [];
    for (const name of names.filter(nameFilter)) {
      const info = await stat(join(folder, name)).catch(() => null);
      if (info?.isFile() && info.mtime < cutoff) stale.push(name);
    }
    return stale;
  }
}
