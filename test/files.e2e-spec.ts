import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OrphanSweeper } from '../src/files/orphan-sweeper';
import { asBytes, CSV, filesOn, PNG, sha256 } from './support/files';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';

/** Larger than one 256 KiB storage chunk, with a 3-byte character across the boundary. */
const BIG_TEXT = Buffer.concat([
  Buffer.alloc(262_143, 'a'),
  Buffer.from('€'),
  Buffer.alloc(150_000, 'b'),
]);

describe.each(['postgres', 'filesystem'])('files with the %s storage driver', (driver) => {
  const dataDir = traversableTempDir(`order-service-files-${driver}-`);
  let app: TestApp;
  let ann: SignedUpUser;
  let bob: SignedUpUser;
  const { env, upload, blobCount, tempCount } = filesOn(driver, dataDir, () => app);
  beforeAll(async () => {
    // A database of its own: these tests count and age every blob, and other files upload too.
    app = await startTestAppOnOwnDatabase(env);
    [ann, bob] = await Promise.all([signUpAndIn(app, 'Ann'), signUpAndIn(app, 'Bob')]);
  });
  afterAll(() => app.close());

  const download = (user: SignedUpUser, id: string) =>
    app.http.get(`/api/files/${id}/content`).set(user.auth).buffer(true).parse(asBytes);

  it('answers 201 with Location, ETag and metadata that match the bytes, and serves the same bytes back', async () => {
    const response = await upload(ann, PNG, 'pixel.png', 'image/png').expect(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      filename: 'pixel.png',
      contentType: 'image/png',
      size: PNG.length,
      sha256: sha256(PNG),
      url: `/api/files/${response.body.id}/content`,
      createdAt: expect.any(String),
      status: 'processing',
      width: null,
      height: null,
      thumbnailUrl: null,
      error: null,
    });
    expect(response.headers.location).toBe(`/api/files/${response.body.id}`);
    expect(response.headers.etag).toBeTruthy();
    // Processing or failed by now (a 1×1 header without pixels): the rest is as created.
    const { body: read } = await app.http.get(response.headers.location).set(ann.auth).expect(200);
    expect(read).toEqual({ ...response.body, status: read.status, error: read.error });

    const content = await download(ann, response.body.id).expect(200);
    expect(Buffer.compare(content.body as Buffer, PNG)).toBe(0);
    expect(content.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(PNG.length),
      etag: `"${sha256(PNG)}"`,
      'content-disposition': `attachment; filename="pixel.png"; filename*=UTF-8''pixel.png`,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const notModified = await app.http
      .get(`/api/files/${response.body.id}/content`)
      .set(ann.auth)
      .set('If-None-Match', `"${sha256(PNG)}"`);
    expect(notModified.status).toBe(304);
  });

  it('judges text by its bytes and serves CSV as CSV, across storage chunks', async () => {
    const csv = await upload(ann, CSV, 'stock.csv', 'text/csv').expect(201);
    expect(csv.body.contentType).toBe('text/csv');
    const big = await upload(ann, BIG_TEXT, 'notes.txt', 'text/plain').expect(201);
    expect(big.body).toMatchObject({
      contentType: 'text/plain',
      size: BIG_TEXT.length,
      sha256: sha256(BIG_TEXT),
    });
    const content = await download(ann, big.body.id).expect(200);
    expect(content.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(sha256(content.body as Buffer)).toBe(sha256(BIG_TEXT));
  });

  it('answers Range with 206 (also across chunks and as a suffix) and 416 beyond the end', async () => {
    const { body: file } = await upload(ann, BIG_TEXT, 'range.txt', 'text/plain').expect(201);
    const across = await download(ann, file.id).set('Range', 'bytes=262140-262149').expect(206);
    expect(Buffer.compare(across.body as Buffer, BIG_TEXT.subarray(262_140, 262_150))).toBe(0);
    expect(across.headers['content-range']).toBe(`bytes 262140-262149/${BIG_TEXT.length}`);
    expect(across.headers['content-length']).toBe('10');
    const suffix = await download(ann, file.id).set('Range', 'bytes=-5').expect(206);
    expect(Buffer.compare(suffix.body as Buffer, BIG_TEXT.subarray(-5))).toBe(0);
    const beyond = await app.http
      .get(`/api/files/${file.id}/content`)
      .set(ann.auth)
      .set('Range', `bytes=${BIG_TEXT.length}-`);
    expectProblem(beyond, 416, 'range_not_satisfiable');
    expect(beyond.headers['content-range']).toBe(`bytes */${BIG_TEXT.length}`);
  });

  it('ignores Range on a HEAD (RFC 9110 defines ranges for GET only): the whole file is described', async () => {
    const { body: file } = await upload(ann, BIG_TEXT, 'head.txt', 'text/plain').expect(201);
    for (const range of ['bytes=0-1', `bytes=${BIG_TEXT.length}-`]) {
      const head = await app.http
        .head(`/api/files/${file.id}/content`)
        .set(ann.auth)
        .set('Range', range)
        .expect(200);
      expect(head.headers['content-length']).toBe(String(BIG_TEXT.length));
      expect(head.headers['content-range']).toBeUndefined();
      expect(head.headers['accept-ranges']).toBe('bytes');
    }
  });

  it('honours If-Range: the range only while the strong ETag given still holds, else the whole file', async () => {
    const { body: file } = await upload(ann, BIG_TEXT, 'if-range.txt', 'text/plain');
    const { headers } = await download(ann, file.id).expect(200); // the content's tag
    const ranged = (ifRange: string) =>
      download(ann, file.id).set('Range', 'bytes=0-3').set('If-Range', ifRange);
    const current = await ranged(headers.etag).expect(206);
    expect(current.headers['content-range']).toBe(`bytes 0-3/${BIG_TEXT.length}`);
    expect(Buffer.compare(current.body as Buffer, BIG_TEXT.subarray(0, 4))).toBe(0);
    // Another tag, the right one made weak (If-Range compares strongly), or a date (no
    // Last-Modified is sent, so none validates): the whole file, 200.
    for (const stale of ['"another"', `W/${headers.etag}`, new Date().toUTCString()]) {
      const whole = await ranged(stale).expect(200);
      expect(whole.headers['content-range']).toBeUndefined();
      expect(sha256(whole.body as Buffer)).toBe(sha256(BIG_TEXT));
    }
  });

  it('answers a range whose If-Match does not hold the content ETag with 412, not other bytes', async () => {
    const { body: file } = await upload(ann, BIG_TEXT, 'if-match.txt', 'text/plain');
    const { headers } = await download(ann, file.id).expect(200);
    const stale = app.http
      .get(`/api/files/${file.id}/content`)
      .set(ann.auth)
      .set('Range', 'bytes=0-3')
      .set('If-Match', '"another"');
    const refused = await stale;
    expectProblem(refused, 412, 'precondition_failed');
    expect([refused.headers.etag, refused.headers['accept-ranges']]).toEqual([
      undefined,
      undefined,
    ]);
    const current = download(ann, file.id).set('Range', 'bytes=0-3').set('If-Match', headers.etag);
    expect((await current.expect(206)).headers['content-range']).toBe(
      `bytes 0-3/${BIG_TEXT.length}`,
    );
  });

  it('deletes under If-Match / If-None-Match only when they hold for the metadata ETag', async () => {
    const { body: file, headers } = await upload(ann, CSV, 'guarded.csv', 'text/csv').expect(201);
    const deleteIf = (name: string, value: string) =>
      app.http.delete(`/api/files/${file.id}`).set(ann.auth).set(name, value);
    for (const [name, value] of [
      ['If-Match', '"another"'],
      ['If-Match', `W/${headers.etag}`],
      ['If-None-Match', '*'],
      ['If-None-Match', headers.etag],
    ])
      expectProblem(await deleteIf(name, value), 412, 'precondition_failed');
    await app.http.get(`/api/files/${file.id}`).set(ann.auth).expect(200); // still there
    await deleteIf('If-Match', headers.etag).expect(204);
    expectProblem(await deleteIf('If-Match', headers.etag), 404, 'not_found');
  });

  it('keeps the client filename only as sanitised display text', async () => {
    const response = await upload(ann, CSV, '../../etc/\u202epasswd\u0007.csv', 'text/csv').expect(
      201,
    );
    expect(response.body.filename).toBe('passwd.csv');
    const [row] = await app.dataSource.query('SELECT blob_id FROM files WHERE id = $1', [
      response.body.id,
    ]);
    expect(row.blob_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 400 without exactly one part named file, and 401 without a token', async () => {
    const withoutFile = await app.http
      .post('/api/files')
      .set(ann.auth)
      .attach('document', CSV, 'a.csv');
    expectProblem(withoutFile, 400, 'validation_failed');
    const twoFiles = await app.http
      .post('/api/files')
      .set(ann.auth)
      .attach('file', CSV, 'a.csv')
      .attach('file', CSV, 'b.csv');
    expectProblem(twoFiles, 400, 'validation_failed');
    const withField = await app.http
      .post('/api/files')
      .set(ann.auth)
      .attach('file', CSV, 'a.csv')
      .field('note', 'x');
    expectProblem(withField, 400, 'validation_failed');
    const withoutFilename = await app.http.post('/api/files').set(ann.auth).field('file', 'a,b');
    expectProblem(withoutFilename, 400, 'validation_failed');
    expect(withoutFilename.body.errors[0].message).toMatch(/with a filename/);
    expectProblem(
      await app.http.post('/api/files').set(ann.auth).send({ file: 'x' }),
      415,
      'unsupported_media_type',
    );
    const text = await app.http.post('/api/files').set(ann.auth).type('text/plain').send('a,b');
    expectProblem(text, 415, 'unsupported_media_type');
    expect(text.body.detail).toBe('This operation takes multipart/form-data, not text/plain.');
    expectProblem(
      await app.http.post('/api/files').attach('file', CSV, 'a.csv'),
      401,
      'unauthorized',
    );
  });

  it('replays the same file under the same key, 422 for another file, keeping one blob', async () => {
    const key = randomUUID();
    const first = await upload(ann, CSV, 'same.csv', 'text/csv', key).expect(201);
    const before = await blobCount();
    const retry = await upload(ann, CSV, 'same.csv', 'text/csv', key).expect(201);
    expect(retry.text).toBe(first.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expectProblem(
      await upload(ann, PNG, 'same.png', 'image/png', key),
      422,
      'idempotency_key_reused',
    );
    expect(await blobCount()).toBe(before);
  });

  it('shows, serves and deletes a file for its owner only; DELETE answers 204 and removes the bytes', async () => {
    const { body: file } = await upload(ann, CSV, 'mine.csv', 'text/csv').expect(201);
    expectProblem(await app.http.get(`/api/files/${file.id}`).set(bob.auth), 404, 'not_found');
    expectProblem(
      await app.http.get(`/api/files/${file.id}/content`).set(bob.auth),
      404,
      'not_found',
    );
    expectProblem(await app.http.delete(`/api/files/${file.id}`).set(bob.auth), 404, 'not_found');
    const before = await blobCount();
    await app.http.delete(`/api/files/${file.id}`).set(ann.auth).expect(204);
    expectProblem(await app.http.get(`/api/files/${file.id}`).set(ann.auth), 404, 'not_found');
    expect(await blobCount()).toBe(before - 1);
  });

  it('sweeps blobs a crash left without a file row, and only those', async () => {
    const { body: kept } = await upload(ann, CSV, 'kept.csv', 'text/csv').expect(201);
    const orphan = randomUUID();
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    if (driver === 'filesystem') {
      mkdirSync(join(dataDir, 'files'), { recursive: true });
      writeFileSync(join(dataDir, 'files', orphan), 'left by a crash');
      writeFileSync(join(dataDir, 'files', 'tmp', `${randomUUID()}.part`), 'half an upload');
      for (const name of readdirSync(join(dataDir, 'files'))) {
        if (name !== 'tmp') utimesSync(join(dataDir, 'files', name), longAgo, longAgo);
      }
      for (const name of readdirSync(join(dataDir, 'files', 'tmp')))
        utimesSync(join(dataDir, 'files', 'tmp', name), longAgo, longAgo);
    } else {
      await app.dataSource.query('INSERT INTO file_blobs (id, created_at) VALUES ($1, $2)', [
        orphan,
        longAgo,
      ]);
      await app.dataSource.query('UPDATE file_blobs SET created_at = $1', [longAgo]);
    }
    const before = await blobCount();
    expect(await app.nest.get(OrphanSweeper).sweep()).toBeGreaterThanOrEqual(1);
    expect(await blobCount()).toBe(before - 1);
    expect(tempCount()).toBe(0);
    await download(ann, kept.id).expect(200);
  });
});

describe('a HEAD of a file stored in PostgreSQL', () => {
  const dataDir = traversableTempDir('order-service-files-head-');
  let app: TestApp;
  const { env, upload } = filesOn('postgres', dataDir, () => app);
  beforeAll(async () => {
    // Two connections: one holds the lock below, so a HEAD that read a chunk would take the other.
    app = await startTestAppOnOwnDatabase({ ...env, DATABASE_POOL_SIZE: '2' });
  });
  afterAll(() => app.close());

  it("reads none of the file's bytes: the service goes on answering while they are locked", async () => {
    const ann = await signUpAndIn(app, 'Ann');
    const { body: file } = await upload(ann, BIG_TEXT, 'unread.txt', 'text/plain').expect(201);
    const runner = app.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query('LOCK TABLE file_blob_chunks IN ACCESS EXCLUSIVE MODE');
      const content = `/api/files/${file.id}/content`;
      const head = await app.http.head(content).set(ann.auth).timeout(5_000).expect(200);
      expect(head.headers['content-length']).toBe(String(BIG_TEXT.length));
      // A chunk read left waiting on the lock would hold the pool's last connection: this would
      // wait for it, then answer 503.
      await app.http.get(`/api/files/${file.id}`).set(ann.auth).timeout(5_000).expect(200);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
