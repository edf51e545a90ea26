import { SealedLinks } from '../src/auth/sealed-links';
import { derivedKey } from '../src/config/jwt-secret';
import { EventStreamHub } from '../src/events/event-stream-hub';
import { openStream } from './support/event-stream';
import { CSV } from './support/files';
import { createOrder } from './support/orders';
import { TEST_JWT_SECRET } from './support/service-process';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, signUpAndIn, SignedUpUser } from './support/users';
import { waitFor } from './support/wait';

const ORDER = { currency: 'EUR', items: [{ sku: 'LINK-1', quantity: 1, unitPrice: 100 }] };

/** The `exp` of a user's access token, in ms. */
const tokenExpiryOf = (user: SignedUpUser) =>
  (JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString()) as { exp: number })
    .exp * 1000;

/** A stream's refusal, its body parsed, as expectProblem takes it. */
async function refusal(app: TestApp, path: string) {
  const response = await openStream(app.baseUrl, path);
  await response.ended;
  const headers = response.headers as Record<string, string>;
  return { status: response.status, headers, body: JSON.parse(response.body) };
}

/** The browser's EventSource cannot send a token: a link in the stream's URL stands for it. */
describe('events: the stream opened with a link (GET /api/events/stream/link)', () => {
  let app: TestApp;
  let ann: SignedUpUser;
  beforeAll(async () => {
    app = await startTestApp();
    ann = await signUpAndIn(app, 'Ann');
  });
  afterAll(() => app.close());

  const linkOf = async (user: SignedUpUser) => {
    const answer = await app.http.get('/api/events/stream/link').set(user.auth).expect(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    return answer.body as { streamUrl: string; expiresAt: string };
  };

  it("opens the caller's stream with no Authorization, until the token it came with expires", async () => {
    const { streamUrl, expiresAt } = await linkOf(ann);
    expect(streamUrl).toMatch(/^\/api\/events\/stream\?link=[\w-]{80}$/);
    expect(Date.parse(expiresAt)).toBe(tokenExpiryOf(ann));
    const live = await openStream(app.baseUrl, streamUrl);
    try {
      expect(live.status).toBe(200);
      const order = (await createOrder(app, ann, ORDER)).body as { id: string };
      const [event] = await live.waitForEvents(1);
      expect([event.event, (event.data as { subject: string }).subject]).toEqual([
        'order.created',
        order.id,
      ]);
    } finally {
      live.close();
    }
  });

  it("the link alone decides: with another's token it is still its maker's stream, and a bad link is not saved by a good token", async () => {
    const bob = await signUpAndIn(app, 'Bob');
    const { streamUrl } = await linkOf(ann);
    const live = await openStream(app.baseUrl, streamUrl, bob.auth);
    try {
      expect(live.status).toBe(200);
      const order = (await createOrder(app, ann, ORDER)).body as { id: string };
      const [event] = await live.waitForEvents(1);
      expect((event.data as { subject: string }).subject).toBe(order.id);
    } finally {
      live.close();
    }
    const head = await app.http.head(streamUrl).expect(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    const last = streamUrl.at(-1) === 'A' ? 'B' : 'A'; // another tag: never a valid link
    const bad = await openStream(app.baseUrl, `${streamUrl.slice(0, -1)}${last}`, ann.auth);
    await bad.ended;
    expect([bad.status, JSON.parse(bad.body).code]).toEqual([403, 'link_invalid']);
  });

  it('refuses a link altered, made for a file, or expired (403), and needs a token or a link (401)', async () => {
    const { streamUrl } = await linkOf(ann);
    const link = new URL(streamUrl, app.baseUrl).searchParams.get('link')!;
    const altered = `${link.slice(0, 30)}${link[30] === 'A' ? 'B' : 'A'}${link.slice(31)}`;
    const refused = await refusal(app, `/api/events/stream?link=${altered}`);
    expectProblem(refused, 403, 'link_invalid');
    expect(refused.headers.vary).toContain('Last-Event-ID'); // the route's answer, as documented
    const file = await app.http
      .post('/api/files')
      .set(ann.auth)
      .attach('file', CSV, { filename: 'a.csv', contentType: 'text/csv' })
      .expect(201);
    const { body } = await app.http.get(`/api/files/${file.body.id}/links`).set(ann.auth);
    const fileLink = new URL(body.url, app.baseUrl).searchParams.get('link')!;
    const withFileLink = await refusal(app, `/api/events/stream?link=${fileLink}`);
    expectProblem(withFileLink, 403, 'link_invalid');
    const onFile = await app.http.get(`/api/files/${file.body.id}/content?link=${link}`);
    expectProblem(onFile, 403, 'link_invalid');
    const links = new SealedLinks(derivedKey(TEST_JWT_SECRET, 'event-stream-link-v1'));
    const expired = links.seal(ann.id, 'events stream', new Date(Date.now() - 1000));
    expectProblem(await refusal(app, `/api/events/stream?link=${expired}`), 403, 'link_expired');
    const anonymous = await refusal(app, '/api/events/stream');
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.headers.vary).toContain('Last-Event-ID');
    expectProblem(await app.http.get('/api/events/stream/link'), 401, 'unauthorized');
  });
});

describe('events: a stream opened with a link ends when the link expires', () => {
  it('ends at the expiry, and the link then opens nothing (403 link_expired)', async () => {
    const app = await startTestApp({ ACCESS_TOKEN_TTL: '5s' });
    try {
      app.nest.get(EventStreamHub).heartbeatEvery(100);
      const ann = await signUpAndIn(app, 'Ann');
      const answer = await app.http.get('/api/events/stream/link').set(ann.auth).expect(200);
      const { streamUrl, expiresAt } = answer.body as { streamUrl: string; expiresAt: string };
      const live = await openStream(app.baseUrl, streamUrl);
      expect(live.status).toBe(200);
      let endedAt = 0;
      void live.ended.then(() => (endedAt = Date.now()));
      await waitFor('the stream to end', () => endedAt > 0, { ms: 30_000 });
      expect(endedAt).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      expectProblem(await refusal(app, streamUrl), 403, 'link_expired');
      // As a token is, a link is also ended once older than ACCESS_TOKEN_TTL as set now.
      const links = new SealedLinks(derivedKey(TEST_JWT_SECRET, 'event-stream-link-v1'));
      const inAnHour = new Date(Date.now() + 3600_000);
      const issuedBefore = links.seal(
        ann.id,
        'events stream',
        inAnHour,
        new Date(Date.now() - 6000),
      );
      const tooOld = await refusal(app, `/api/events/stream?link=${issuedBefore}`);
      expectProblem(tooOld, 403, 'link_expired');
    } finally {
      await app.close();
    }
  });
});
