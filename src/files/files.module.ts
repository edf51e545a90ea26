import { Module } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { OrphanSweeper } from './orphan-sweeper';
import { BlobStorages } from './storage/blob-storages';
import { UploadReader } from './upload-reader';

@Module({
  controllers: [FilesController],
  providers: [
    FilesService,
    FilesRepository,
    UploadReader,
    BlobStorages,
    OrphanSweeper,
    ResourceUrls,
  ],
  // For features that make files of their own (order exports): the file resource, the row, the bytes.
  exports: [FilesService, FilesRepository, BlobStorages],
})
export class FilesModule {}
