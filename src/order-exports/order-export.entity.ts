import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

export type OrderExportStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type OrderExportFormat = 'csv';

/**
 * A request to export the caller's orders, and how far its background job has got. The CSV it
 * produces is an ordinary file of the caller's (`file_id`).
 */
@Entity({ name: 'order_exports' })
@Check('order_exports_status_check', `"status" IN ('queued', 'running', 'succeeded', 'failed')`)
@Check('order_exports_format_check', `"format" IN ('csv')`)
// Serves the cascade when a user is deleted, and a future list of the owner's exports.
@Index('order_exports_user_created_idx', ['userId', 'createdAt'])
export class OrderExport {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'order_exports_pkey' })
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  /** Only declares the foreign key; named, not imported, as the other features do. */
  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'order_exports_user_id_fkey' })
  user?: unknown;

  @Column('text')
  status: OrderExportStatus;

  @Column('text')
  format: OrderExportFormat;

  /** The filter as requested; null: not filtered on. */
  @Column('text', { name: 'filter_status', nullable: true })
  filterStatus: string | null;

  @Column('timestamptz', { name: 'created_from', nullable: true })
  createdFrom: Date | null;

  @Column('timestamptz', { name: 'created_to', nullable: true })
  createdTo: Date | null;

  /** Set when it succeeded: data lines in the CSV. */
  @Column('integer', { name: 'row_count', nullable: true })
  rowCount: number | null;

  /**
   * The CSV, once it succeeded. The owner may delete that file like any other; the export then
   * keeps its row count and shows no file.
   */
  @Index('order_exports_file_id_idx')
  @Column('uuid', { name: 'file_id', nullable: true })
  fileId: string | null;

  @ManyToOne('StoredFile', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'file_id', foreignKeyConstraintName: 'order_exports_file_id_fkey' })
  file?: unknown;

  /** Set when it failed for good: a stable code and a sentence for the client. */
  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_detail', nullable: true })
  errorDetail: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
