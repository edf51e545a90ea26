import type { Client } from 'pg';

/**
 * `count` orders of `userId`, one item each, written by two statements straight into the database:
 * far faster than creates over HTTP, for tests and benchmarks of what reads them (exports). One
 * order in 7 is cancelled and one in 10 has a clientReference holding a comma and a quote; they
 * are a second apart, the newest `count` seconds after 2026-01-01.
 */
export async function insertOrders(db: Client, userId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO orders (id, user_id, status, currency, total, client_reference, created_at, updated_at)
     SELECT gen_random_uuid(), $1, CASE WHEN n % 7 = 0 THEN 'cancelled' ELSE 'pending' END, 'EUR', n,
            CASE WHEN n % 10 = 0 THEN 'ref,' || n || '"q' END,
            '2026-01-01'::timestamptz + n * interval '1 second', now()
       FROM generate_series(1, $2::integer) AS n`,
    [userId, count],
  );
  await db.query(
    `INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
     SELECT id, 1, 'SKU-1', 1, total, total FROM orders WHERE user_id = $1`,
    [userId],
  );
}
