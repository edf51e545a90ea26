import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { StorageDriverName } from '../file.entity';
import { BlobStorage } from './blob-storage';
import { BlobsRepository } from './blobs.repository';
import { FilesystemBlobStorage } from './filesystem-blob-storage';
import { PostgresBlobStorage } from './postgres-blob-storage';

/**
 * Both drivers, so files keep being served from the storage they were written to after
 * STORAGE_DRIVER changes; new uploads go to `current`.
 */
@Injectable()
export class BlobStorages {
  private readonly drivers: Record<StorageDriverName, BlobStorage>;
  readonly current: BlobStorage;

  constructor(@Inject(APP_CONFIG) config: AppConfig, blobs: BlobsRepository) {
    this.drivers = {
      postgres: new PostgresBlobStorage(blobs),
      filesystem: new FilesystemBlobStorage(config.dataDir, blobs),
    };
    this.current = this.drivers[config.storageDriver];
  }

  named(name: StorageDriverName): BlobStorage {
    return this.drivers[name];
  }

  all(): BlobStorage[] {
    return Object.values(this.drivers);
  }
}
