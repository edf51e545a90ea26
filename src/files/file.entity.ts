import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

export type StorageDriverName = 'postgres' | 'filesystem';

/** Images are `processing` until their job has read them; everything else is `ready` at once. */
export const FILE_STATUSES = ['processing', 'ready', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** A new file's derived data: none yet (an image's job fills it in). */
export const NOTHING_DERIVED = {
  width: null,
  height: null,
  thumbnailBlobId: null,
  thumbnailSize: null,
  errorCode: null,
  errorDetail: null,
} as const;

/** An uploaded file's metadata; its bytes are a blob in the storage named by `storage`. */
@Entity({ name: 'files' })
@Index('files_user_created_idx', ['userId', 'createdAt'])
export class StoredFile {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'files_pkey' })
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  /**
   * Only declares the foreign key; never loaded. The user entity is named, not imported, so this
   * feature does not depend on the users feature's code.
   */
  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'files_user_id_fkey' })
  user?: unknown;

  /** Server-generated; the client's filename never names anything in storage. */
  @Index('files_blob_id_key', { unique: true })
  @Column('uuid', { name: 'blob_id' })
  blobId: string;

  @Column('text')
  storage: StorageDriverName;

  /** Sanitised, for display and Content-Disposition only. */
  @Column('text')
  filename: string;

  /** Sniffed from the bytes, not taken from the client. */
  @Column('text', { name: 'content_type' })
  contentType: string;

  @Column('bigint')
  size: number;

  @Column('character', { length: 64 })
  sha256: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('text', { default: 'ready' })
  status: FileStatus;

  @Column('integer', { nullable: true })
  width: number | null;

  @Column('integer', { nullable: true })
  height: number | null;

  /** A WebP of at most 256 px on its longer side, in the same storage as the file's bytes. */
  @Index('files_thumbnail_blob_id_key', { unique: true })
  @Column('uuid', { name: 'thumbnail_blob_id', nullable: true })
  thumbnailBlobId: string | null;

  @Column('integer', { name: 'thumbnail_size', nullable: true })
  thumbnailSize: number | null;

  /** Why processing failed (`status: failed`): a stable code and a sentence for people. */
  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_detail', nullable: true })
  errorDetail: string | null;
}
