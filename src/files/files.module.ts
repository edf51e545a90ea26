import { Module, OnModuleInit } from '@nestjs/common';
import { JobTasks } from '../jobs/job-task';
import { ResourceUrls } from '../http/resource-urls';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FileResponses } from './file-responses';
import { FilesService } from './files.service';
import { ImageProcessing } from './image-processing';
import { OrphanSweeper } from './orphan-sweeper';
import { BlobStorages } from './storage/blob-storages';
import { BlobsRepository } from './storage/blobs.repository';
import { UploadReader } from './upload-reader';

@Module({
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
  ],
  // For features that make files of their own (order exports): the file resource, the row, the bytes.
  exports: [FilesService, FilesRepository, BlobStorages, FileResponses],
})
export class FilesModule implements OnModuleInit {
  constructor(
    private readonly jobs: JobTasks,
    private readonly imageProcessing: ImageProcessing,
  ) {}

  onModuleInit() {
    this.jobs.register(this.imageProcessing);
  }
}
