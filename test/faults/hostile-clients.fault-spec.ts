import { connect } from 'node:net';
import { startTestAppOnOwnDatabase, TestApp } from '../support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from '../support/users';
import { waitFor } from '../support/wait';
import { rawRequest } from './support/raw-http';
import { report } from './support/report';

describe('hostile clients: slow drips, multipart bombs, empty files, sign-in timing', () => {
  let app: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ REQUEST_TIMEOUT: '2s' });
    user = await signUpAndIn(app);
  });
  afterAll(() => app.close());

  const stored = async () =>
    Number(
      (
        await app.dataSource.query(
          'SELECT (SELECT count(*) FROM files) + (SELECT count(*) FROM file_blobs) AS n',
        )
      )[0].n,
    );

  it('cuts a slow-drip upload off at REQUEST_TIMEOUT with 408 problem+json, keeping nothing', async () => {
    const before = await stored();
    const port = Number(new URL(app.baseUrl).port);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /api/files HTTP/1.1\r\nHost: x\r\nAuthorization: ${user.auth.Authorization}\r\n` +
            `Content-Type: multipart/form-data; boundary=drip\r\nContent-Length: 100000\r\n\r\n` +
            `--drip\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\n`,
        );
        const drip = setInterval(() => socket.writable && socket.write('a'), 200); // 5 bytes a second
        socket.on('close', () => clearInterval(drip));
      });
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
    });
    const seconds = (Date.now() - started) / 1000;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(seconds).toBeLessThan(10);
    await waitFor('the dripped upload to be gone', async () => (await stored()) === before, {
      ms: 5_000,
      every: 100,
    });
    report({
      scenario: 'slow-drip upload (5 bytes/s)',
      requests: 1,
      duplicates: '-',
      lost: '-',
      fiveHundreds: 0,
      note: `408 after ${seconds.toFixed(1)} s; nothing stored`,
    });
  });

  // Node looks for requests past their timeout on a timer of its own (every 30 s unless told):
  // REQUEST_TIMEOUT's 2 s must be kept to within a second (the interval at 2 s), not whenever that
  // timer fires. The bound leaves room for a loaded CI machine; before, the answer took up to 32 s.
  it.each([
    [
      'a JSON body shorter than its Content-Length',
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"items": [',
    ],
    ['headers that never end', 'Content-Type: application/json\r\n'],
  ])('answers %s with 408 problem+json once REQUEST_TIMEOUT has passed', async (_case, rest) => {
    const port = Number(new URL(app.baseUrl).port);
    const started = Date.now();
    const answer = await rawRequest(
      port,
      Buffer.from(
        `POST /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: ${user.auth.Authorization}\r\n${rest}`,
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(8);
  });

  it('refuses a multipart bomb (thousands of parts) with 400, keeping nothing', async () => {
    const before = await stored();
    let call = app.http
      .post('/api/files')
      .set(user.auth)
      .attach('file', Buffer.from('first part'), 'a.txt');
    for (let i = 0; i < 2_000; i++) call = call.field(`f${i}`, 'x');
    expectProblem(await call, 400, 'validation_failed');
    expect(await stored()).toBe(before);
  });

  it('refuses a zero-byte file with 400, keeping nothing', async () => {
    const before = await stored();
    expectProblem(
      await app.http.post('/api/files').set(user.auth).attach('file', Buffer.alloc(0), 'empty.txt'),
      400,
      'validation_failed',
    );
    expect(await stored()).toBe(before);
  });

  it('takes the same time to refuse an unknown email as a wrong password', async () => {
    const timeOf = async (email: string) => {
      const started = process.hrtime.bigint();
      const response = await app.http
        .post('/api/auth/token')
        .send({ email, password: 'not the password' });
      expect(response.status).toBe(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 15; i++) {
      unknown.push(await timeOf(`nobody-${i}@example.com`)); // alternated, so machine noise hits both
      wrong.push(await timeOf(user.email));
    }
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.33);
    report({
      scenario: 'sign-in timing: unknown email vs wrong password',
      requests: 30,
      duplicates: '-',
      lost: '-',
      fiveHundreds: 0,
      note: `medians ${median(unknown).toFixed(0)} / ${median(wrong).toFixed(0)} ms (ratio ${ratio.toFixed(2)})`,
    });
  });
});
