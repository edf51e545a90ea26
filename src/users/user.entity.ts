import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'users_pkey' })
  id: string;

  /** As the user typed it; shown back to them. */
  @Column('text')
  email: string;

  /** Trimmed, lower-cased and NFC (normalizeEmail): the unique index makes sign-up races answer 409, not two users. */
  @Index('users_email_normalized_key', { unique: true })
  @Column('text', { name: 'email_normalized' })
  emailNormalized: string;

  @Column('text')
  name: string;

  @Column('text', { name: 'password_hash' })
  passwordHash: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
