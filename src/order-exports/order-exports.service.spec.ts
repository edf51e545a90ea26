import type { Caller } from '../auth/caller';
import { loadConfig } from '../config/app-config';
import type { Transactions, Tx } from '../database/transactions';
import type { FileResponse } from '../files/dto/file.response';
import type { FilesService } from '../files/files.service';
import { etagOfJson } from '../http/etag';
import { HttpOutcome } from '../http/outcome';
import { NotFoundError, ValidationFailedError } from '../http/problem';
import { ResourceUrls } from '../http/resource-urls';
import type { Executed } from '../idempotency/create-executor';
import type { CreateOrderExportDto } from './dto/create-order-export.dto';
import type { OrderExportRecord, OrderExportsRepository } from './order-exports.repository';
import { isFinished, OrderExportsService } from './order-exports.service';

const ALICE: Caller = { userId: '01a20107-2a26-7789-8895-112b1f3fe80b' };
const AUTOCOMMIT = { name: 'autocommit' } as unknown as Tx;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const EXPORT_ID = '01a20107-2a26-7789-8895-000000000001';
const FILE_ID = '01a20107-2a26-7789-8895-000000000002';

const stored: OrderExportRecord = {
  id: EXPORT_ID,
  userId: ALICE.userId,
  status: 'succeeded',
  format: 'csv',
  filter: { status: null, createdFrom: null, createdTo: null },
  rowCount: 2,
  fileId: FILE_ID,
  error: null,
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:01.000Z',
};
const csvFile = { id: FILE_ID, contentType: 'text/csv' } as FileResponse;

/** What a client sees of a stored export: no owner, and the file as a resource. */
function shown({ userId: _userId, fileId: _fileId, ...rest }: OrderExportRecord, file: unknown) {
  return { ...rest, file };
}

/** OrderExportsRepository in memory: what it was handed, and the export it answers with. */
class FakeExports {
  readonly created: { record: OrderExportRecord; outcome: HttpOutcome }[] = [];
  readonly asked: unknown[][] = [];
  row: OrderExportRecord | null = null;

  create(record: OrderExportRecord, outcome: HttpOutcome) {
    this.created.push({ record, outcome });
    return Promise.resolve<Executed>({ outcome, replayed: false });
  }

  findOwned(...args: [Tx, string, string]) {
    this.asked.push(args);
    return Promise.resolve(this.row);
  }
}

function setup(
  env: Record<string, string> = {},
  found: () => Promise<Map<string, FileResponse>> = async () => new Map([[FILE_ID, csvFile]]),
) {
  const exports = new FakeExports();
  const files = { getAmong: jest.fn(found) };
  const transactions = { autocommit: AUTOCOMMIT } as unknown as Transactions;
  const service = new OrderExportsService(
    exports as unknown as OrderExportsRepository,
    files as unknown as FilesService,
    transactions,
    new ResourceUrls(loadConfig(env)),
  );
  return { exports, files, service };
}

async function created(input: Partial<CreateOrderExportDto> = {}, env?: Record<string, string>) {
  const { exports, service } = setup(env);
  await service.create(ALICE, { format: 'csv', ...input }, null);
  expect(exports.created).toHaveLength(1);
  return exports.created[0];
}

describe('OrderExportsService.create', () => {
  it("queues an export of the caller's with a UUIDv7 id and a filter of nulls by default", async () => {
    const { record } = await created();
    expect(record).toMatchObject({
      userId: ALICE.userId,
      status: 'queued',
      format: 'csv',
      filter: { status: null, createdFrom: null, createdTo: null },
      rowCount: null,
      fileId: null,
      error: null,
    });
    expect(record.id).toMatch(UUID_V7);
    expect(record.updatedAt).toBe(record.createdAt);
  });

  it('answers 202 with Location, Retry-After, an ETag of the body, and the export without owner or file id', async () => {
    const { record, outcome } = await created();
    expect(outcome.status).toBe(202);
    expect(outcome.headers).toMatchObject({
      Location: `/api/order-exports/${record.id}`,
      'Retry-After': '1',
      ETag: etagOfJson(outcome.body),
    });
    expect(JSON.parse(outcome.body)).toEqual(shown(record, null));
  });

  it('makes Location absolute under PUBLIC_BASE_URL', async () => {
    const { record, outcome } = await created({}, { PUBLIC_BASE_URL: 'https://shop.example' });
    expect(outcome.headers.Location).toBe(`https://shop.example/api/order-exports/${record.id}`);
  });

  it('keeps the filter, its instants in UTC to the millisecond', async () => {
    const { record } = await created({
      status: 'cancelled',
      createdFrom: '2026-01-02T11:00:00+01:00',
      createdTo: '2026-01-02T10:00:00.25Z',
    });
    expect(record.filter).toEqual({
      status: 'cancelled',
      createdFrom: '2026-01-02T10:00:00.000Z',
      createdTo: '2026-01-02T10:00:00.250Z',
    });
  });

  it('takes a range of one instant, written two ways', async () => {
    const { record } = await created({
      createdFrom: '2026-01-02T10:00:00Z',
      createdTo: '2026-01-02T12:00:00+02:00',
    });
    expect(record.filter.createdFrom).toBe(record.filter.createdTo);
  });

  it('answers 400 for a range that ends before it starts, before any database work', async () => {
    const { exports, service } = setup();
    const input = {
      format: 'csv' as const,
      createdFrom: '2026-01-02T10:00:00.001Z',
      createdTo: '2026-01-02T10:00:00Z',
    };
    const error = await service.create(ALICE, input, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).errors).toEqual([
      { field: 'createdTo', message: expect.any(String) },
    ]);
    expect(exports.created).toEqual([]);
  });
});

describe('OrderExportsService.get', () => {
  it('answers 404 for an export the caller does not own', async () => {
    const { exports, service } = setup();
    await expect(service.get(ALICE, EXPORT_ID)).rejects.toBeInstanceOf(NotFoundError);
    expect(exports.asked).toEqual([[AUTOCOMMIT, ALICE.userId, EXPORT_ID]]);
  });

  it("shows the CSV as the files feature shows it, read as the caller's", async () => {
    const { exports, files, service } = setup();
    exports.row = stored;
    expect(await service.get(ALICE, EXPORT_ID)).toEqual(shown(stored, csvFile));
    expect(files.getAmong).toHaveBeenCalledWith(ALICE, [FILE_ID]);
  });

  it('shows no file once its owner deleted it, and reads none for an export without one', async () => {
    const gone = setup({}, async () => new Map()); // the files feature no longer has it
    gone.exports.row = stored;
    expect((await gone.service.get(ALICE, EXPORT_ID)).file).toBeNull();
    const queued = setup();
    queued.exports.row = { ...stored, status: 'queued', rowCount: null, fileId: null };
    expect((await queued.service.get(ALICE, EXPORT_ID)).file).toBeNull();
    expect(queued.files.getAmong).not.toHaveBeenCalled();
  });

  it('passes any other failure to read the file on', async () => {
    const { exports, service } = setup({}, () => Promise.reject(new Error('database down')));
    exports.row = stored;
    await expect(service.get(ALICE, EXPORT_ID)).rejects.toThrow('database down');
  });
});

describe('isFinished', () => {
  it.each([
    ['queued', false],
    ['running', false],
    ['succeeded', true],
    ['failed', true],
  ] as const)('%s: %s', (status, finished) => {
    expect(isFinished({ status })).toBe(finished);
  });
});
