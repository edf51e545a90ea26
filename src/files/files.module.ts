import { DynamicModule, Global, Module, OnModuleInit } from '@nestjs/common';
import { SealedLinks } from '../auth/sealed-links';
import { derivedKey } from '../config/jwt-secret';
import { JobTasks } from '../jobs/job-task';
import { ResourceUrls } from '../http/resource-urls';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FileLinks } from './file-links';
import { FileResponses } from './file-responses';
import { FilesService } from './files.service';
import { ImageProcessing } from './image-processing';
import { OrphanSweeper } from './orphan-sweeper';
import { BlobStorages } from './storage/blob-storages';
import { BlobsRepository } from './storage/blobs.repository';
import { UploadReader } from './upload-reader';

/**
 * Files: uploads, their bytes and thumbnails, and the links that open them without a token.
 * Global, for features that make files of their own (order exports): they get the file resource,
 * the row and the bytes from its exports.
 */
@Global()
@Module({})
export class FilesModule implements OnModuleInit {
  /** The links' key is derived from the service secret, so no second secret must be managed. */
  static withSecret(serviceSecret: string): DynamicModule {
    const linkKey = derivedKey(serviceSecret, 'file-link-v1');
    return {
      module: FilesModule,
      controllers: [FilesController],
      providers: [
        FilesService,
        FilesRepository,
        UploadReader,
        BlobStorages,
        BlobsRepository,
        OrphanSweeper,
        ResourceUrls,
        ImageProcessing,
        FileResponses,
        { provide: FileLinks, useValue: new FileLinks(new SealedLinks(linkKey)) },
      ],
      exports: [FilesService, FilesRepository, BlobStorages, FileResponses],
    };
  }

  constructor(
    private readonly jobs: JobTasks,
    private readonly imageProcessing: ImageProcessing,
  ) {}

  onModuleInit() {
    this.jobs.register(this.imageProcessing);
  }
}
