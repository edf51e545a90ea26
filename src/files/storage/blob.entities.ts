import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/**
 * A blob stored by the postgres driver. It exists before its file row (bytes are streamed in
 * before the upload's transaction), so a blob nobody references is a leftover to sweep.
 */
@Entity({ name: 'file_blobs' })
export class FileBlob {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'file_blobs_pkey' })
  id: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

@Entity({ name: 'file_blob_chunks' })
export class FileBlobChunk {
  @PrimaryColumn('uuid', { name: 'blob_id', primaryKeyConstraintName: 'file_blob_chunks_pkey' })
  blobId: string;

  @PrimaryColumn('integer', { primaryKeyConstraintName: 'file_blob_chunks_pkey' })
  seq: number;

  @ManyToOne(() => FileBlob, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blob_id', foreignKeyConstraintName: 'file_blob_chunks_blob_id_fkey' })
  blob?: FileBlob;

  @Column('bytea')
  data: Buffer;
}
