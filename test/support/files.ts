import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { CHUNK_SIZE } from '../../src/files/storage/postgres-blob-storage';
import type { TestApp } from './test-app';
import type { SignedUpUser } from './users';

/** A supertest parser that keeps any answer's body as its bytes (`.buffer(true).parse(asBytes)`). */
export function asBytes(response: Response, done: (error: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  // In Node, superagent hands the parser the response stream itself.
  (response as unknown as NodeJS.ReadableStream)
    .on('data', (chunk: Buffer) => chunks.push(chunk))
    .on('end', () => done(null, Buffer.concat(chunks)));
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A real PNG: signature, IHDR of a 1×1 image, IEND (the content judges by the signature). */
export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d494844520000000100000001080600000000', 'hex'),
  Buffer.from('1f15c4890000000049454e44ae426082', 'hex'),
]);

/** A Linux ELF executable header: what an attacker renames to .png. */
export const ELF = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
  Buffer.alloc(56),
]);

/** UTF-8 text of about `bytes` bytes, with multi-byte characters straddling chunk boundaries. */
export function text(bytes: number): Buffer {
  const line = 'id,name,price,€ünïcødé\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))).subarray(
    0,
    bytes - (bytes % 1),
  );
}

/** A small CSV upload, with a multi-byte character. */
export const CSV = Buffer.from('sku,quantity\nA-1,2\nB-€,3\n');

const RAW_BOUNDARY = 'raw-boundary';

/** What a raw upload (`filesOn`'s `rawUpload`) sends before the file's bytes, and after them. */
export const rawUploadHead = (filename: string) =>
  Buffer.from(
    `--${RAW_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`,
  );
export const RAW_UPLOAD_TAIL = Buffer.from(`\r\n--${RAW_BOUNDARY}--\r\n`);

const list = (folder: string) => (existsSync(folder) ? readdirSync(folder) : []);

/**
 * The files tests on the `driver` storage with `dataDir` as DATA_DIR: the app's environment (with
 * a 1 MiB upload limit), the upload they make, and what storage holds. `app` is read at each call,
 * so a describe block can take these before its beforeAll starts the app.
 */
export function filesOn(driver: string, dataDir: string, app: () => TestApp) {
  const env = { STORAGE_DRIVER: driver, DATA_DIR: dataDir, MAX_UPLOAD_BYTES: String(1024 * 1024) };
  const upload = (
    user: SignedUpUser,
    bytes: Buffer,
    filename: string,
    contentType = 'application/octet-stream',
    key?: string,
  ) => {
    const call = app().http.post('/api/files').set(user.auth);
    if (key) void call.set('Idempotency-Key', key);
    return call.attach('file', bytes, { filename, contentType });
  };
  const blobCount = async (): Promise<number> => {
    if (driver === 'filesystem')
      return list(join(dataDir, 'files')).filter((name) => name !== 'tmp').length;
    return Number((await app().dataSource.query('SELECT count(*) AS n FROM file_blobs'))[0].n);
  };
  /**
   * A multipart upload of `filename` written by hand, `announced` bytes long: its head is sent,
   * and the test writes the bytes it wants (`answerTo` reads the answer).
   */
  const rawUpload = (user: SignedUpUser, filename: string, announced: number) => {
    const call = request(`${app().baseUrl}/api/files`, {
      method: 'POST',
      headers: {
        ...user.auth,
        'Content-Type': `multipart/form-data; boundary=${RAW_BOUNDARY}`,
        'Content-Length': announced,
      },
    });
    call.on('error', () => undefined); // the test's own abort, or the connection an answer closes
    call.write(rawUploadHead(filename));
    return call;
  };
  const tempFolder = join(dataDir, 'files', 'tmp');
  const tempCount = () => (driver === 'filesystem' ? list(tempFolder).length : 0);
  /**
   * Whether storage holds part of an upload: the postgres driver's blob row (its chunk rows wait
   * for a 1 MiB statement), the filesystem driver's temp file past one 256 KiB chunk.
   */
  const uploadStarted = async (blobsBefore: number) =>
    driver === 'filesystem'
      ? list(tempFolder).some(
          (name) =>
            (statSync(join(tempFolder, name), { throwIfNoEntry: false })?.size ?? 0) > CHUNK_SIZE,
        )
      : (await blobCount()) > blobsBefore;
  return { env, upload, rawUpload, blobCount, tempCount, uploadStarted };
}

/** The answer to a request written by hand: its status and body as text. */
export function answerTo(call: ClientRequest): Promise<{ status?: number; body: string }> {
  return new Promise((resolve) =>
    call.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    }),
  );
}
