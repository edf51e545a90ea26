import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { ImageProcessing, thumbnailBlobIdOf } from '../src/files/image-processing';
import { BlobStorages } from '../src/files/storage/blob-storages';
import { asBytes, PNG } from './support/files';
import { image, manyFrameGif, pngBomb } from './support/images';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

/** Every test here counts blobs, so each app has a database (and a DATA_DIR) of its own. */
async function startOn(driver: string, env: Record<string, string> = {}) {
  const dataDir = traversableTempDir(`order-service-images-${driver}-`);
  const app = await startTestAppOnOwnDatabase({
    STORAGE_DRIVER: driver,
    DATA_DIR: dataDir,
    ...env,
  });
  const blobCount = async (): Promise<number> => {
    if (driver === 'postgres')
      return Number((await app.dataSource.query('SELECT count(*) AS n FROM file_blobs'))[0].n);
    const folder = join(dataDir, 'files');
    return existsSync(folder) ? readdirSync(folder).filter((name) => name !== 'tmp').length : 0;
  };
  return { app, blobCount, dataDir };
}

function uploadTo(app: TestApp, user: SignedUpUser, bytes: Buffer, filename: string, key?: string) {
  const call = app.http.post('/api/files').set(user.auth);
  if (key) void call.set('Idempotency-Key', key);
  return call.attach('file', bytes, { filename, contentType: 'application/octet-stream' });
}

describe.each(['postgres', 'filesystem'])(
  'image processing with the %s storage driver',
  (driver) => {
    let app: TestApp;
    let blobCount: () => Promise<number>;
    let ann: SignedUpUser;
    let bob: SignedUpUser;
    beforeAll(async () => {
      ({ app, blobCount } = await startOn(driver));
      [ann, bob] = await Promise.all([signUpAndIn(app, 'Ann'), signUpAndIn(app, 'Bob')]);
    });
    afterAll(() => app.close());

    const upload = (bytes: Buffer, filename: string, key?: string) =>
      uploadTo(app, ann, bytes, filename, key).expect(201);
    /** The file once its job has run: not `processing` any more. */
    const processed = (id: string) =>
      waitFor(
        `file ${id} processed`,
        async () => {
          const response = await app.http.get(`/api/files/${id}`).set(ann.auth).expect(200);
          return response.body.status !== 'processing' && response;
        },
        { ms: 20_000 },
      );

    it.each([
      ['png', 'wide.png'],
      ['jpeg', 'wide.jpg'],
      ['gif', 'wide.gif'],
      ['webp', 'wide.webp'],
    ] as const)(
      '%s: 201 "processing" at once, then "ready" with its size and a WebP thumbnail of at most 256 px',
      async (format, filename) => {
        const created = await upload(await image(format, 600, 400), filename);
        expect(created.body).toMatchObject({
          status: 'processing',
          width: null,
          thumbnailUrl: null,
        });
        const ready = await processed(created.body.id);
        expect(ready.body).toEqual({
          ...created.body,
          status: 'ready',
          width: 600,
          height: 400,
          thumbnailUrl: `/api/files/${created.body.id}/thumbnail`,
          error: null,
        });
        expect(ready.headers.etag).not.toBe(created.headers.etag); // the state changed, so did the tag

        const thumbnail = await app.http
          .get(ready.body.thumbnailUrl)
          .set(ann.auth)
          .buffer(true)
          .parse(asBytes)
          .expect(200);
        expect(thumbnail.headers['content-type']).toBe('image/webp');
        expect(thumbnail.headers['content-length']).toBe(String((thumbnail.body as Buffer).length));
        const {
          format: thumbFormat,
          width,
          height,
        } = await sharp(thumbnail.body as Buffer).metadata();
        expect({ thumbFormat, width, height }).toEqual({
          thumbFormat: 'webp',
          width: 256,
          height: 171,
        });

        await app.http
          .get(ready.body.thumbnailUrl)
          .set({ ...ann.auth, 'If-None-Match': thumbnail.headers.etag })
          .expect(304);
        expectProblem(await app.http.get(ready.body.thumbnailUrl).set(bob.auth), 404, 'not_found');
      },
    );

    it('replays the upload as first answered, "processing", once the file is ready', async () => {
      const bytes = await image('png', 300, 300);
      const first = await upload(bytes, 'replayed.png', 'image-replay-1');
      await processed(first.body.id);
      const replay = await upload(bytes, 'replayed.png', 'image-replay-1');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(replay.headers.etag).toBe(first.headers.etag);
    });

    it('serves files that are not images "ready" at once, and their thumbnail as 404 without Retry-After', async () => {
      const created = await upload(Buffer.from('a,b\n1,2\n'), 'table.csv');
      expect(created.body).toMatchObject({ status: 'ready', width: null, thumbnailUrl: null });
      const missing = await app.http.get(`/api/files/${created.body.id}/thumbnail`).set(ann.auth);
      expectProblem(missing, 404, 'thumbnail_not_found');
      expect(missing.headers['retry-after']).toBeUndefined();
    });

    it('deletes the thumbnail with its file', async () => {
      const before = await blobCount();
      const created = await upload(await image('jpeg', 320, 200), 'gone.jpg');
      await processed(created.body.id);
      expect(await blobCount()).toBe(before + 2);
      await app.http.delete(`/api/files/${created.body.id}`).set(ann.auth).expect(204);
      expect(await blobCount()).toBe(before);
    });

    it('refuses a DELETE under the ETag the upload answered once processing has changed it', async () => {
      const created = await upload(await image('png', 300, 200), 'moved-on.png');
      expect(created.body.status).toBe('processing');
      const ready = await processed(created.body.id);
      const deleteIf = (etag: string) =>
        app.http.delete(`/api/files/${created.body.id}`).set(ann.auth).set('If-Match', etag);
      expectProblem(await deleteIf(created.headers.etag), 412, 'precondition_failed');
      await app.http.get(`/api/files/${created.body.id}`).set(ann.auth).expect(200);
      await deleteIf(ready.headers.etag).expect(204);
    });

    it.each([
      // The decoder's own words (pngload_buffer: ...) are logged, not shown to the client.
      ['an undecodable image', PNG, 'broken.png', 'image_undecodable', /its data is corrupt/],
      [
        'a pixel bomb (40000×40000 declared)',
        pngBomb(),
        'bomb.png',
        'image_too_large',
        /40000×40000/,
      ],
      // Within MAX_IMAGE_PIXELS, yet its width alone would cost gigabytes to shrink.
      [
        'a thin image (10000000×5 declared)',
        pngBomb(10_000_000, 5),
        'thin.png',
        'image_too_large',
        /10000000×5.*sides of at most 16384/,
      ],
    ])(
      'ends %s "failed" with a code, keeps no thumbnail, and goes on serving',
      async (_, bytes, name, code, detail) => {
        const before = await blobCount();
        const created = await upload(bytes, name);
        const failed = await processed(created.body.id);
        expect(failed.body).toMatchObject({ status: 'failed', thumbnailUrl: null, width: null });
        expect(failed.body.error).toEqual({ code, detail: expect.stringMatching(detail) });
        expect(failed.body.error.detail).not.toMatch(/pngload|vips/i);
        expect(await blobCount()).toBe(before + 1);
        await app.http.get('/health/ready').expect(200);
      },
    );

    it('reads the first frame of a GIF with 10,000 frames', async () => {
      const created = await upload(manyFrameGif(10_000), 'frames.gif');
      const ready = await processed(created.body.id);
      expect(ready.body).toMatchObject({ status: 'ready', width: 1, height: 1 });
    });
  },
);

