import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Order } from './order.entity';

@Entity({ name: 'order_items' })
export class OrderItem {
  @PrimaryColumn('uuid', { name: 'order_id', primaryKeyConstraintName: 'order_items_pkey' })
  orderId: string;

  /** The item's place in the order as the client sent it. */
  @PrimaryColumn('smallint', { primaryKeyConstraintName: 'order_items_pkey' })
  position: number;

  @ManyToOne(() => Order, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'order_items_order_id_fkey' })
  order?: Order;

  @Column('text')
  sku: string;

  @Column('integer')
  quantity: number;

  @Column('bigint', { name: 'unit_price' })
  unitPrice: number;

  @Column('bigint', { name: 'line_total' })
  lineTotal: number;
}
