import { DomainError } from '../http/problem';

export class OrderReferenceTakenError extends DomainError {
  constructor() {
    super(
      409,
      'order_reference_taken',
      'Order reference taken',
      'You already have an order with this clientReference: GET /api/orders?clientReference=<it, percent-encoded> finds it.',
    );
  }
}
