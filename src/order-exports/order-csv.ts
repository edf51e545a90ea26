import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
// csv-stringify rather than hand-written quoting: RFC 4180's rules (quote a field holding the
// delimiter, a quote or a line break; double the quotes inside) are easy to get almost right, and
// a clientReference may hold commas and quotes. It is well kept and has no dependencies.
import { stringify } from 'csv-stringify/sync';
import type { OrderStatus } from '../orders/order.entity';

/** The CSV's columns, in order: also its header line. */
export const CSV_COLUMNS = [
  'id',
  'createdAt',
  'status',
  'currency',
  'total',
  'clientReference',
  'itemCount',
] as const;

/** Where a newest-first page ended: created_at exactly as PostgreSQL holds it, and the id. */
export interface OrderPosition {
  at: string;
  id: string;
}

/** Before the newest order of all. */
export const FIRST_POSITION: OrderPosition = {
  at: 'infinity',
  id: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
};

/** One order as the export reads it; amounts and counts as PostgreSQL's exact text. */
export interface ExportedOrder {
  id: string;
  createdAt: Date;
  position: OrderPosition;
  status: OrderStatus;
  currency: string;
  total: string;
  clientReference: string | null;
  itemCount: string;
}

/** What a finished CSV holds: its data lines, and its bytes' size and SHA-256. */
export interface CsvDigest {
  rowCount: number;
  size: number;
  sha256: string;
}

/**
 * Every page `readPage` gives, from the newest order on, until a short page; `signal` is checked
 * between pages, so a shutdown stops the export there.
 */
export async function* orderPages(
  readPage: (after: OrderPosition) => Promise<ExportedOrder[]>,
  pageSize: number,
  signal: AbortSignal,
): AsyncGenerator<ExportedOrder[]> {
  for (let after = FIRST_POSITION; ;) {
    signal.throwIfAborted();
    const page = await readPage(after);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].position;
  }
}

/**
 * The CSV of `pages` as a stream of one chunk per page (memory holds one page, whatever the
 * number of orders), hashed and counted as it is read; `digest` once it has been read whole.
 * Lines end in CRLF, as RFC 4180 has them; a CSV of no orders is its header line.
 */
export function orderCsv(pages: AsyncIterable<ExportedOrder[]>): {
  bytes: Readable;
  digest: () => CsvDigest;
} {
  const hash = createHash('sha256');
  let rowCount = 0;
  let size = 0;
  let sha256: string | null = null;
  const take = (orders: ExportedOrder[], header: boolean) => {
    const bytes = Buffer.from(
      stringify(orders.map(csvRecord), {
        header,
        columns: [...CSV_COLUMNS],
        record_delimiter: 'windows',
      }),
    );
    hash.update(bytes);
    size += bytes.length;
    rowCount += orders.length;
    return bytes;
  };
  async function* chunks() {
    let header = true;
    for await (const page of pages) {
      yield take(page, header);
      header = false;
    }
    if (header) yield take([], true);
    sha256 = hash.digest('hex');
  }
  const digest = () => {
    if (sha256 === null) throw new Error('the CSV has not been read to its end');
    return { rowCount, size, sha256 };
  };
  return { bytes: Readable.from(chunks()), digest };
}

function csvRecord(order: ExportedOrder): Record<(typeof CSV_COLUMNS)[number], string> {
  return {
    id: order.id,
    createdAt: order.createdAt.toISOString(),
    status: order.status,
    currency: order.currency,
    total: order.total,
    clientReference: order.clientReference ?? '', // never empty otherwise: at least 1 character
    itemCount: order.itemCount,
  };
}
