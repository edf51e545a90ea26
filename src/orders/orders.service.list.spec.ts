import { ValidationFailedError } from '../http/problem';
import { decodeCursor, encodeCursor } from '../http/pages';
import { ALICE, AUTOCOMMIT, order, setup } from './orders.service.fixtures';

describe('OrdersService.list', () => {
  it('asks for one more than the page and gives a cursor to the older page when there is one', async () => {
    const { orders, service } = setup();
    orders.rows = [order(3), order(2), order(1)];
    const page = await service.list(ALICE, { limit: 2 });
    expect(orders.asked).toEqual([
      {
        method: 'listOwnedJson',
        args: [
          AUTOCOMMIT,
          ALICE.userId,
          { limit: 3, afterCreatedAt: null, afterId: null },
          { status: null, createdFrom: null, createdTo: null },
          undefined,
        ],
      },
    ]);
    const sent = JSON.parse(page.body) as { data: unknown[]; nextCursor: string };
    expect(sent.data).toEqual([order(3), order(2)]);
    expect(sent.nextCursor).toBe(page.nextCursor);
    expect(decodeCursor(page.nextCursor!)).toEqual({
      createdAt: new Date(order(2).createdAt),
      id: order(2).id,
    });
  });

  it('passes a clientReference on to the repository', async () => {
    const { orders, service } = setup();
    await service.list(ALICE, { limit: 20, clientReference: 'checkout-1' });
    expect(orders.asked[0].args[4]).toBe('checkout-1');
  });

  it('answers no cursor on the last page', async () => {
    const { orders, service } = setup();
    orders.rows = [order(2), order(1)];
    const page = await service.list(ALICE, { limit: 2 });
    expect(page.nextCursor).toBeNull();
    expect(page.body).toBe(JSON.stringify({ data: [order(2), order(1)], nextCursor: null }));
  });

  it('reads the page after the cursor it is given', async () => {
    const { orders, service } = setup();
    const after = { createdAt: new Date(order(5).createdAt), id: order(5).id };
    await service.list(ALICE, { limit: 20, cursor: encodeCursor(after) });
    expect(orders.asked[0].args).toEqual([
      AUTOCOMMIT,
      ALICE.userId,
      { limit: 21, afterCreatedAt: after.createdAt, afterId: after.id },
      { status: null, createdFrom: null, createdTo: null },
    ]);
  });

  it('reads the orders the filter names, its instants in UTC', async () => {
    const { orders, service } = setup();
    await service.list(ALICE, {
      limit: 20,
      status: 'cancelled',
      createdFrom: '2026-01-02T11:00:00+01:00',
      createdTo: '2026-01-03T00:00:00Z',
    });
    expect(orders.asked[0].args[3]).toEqual({
      status: 'cancelled',
      createdFrom: '2026-01-02T10:00:00.000Z',
      createdTo: '2026-01-03T00:00:00.000Z',
    });
  });

  it('answers 400 for a range that ends before it starts, without a read', async () => {
    const { orders, service } = setup();
    const error = await service
      .list(ALICE, {
        limit: 20,
        createdFrom: '2026-01-02T00:00:00Z',
        createdTo: '2026-01-01T00:00:00Z',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(orders.asked).toEqual([]);
  });

  it('answers 400 for a cursor it did not make, without a read', async () => {
    const { orders, service } = setup();
    const error = await service
      .list(ALICE, { limit: 20, cursor: 'bm90IGEgY3Vyc29y' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(orders.asked).toEqual([]);
  });
});
