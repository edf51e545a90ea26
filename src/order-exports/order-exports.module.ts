import { Module, OnModuleInit } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { JobTasks } from '../jobs/job-task';
import { OrderExportJob } from './order-export.job';
import { OrderExportsController } from './order-exports.controller';
import { OrderExportsRepository } from './order-exports.repository';
import { OrderExportsService } from './order-exports.service';

/**
 * Order exports: the 202 create, the status monitor, and the job that writes the CSV as a file
 * (with what the global FilesModule exports).
 */
@Module({
  controllers: [OrderExportsController],
  providers: [OrderExportsService, OrderExportsRepository, OrderExportJob, ResourceUrls],
})
export class OrderExportsModule implements OnModuleInit {
  constructor(
    private readonly tasks: JobTasks,
    private readonly job: OrderExportJob,
  ) {}

  onModuleInit() {
    this.tasks.register(this.job);
  }
}
