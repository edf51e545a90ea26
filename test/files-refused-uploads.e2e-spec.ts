import { answerTo, ELF, filesOn, PNG } from './support/files';
import { image } from './support/images';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { traversableTempDir } from './support/test-database';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

describe.each(['postgres', 'filesystem'])('files with the %s storage driver', (driver) => {
  const dataDir = traversableTempDir(`order-service-files-${driver}-`);
  let app: TestApp;
  let ann: SignedUpUser;
  const { env, upload, rawUpload, blobCount, tempCount, uploadStarted } = filesOn(
    driver,
    dataDir,
    () => app,
  );
  beforeAll(async () => {
    // A database of its own: these tests count and age every blob, and other files upload too.
    app = await startTestAppOnOwnDatabase(env);
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  it('answers 413 when the upload crosses MAX_UPLOAD_BYTES, and keeps nothing', async () => {
    const before = await blobCount();
    const response = await upload(ann, Buffer.alloc(1024 * 1024 + 1, 'x'), 'big.txt', 'text/plain');
    expectProblem(response, 413, 'file_too_large');
    expect(await blobCount()).toBe(before);
    expect(tempCount()).toBe(0);
  });

  it('answers 413, not 415, for any file over MAX_UPLOAD_BYTES: the size is judged before the content', async () => {
    const before = await blobCount();
    const png = await image('png', 1000, 800, { noise: true });
    expect(png.length).toBeGreaterThan(2 * 1024 * 1024);
    expectProblem(await upload(ann, png, 'big.png', 'image/png'), 413, 'file_too_large');
    // Refused by its first bytes, yet over the limit: still 413, and nothing of it stored.
    const executable = Buffer.concat([ELF, Buffer.alloc(1024 * 1024, 1)]);
    expectProblem(await upload(ann, executable, 'cat.png', 'image/png'), 413, 'file_too_large');
    expect(await blobCount()).toBe(before);
  });

  it('answers 413 as soon as an upload crosses MAX_UPLOAD_BYTES, without waiting for the rest', async () => {
    const before = await blobCount();
    const call = rawUpload(ann, 'big.txt', 100 * 1024 * 1024); // announced, never all sent
    const answered = answerTo(call);
    call.write(Buffer.alloc(1024 * 1024 + 64 * 1024, 'x')); // past the limit, then nothing more
    const { status, body } = await answered;
    call.destroy();
    expect([status, JSON.parse(body).code]).toEqual([413, 'file_too_large']);
    const cleanedUp = async () => (await blobCount()) === before && tempCount() === 0;
    await waitFor('nothing of it kept', cleanedUp, { ms: 20_000, every: 100 });
  });

  it('keeps nothing of an upload the client aborts half-way', async () => {
    const before = await blobCount();
    const call = rawUpload(ann, 'half.txt', 900_000);
    call.write(Buffer.alloc(300_000, 'x')); // more than one 256 KiB storage chunk
    await waitFor('the upload reaching storage', () => uploadStarted(before));
    call.destroy();
    const cleanedUp = async () => (await blobCount()) === before && tempCount() === 0;
    await waitFor('the aborted upload cleaned up', cleanedUp, { ms: 20_000, every: 100 });
    expect(await blobCount()).toBe(before);
  });

  it('answers 415 for an executable renamed .png, whatever type it declares, and keeps nothing', async () => {
    const before = await blobCount();
    expectProblem(await upload(ann, ELF, 'cat.png', 'image/png'), 415, 'unsupported_file_type');
    expectProblem(
      await upload(ann, Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x42]), 'bad.txt', 'text/plain'),
      415,
      'unsupported_file_type',
    );
    expect(await blobCount()).toBe(before);
  });

  it('refuses a name whose extension does not fit the content (double extensions), keeping nothing', async () => {
    const before = await blobCount();
    const response = await upload(ann, PNG, 'invoice.pdf.exe', 'image/png');
    expectProblem(response, 415, 'unsupported_file_type');
    expectProblem(
      await upload(
        ann,
        Buffer.concat([PNG, Buffer.from('<script>alert(1)</script>')]),
        'cat.png',
        'image/png',
      ),
      415,
      'unsupported_file_type',
    );
    expect(await blobCount()).toBe(before);
  });
});
