import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { ExportedOrder, FIRST_POSITION, orderCsv, orderPages, OrderPosition } from './order-csv';

function order(n: number, more: Partial<ExportedOrder> = {}): ExportedOrder {
  const id = `01a20107-2a26-7789-8895-${String(n).padStart(12, '0')}`;
  return {
    id,
    createdAt: new Date(Date.UTC(2026, 10, 21, 12, 0, n)),
    position: { at: `2026-11-21 12:00:${n}.000001+00`, id },
    status: 'pending',
    currency: 'EUR',
    total: '1250',
    clientReference: null,
    itemCount: '2',
    ...more,
  };
}

async function* pagesOf(...pages: ExportedOrder[][]) {
  for (const page of pages) yield page;
}

describe('orderPages', () => {
  it('reads from the top, then after the last order of each full page, until a short page', async () => {
    const asked: OrderPosition[] = [];
    const pages = [[order(9), order(8)], [order(7), order(6)], [order(5)]];
    const read = (after: OrderPosition) => {
      asked.push(after);
      return Promise.resolve(pages[asked.length - 1]);
    };
    const got = [];
    for await (const page of orderPages(read, 2, new AbortController().signal)) got.push(page);
    expect(got).toEqual(pages);
    expect(asked).toEqual([FIRST_POSITION, order(8).position, order(6).position]);
  });

  it('yields no empty page: a last full page is followed by one read that finds nothing', async () => {
    const pages = [[order(2), order(1)], []];
    let reads = 0;
    const got = [];
    const read = () => Promise.resolve(pages[reads++]);
    for await (const page of orderPages(read, 2, new AbortController().signal)) got.push(page);
    expect([got, reads]).toEqual([[pages[0]], 2]);
  });

  it('stops before the next read once the signal is aborted', async () => {
    const controller = new AbortController();
    let reads = 0;
    const read = () => {
      reads++;
      return Promise.resolve([order(2), order(1)]);
    };
    const pages = orderPages(read, 2, controller.signal);
    await pages.next();
    controller.abort();
    await expect(pages.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(reads).toBe(1);
  });
});

describe('orderCsv', () => {
  it('writes the header, then one CRLF line per order, quoting what RFC 4180 says to quote', async () => {
    const csv = orderCsv(
      pagesOf(
        [order(2, { clientReference: 'a,b"c', status: 'cancelled' })],
        [order(1, { clientReference: 'plain', total: '1000000000000000' })],
      ),
    );
    expect(await text(csv.bytes)).toBe(
      'id,createdAt,status,currency,total,clientReference,itemCount\r\n' +
        `${order(2).id},2026-11-21T12:00:02.000Z,cancelled,EUR,1250,"a,b""c",2\r\n` +
        `${order(1).id},2026-11-21T12:00:01.000Z,pending,EUR,1000000000000000,plain,2\r\n`,
    );
  });

  it('leaves the reference empty when there is none', async () => {
    const csv = orderCsv(pagesOf([order(1)]));
    expect((await text(csv.bytes)).split('\r\n')[1]).toBe(
      `${order(1).id},2026-11-21T12:00:01.000Z,pending,EUR,1250,,2`,
    );
  });

  it('is the header alone for no orders', async () => {
    const csv = orderCsv(pagesOf());
    const written = await text(csv.bytes);
    expect(written).toBe('id,createdAt,status,currency,total,clientReference,itemCount\r\n');
    expect(csv.digest().rowCount).toBe(0);
  });

  it('counts the data lines and hashes the bytes it wrote, once they are read', async () => {
    const csv = orderCsv(pagesOf([order(3), order(2)], [order(1)]));
    expect(() => csv.digest()).toThrow();
    const written = await text(csv.bytes);
    expect(csv.digest()).toEqual({
      rowCount: 3,
      size: Buffer.byteLength(written),
      sha256: createHash('sha256').update(written).digest('hex'),
    });
  });
});
