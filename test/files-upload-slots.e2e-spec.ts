import { answerTo, filesOn, RAW_UPLOAD_TAIL, rawUploadHead, text } from './support/files';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

/** The length of a raw upload of `filename` holding `bytes` bytes. */
const rawLength = (filename: string, bytes: number) =>
  rawUploadHead(filename).length + bytes + RAW_UPLOAD_TAIL.length;

/** The uploads waiting for a slot at `app`, as /metrics reports them. */
async function uploadsWaiting(app: TestApp): Promise<number> {
  const metrics = await app.http.get('/metrics').expect(200);
  return Number(/^uploads_waiting (\d+)$/m.exec(metrics.text)![1]);
}

/**
 * For the describe block it is called in: an app with one upload slot and `env`, on a database of
 * its own (the tests count every blob), with Ann signed in; read `signedIn` in the tests.
 */
function oneSlotApp(name: string, env: Record<string, string>) {
  const signedIn = {} as { app: TestApp; ann: SignedUpUser };
  const files = filesOn(
    'postgres',
    traversableTempDir(`order-service-${name}-`),
    () => signedIn.app,
  );
  beforeAll(async () => {
    signedIn.app = await startTestAppOnOwnDatabase({
      ...files.env,
      UPLOAD_CONCURRENCY: '1',
      ...env,
    });
    signedIn.ann = await signUpAndIn(signedIn.app, 'Ann');
  });
  afterAll(() => signedIn.app.close());
  return { signedIn, ...files };
}

describe('uploads past UPLOAD_CONCURRENCY', () => {
  const { signedIn, upload, rawUpload, blobCount, uploadStarted } = oneSlotApp('upload-slots', {
    UPLOAD_QUEUE: '1',
  });

  /** An upload that holds the one slot: stored in part, the rest of it sent by `finish`. */
  async function heldUpload(filename: string) {
    const before = await blobCount();
    const bytes = text(100_000);
    const call = rawUpload(signedIn.ann, filename, rawLength(filename, bytes.length));
    call.write(bytes.subarray(0, 50_000));
    await waitFor('the held upload reaching storage', () => uploadStarted(before));
    const answer = answerTo(call);
    const finish = () => {
      call.end(Buffer.concat([bytes.subarray(50_000), RAW_UPLOAD_TAIL]));
      return answer;
    };
    return { call, finish };
  }

  it('reads one upload at a time: the next waits unread, one more is 429 at once, and both stored then', async () => {
    const before = await blobCount();
    const held = await heldUpload('first.txt');
    // then() sends it now (supertest sends a request once it is awaited or then'd).
    const second = upload(signedIn.ann, text(1_000), 'second.txt', 'text/plain').then(
      (answer) => answer,
    );
    await waitFor(
      'the second upload waiting',
      async () => (await uploadsWaiting(signedIn.app)) === 1,
    );

    const refused = await upload(signedIn.ann, text(1_000), 'third.txt', 'text/plain');
    expectProblem(refused, 429, 'rate_limited');
    expect(refused.headers['retry-after']).toBe('1');
    expect(await blobCount()).toBe(before + 1); // the second's bytes are not read yet

    expect((await held.finish()).status).toBe(201);
    expect((await second).status).toBe(201);
    expect(await blobCount()).toBe(before + 2);
    expect(await uploadsWaiting(signedIn.app)).toBe(0);
  });

  it('drops a waiting upload from the line when its client goes away, keeping nothing of it', async () => {
    const before = await blobCount();
    const held = await heldUpload('first.txt');
    const gone = rawUpload(signedIn.ann, 'gone.txt', rawLength('gone.txt', 1_000));
    gone.write(Buffer.concat([text(1_000), RAW_UPLOAD_TAIL]));
    await waitFor(
      'the second upload waiting',
      async () => (await uploadsWaiting(signedIn.app)) === 1,
    );
    gone.destroy();
    // Gone from the line while the first still holds the slot: it counts against UPLOAD_QUEUE no more.
    await waitFor(
      'the gone upload leaving the line',
      async () => (await uploadsWaiting(signedIn.app)) === 0,
    );

    const next = upload(signedIn.ann, text(1_000), 'next.txt', 'text/plain').then(
      (answer) => answer,
    );
    await waitFor(
      'the next upload waiting',
      async () => (await uploadsWaiting(signedIn.app)) === 1,
    );
    expect((await held.finish()).status).toBe(201);
    expect((await next).status).toBe(201);
    expect(await blobCount()).toBe(before + 2);
  });
});

describe('an upload that sends nothing for UPLOAD_IDLE_TIMEOUT', () => {
  const IDLE_MS = 3_000;
  const { signedIn, upload, rawUpload, blobCount, uploadStarted } = oneSlotApp('upload-idle', {
    UPLOAD_IDLE_TIMEOUT: `${IDLE_MS}ms`,
  });

  it('is cut off with 408, keeps nothing, and gives its slot to the next', async () => {
    const before = await blobCount();
    const started = Date.now();
    const stalled = rawUpload(signedIn.ann, 'stalled.txt', rawLength('stalled.txt', 100_000));
    const answer = answerTo(stalled);
    stalled.write(text(50_000)); // and nothing more
    await waitFor('the stalled upload reaching storage', () => uploadStarted(before));
    const next = upload(signedIn.ann, text(1_000), 'next.txt', 'text/plain').then(
      (response) => response,
    );
    await waitFor(
      'the next upload waiting',
      async () => (await uploadsWaiting(signedIn.app)) === 1,
    );

    const { status, body } = await answer;
    expect([status, JSON.parse(body).code]).toEqual([408, 'request_timeout']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS);
    expect((await next).status).toBe(201);
    await waitFor('nothing of it kept', async () => (await blobCount()) === before + 1);
  });

  it('is cut off when it holds back only the closing boundary, keeping nothing', async () => {
    const before = await blobCount();
    const started = Date.now();
    const stalled = rawUpload(signedIn.ann, 'tail.txt', rawLength('tail.txt', 1_000));
    const closed = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
    // The file's part ends at the boundary; only the closing "--\r\n" is held back.
    stalled.write(Buffer.concat([text(1_000), RAW_UPLOAD_TAIL.subarray(0, -4)]));
    await waitFor('the upload reaching storage', () => uploadStarted(before));

    await closed; // the service cut the request, and its connection with it
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS);
    await waitFor('nothing of it kept', async () => (await blobCount()) === before);
    expect((await upload(signedIn.ann, text(1_000), 'next.txt', 'text/plain')).status).toBe(201);
  });
});