describe.each(['postgres', 'filesystem'])(
  'image jobs run again, %s storage (WORKER_CONCURRENCY=0: run by hand)',
  (driver) => {
    let app: TestApp;
    let blobCount: () => Promise<number>;
    let dataDir: string;
    let ann: SignedUpUser;
    beforeAll(async () => {
      ({ app, blobCount, dataDir } = await startOn(driver, { WORKER_CONCURRENCY: '0' }));
      ann = await signUpAndIn(app, 'Ann');
    });
    afterAll(() => app.close());

    it('stays "processing" with no runner, its thumbnail 404 with Retry-After', async () => {
      const created = await uploadTo(app, ann, await image('png', 64, 64), 'waiting.png').expect(
        201,
      );
      const missing = await app.http.get(`/api/files/${created.body.id}/thumbnail`).set(ann.auth);
      expectProblem(missing, 404, 'thumbnail_not_found');
      expect(missing.headers['retry-after']).toBe('1');
      const [{ n }] = await app.dataSource.query(
        'SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = $1',
        [`files.processImage:${created.body.id}`],
      );
      expect(n).toBe(1); // added by the upload's own statement
    });

    it('leaves one thumbnail when the job runs twice, or after a run that died before marking the file', async () => {
      const before = await blobCount();
      const created = await uploadTo(app, ann, await image('png', 64, 64), 'twice.png').expect(201);
      const id: string = created.body.id;
      // What a run killed after writing the thumbnail, before marking the file ready, leaves behind.
      const leftover = thumbnailBlobIdOf(id);
      await app.nest
        .get(BlobStorages)
        .current.write(leftover, Readable.from([Buffer.from('partial')]));
      // ...and what a run killed in the middle of writing it leaves (the filesystem driver's temp file).
      mkdirSync(join(dataDir, 'files', 'tmp'), { recursive: true });
      writeFileSync(join(dataDir, 'files', 'tmp', `${leftover}.part`), 'half');
      const processing = app.nest.get(ImageProcessing);
      await processing.run({ fileId: id });
      await processing.run({ fileId: id });
      const { body } = await app.http.get(`/api/files/${id}`).set(ann.auth).expect(200);
      expect(body.status).toBe('ready');
      expect(await blobCount()).toBe(before + 2); // the upload and one thumbnail
    });
  },
);
