import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { startReadyService } from './support/service-process';
import { createDatabaseOn, TestDatabase, traversableTempDir } from './support/test-database';
import { uniqueEmail } from './support/users';

const MiB = 1024 * 1024;
const FILE_BYTES = 200 * MiB;

/** Resident memory figures of a process, in bytes (Linux /proc). */
function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Sends `size` bytes of text as a multipart upload, generated on the fly with backpressure. */
function streamUpload(
  baseUrl: string,
  token: string,
  size: number,
): Promise<{ status: number; body: string }> {
  const boundary = 'memory-test-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const line = Buffer.alloc(64 * 1024, 'memory test line\n');
  return new Promise((resolve, reject) => {
    const call = request(`${baseUrl}/api/files`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': head.length + size + tail.length,
      },
    });
    call.on('error', reject).on('response', (response) => {
      let body = '';
      response
        .on('data', (chunk: Buffer) => (body += chunk.toString()))
        .on('end', () => resolve({ status: response.statusCode!, body }));
    });
    call.write(head);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const chunk = line.subarray(0, Math.min(line.length, size - sent));
        sent += chunk.length;
        if (!call.write(chunk)) return void call.once('drain', pump);
      }
      call.end(tail);
    };
    pump();
  });
}

describe.each(['postgres', 'filesystem'])('a 200 MiB upload with the %s driver', (driver) => {
  const dataDir = traversableTempDir(`order-service-memory-${driver}-`);
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(async () => {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams through the service with bounded memory (RSS growth well under the file size)', async () => {
    const service = await startReadyService(database.url, {
      STORAGE_DRIVER: driver,
      DATA_DIR: dataDir,
      MAX_UPLOAD_BYTES: String(FILE_BYTES),
    });
    try {
      const credentials = { email: uniqueEmail('memory'), password: 'long enough' };
      const post = (path: string, body: object) =>
        fetch(`${service.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      await post('/api/users', { ...credentials, name: 'Memory' });
      const { accessToken } = (await (await post('/api/auth/token', credentials)).json()) as {
        accessToken: string;
      };
      await streamUpload(service.baseUrl, accessToken, MiB); // warm-up: code paths and pools in place

      const before = memoryOf(service.child.pid!);
      writeFileSync(`/proc/${service.child.pid}/clear_refs`, '5'); // restart the peak (VmHWM) from now
      const started = Date.now();
      const response = await streamUpload(service.baseUrl, accessToken, FILE_BYTES);
      const seconds = (Date.now() - started) / 1000;
      const after = memoryOf(service.child.pid!);

      expect(response.status).toBe(201);
      expect(JSON.parse(response.body).size).toBe(FILE_BYTES);
      const growth = after.peak - before.rss;
      console.log(
        `${driver}: 200 MiB upload in ${seconds.toFixed(1)} s (${(200 / seconds).toFixed(0)} MiB/s); ` +
          `RSS before ${(before.rss / MiB).toFixed(0)} MiB, peak during ${(after.peak / MiB).toFixed(0)} MiB, growth ${(growth / MiB).toFixed(1)} MiB`,
      );
      // Bounded by chunking, not by the file: what grows is garbage (hex-encoded bytea parameters
      // for postgres) awaiting collection, measured at 6-70 MiB; half the file is the alarm line.
      expect(growth).toBeLessThan(FILE_BYTES / 2);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});

describe('libvips (sharp) in a service process', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createDatabaseOn(process.env.E2E_DATABASE_URL!);
  });
  afterAll(() => database.stop());

  it.each([
    ['an API process that runs no jobs never maps it', '0', false],
    ['a process that runs jobs maps it as it starts', '1', true],
  ])('%s', async (_case, concurrency, mapped) => {
    const service = await startReadyService(database.url, { WORKER_CONCURRENCY: concurrency });
    try {
      const maps = readFileSync(`/proc/${service.child.pid}/maps`, 'utf8');
      expect(maps.includes('libvips')).toBe(mapped);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
