import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

export type OrderStatus = 'pending' | 'cancelled';

@Entity({ name: 'orders' })
@Check('orders_status_check', `"status" IN ('pending', 'cancelled')`)
@Check('orders_total_check', '"total" >= 0')
// Per user; NULLs never collide, so orders without a reference are unconstrained.
@Index('orders_user_client_reference_key', ['userId', 'clientReference'], { unique: true })
// Serves the owner's newest-first keyset pages.
@Index('orders_user_created_idx', ['userId', 'createdAt', 'id'])
export class Order {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'orders_pkey' })
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  /**
   * Only declares the foreign key; never loaded. The user entity is named, not imported, so this
   * feature does not depend on the users feature's code.
   */
  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'orders_user_id_fkey' })
  user?: unknown;

  @Column('text')
  status: OrderStatus;

  @Column('character', { length: 3 })
  currency: string;

  /** Minor units; bigint because 100 items × 10,000 × 10^9 exceeds 32 bits. */
  @Column('bigint')
  total: number;

  @Column('text', { name: 'client_reference', nullable: true })
  clientReference: string | null;

  @Column('text', { nullable: true })
  note: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
