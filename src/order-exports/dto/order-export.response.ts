import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, ApiUuid } from '../../http/openapi.decorators';
import { FileResponse } from '../../files/dto/file.response';
import type { OrderStatus } from '../../orders/order.entity';
import type { OrderExportFormat, OrderExportStatus } from '../order-export.entity';
import { PageResponseOf } from '../../http/dto/page.response';

/** The filter the export was asked for; null where it was not given. */
export class OrderExportFilter {
  @ApiProperty({ enum: ['pending', 'cancelled'], nullable: true, type: 'string' })
  status: OrderStatus | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  createdFrom: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  createdTo: string | null;
}

/** Why an export failed for good. */
export class OrderExportError {
  /** Stable and machine-readable: `export_failed`. */
  code: string;
  detail: string;
}

/**
 * An export as its owner sees it: `queued`, then `running`, then `succeeded` (with `rowCount` and
 * `file`, the CSV) or `failed` (with `error`).
 */
export class OrderExportResponse {
  @ApiUuid()
  id: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] })
  status: OrderExportStatus;
  @ApiProperty({ enum: ['csv'] })
  format: OrderExportFormat;
  filter: OrderExportFilter;
  /** Data lines in the CSV (the header excluded), once succeeded. */
  @ApiProperty({ type: 'integer', nullable: true })
  rowCount: number | null;
  /**
   * The CSV once succeeded, as `GET /api/files/{id}` shows it: a file of the caller's, read at its
   * `url` and deletable like any upload. Null before, and after the owner deleted it.
   */
  @ApiProperty({ type: () => FileResponse, nullable: true })
  file: FileResponse | null;
  @ApiProperty({ type: () => OrderExportError, nullable: true })
  error: OrderExportError | null;
  @ApiTimestamp()
  createdAt: string;
  /** When `status` last changed; deleting the CSV file shows in `file` (and the ETag) only. */
  @ApiTimestamp()
  updatedAt: string;
}

export class OrderExportPageResponse extends PageResponseOf(OrderExportResponse) {}
