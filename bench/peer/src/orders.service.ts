import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateOrderDto } from './create-order.dto';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async create(userId: string, dto: CreateOrderDto) {
    const items = dto.items.map((item, position) => ({
      position: position + 1,
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: String(item.unitPrice),
      lineTotal: String(item.quantity * item.unitPrice),
    }));
    const order = this.orders.create({
      userId,
      currency: dto.currency,
      total: String(items.reduce((sum, item) => sum + Number(item.lineTotal), 0)),
      clientReference: dto.clientReference ?? null,
      note: dto.note ?? null,
      items,
    });
    return toResponse(await this.orders.save(order));
  }

  async findOne(userId: string, id: string) {
    const order = await this.orders.findOne({ where: { id, userId }, relations: { items: true } });
    if (!order) throw new NotFoundException();
    return toResponse(order);
  }
}

function toResponse(order: Order) {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    currency: order.currency,
    items: [...order.items]
      .sort((a, b) => a.position - b.position)
      .map(({ sku, quantity, unitPrice, lineTotal }) => ({
        sku,
        quantity,
        unitPrice: Number(unitPrice),
        lineTotal: Number(lineTotal),
      })),
    total: Number(order.total),
    clientReference: order.clientReference,
    note: order.note,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
