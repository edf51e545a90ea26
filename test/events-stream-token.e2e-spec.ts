import { EventStreamHub } from '../src/events/event-stream-hub';
import { openStream } from './support/event-stream';
import { forgeJwt } from './support/jwt';
import { TEST_JWT_SECRET } from './support/service-process';
import { startTestApp } from './support/test-app';
import { signUpAndIn } from './support/users';
import { waitFor } from './support/wait';

/**
 * Short, but long enough for the sign-in and the stream's answer to fit in it on a loaded machine
 * (a token's `iat` is whole seconds, so up to one of them is already gone when it is signed).
 */
const TTL_SECONDS = 5;
const TTL = `${TTL_SECONDS}s`;

/** A stream lives as long as the token that opened it, and no longer. */
describe('events: the stream and its token', () => {
  it('ends a stream once its token is older than ACCESS_TOKEN_TTL, though its exp is an hour away', async () => {
    const app = await startTestApp({ ACCESS_TOKEN_TTL: TTL });
    try {
      app.nest.get(EventStreamHub).heartbeatEvery(100);
      const ann = await signUpAndIn(app, 'Ann');
      const now = Math.floor(Date.now() / 1000);
      const token = forgeJwt({ sub: ann.id, iat: now, exp: now + 3600 }, TEST_JWT_SECRET);
      const live = await openStream(app.baseUrl, '/api/events/stream', {
        Authorization: `Bearer ${token}`,
      });
      expect(live.status).toBe(200);
      let endedAt = 0;
      void live.ended.then(() => (endedAt = Date.now()));
      await waitFor('the stream to end', () => endedAt > 0, { ms: 30_000 });
      expect(endedAt).toBeGreaterThanOrEqual((now + TTL_SECONDS) * 1000); // not before the capped end
    } finally {
      await app.close();
    }
  });

  it("ends a stream once its caller's token has expired, and a reconnect with that token is 401", async () => {
    const app = await startTestApp({ ACCESS_TOKEN_TTL: TTL });
    try {
      app.nest.get(EventStreamHub).heartbeatEvery(100);
      const ann = await signUpAndIn(app, 'Ann');
      const live = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
      expect(live.status).toBe(200);
      const { exp } = JSON.parse(Buffer.from(ann.token.split('.')[1], 'base64url').toString());
      let endedAt = 0;
      void live.ended.then(() => (endedAt = Date.now()));
      await waitFor('the stream to end', () => endedAt > 0, { ms: 30_000 });
      expect(endedAt).toBeGreaterThanOrEqual(exp * 1000); // not before the token expired
      const again = await openStream(app.baseUrl, '/api/events/stream', ann.auth);
      expect(again.status).toBe(401);
      again.close();
      // A stream is no request to time: its hour-long life would skew every duration quantile.
      const { text: metrics } = await app.http.get('/metrics').expect(200);
      const streamSeries = metrics
        .split('\n')
        .filter((line) => line.startsWith('http_') && line.includes('route="/api/events/stream"'));
      expect(streamSeries.length).toBeGreaterThan(0); // the 401 is counted
      expect(streamSeries.filter((line) => line.includes('status="200"'))).toEqual([]);
      expect(metrics).toContain('events_streams_opened_total 1\n');
      expect(metrics).toContain('events_streams_ended_total{reason="token_expired"} 1\n');
    } finally {
      await app.close();
    }
  });
});
