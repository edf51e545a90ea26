import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import type { StorageDriverName } from '../file.entity';
import { BlobStorage } from './blob-storage';
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

  constructor(@Inject(APP_CONFIG) config: AppConfig, transactions: Transactions) {
    this.drivers = {
      postgres: new PostgresBlobStorage(transactions),
      filesystem: new FilesystemBlobStorage(config.dataDir, transactions),
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
