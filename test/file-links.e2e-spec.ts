import { derivedKey } from '../src/config/jwt-secret';
import { SealedLinks } from '../src/auth/sealed-links';
import { FileLinks } from '../src/files/file-links';
import { asBytes, CSV } from './support/files';
import { image } from './support/images';
import { TEST_JWT_SECRET } from './support/service-process';
import { startTestAppOnOwnDatabase, TestApp } from './support/test-app';
import { expectProblem, SignedUpUser, withAnnAndBob } from './support/users';
import { waitFor } from './support/wait';

/** What `<img src>` or a download link does: a GET of the URL alone, with no Authorization. */
const bytesOf = (response: { body: unknown }) => response.body as Buffer;

describe('file links: URLs of a file that open without a token', () => {
  let app: TestApp;
  let ann: SignedUpUser;
  let bob: SignedUpUser;
  let png: Buffer;
  let imageId: string;
  /** Links made as the service makes them, to make ones it would not hand out (expired). */
  const links = new FileLinks(new SealedLinks(derivedKey(TEST_JWT_SECRET, 'file-link-v1')));
  beforeAll(async () => {
    [app, ann, bob] = await withAnnAndBob(startTestAppOnOwnDatabase());
    png = await image('png', 64, 48);
    const uploaded = await upload(ann, png, 'photo.png');
    imageId = uploaded.id;
    await waitFor('the thumbnail', async () => {
      const file = await app.http.get(`/api/files/${imageId}`).set(ann.auth).expect(200);
      return file.body.thumbnailUrl !== null;
    });
  });
  afterAll(() => app.close());

  async function upload(user: SignedUpUser, bytes: Buffer, filename: string) {
    const response = await app.http
      .post('/api/files')
      .set(user.auth)
      .attach('file', bytes, { filename, contentType: 'application/octet-stream' })
      .expect(201);
    return response.body as { id: string };
  }
  const linksOf = (user: SignedUpUser, id: string, query = '') =>
    app.http.get(`/api/files/${id}/links${query}`).set(user.auth);
  const open = (url: string) => app.http.get(url).buffer(true).parse(asBytes);
  /** The same GET, its answer read as JSON: for the refusals (problem+json). */
  const attempt = (url: string) => app.http.get(url);
  const linkIn = (url: string) => new URL(url, 'http://x').searchParams.get('link')!;

  it('answers the owner with links to the bytes and the thumbnail, new each time and never cached', async () => {
    const before = Date.now();
    const first = await linksOf(ann, imageId).expect(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toEqual({
      url: expect.stringMatching(new RegExp(`^/api/files/${imageId}/content\\?link=[\\w-]{80}$`)),
      thumbnailUrl: expect.stringMatching(
        new RegExp(`^/api/files/${imageId}/thumbnail\\?link=[\\w-]{80}$`),
      ),
      expiresAt: expect.any(String),
    });
    const expiresAt = Date.parse(first.body.expiresAt);
    expect(expiresAt % 1000).toBe(0);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    const second = await linksOf(ann, imageId, '?expiresIn=60').expect(200);
    expect(second.body.url).not.toBe(first.body.url);
    expect(Date.parse(second.body.expiresAt)).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('opens the bytes, a range of them and the thumbnail with no Authorization at all', async () => {
    const { body } = await linksOf(ann, imageId).expect(200);
    const whole = await open(body.url).expect(200);
    expect(bytesOf(whole)).toEqual(png);
    // No Authorization, yet no shared cache may keep it past its link or the file.
    expect(whole.headers['cache-control']).toBe('private, no-cache');
    expect(whole.headers['content-type']).toBe('image/png');
    const range = await open(body.url).set('Range', 'bytes=0-7').expect(206);
    expect(bytesOf(range)).toEqual(png.subarray(0, 8));
    await open(body.url).set('If-None-Match', whole.headers.etag).expect(304);
    const head = await app.http.head(body.url).expect(200);
    expect(head.headers['content-length']).toBe(String(png.length));
    const thumbnail = await open(body.thumbnailUrl).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    // The link alone decides: another user's token sent with it changes nothing.
    expect(bytesOf(await open(body.url).set(bob.auth).expect(200))).toEqual(png);
  });

  it('gives no thumbnail link for a file without a thumbnail', async () => {
    const csv = await upload(ann, CSV, 'list.csv');
    const { body } = await linksOf(ann, csv.id).expect(200);
    expect(body.thumbnailUrl).toBeNull();
    expect(bytesOf(await open(body.url).expect(200))).toEqual(CSV);
  });

  it('refuses a link that is altered, for another file or its thumbnail, made under another secret, or expired (403)', async () => {
    const { body } = await linksOf(ann, imageId).expect(200);
    const link = linkIn(body.url);
    const altered = `${link.slice(0, 20)}${link[20] === 'A' ? 'B' : 'A'}${link.slice(21)}`;
    expectProblem(
      await attempt(`/api/files/${imageId}/content?link=${altered}`),
      403,
      'link_invalid',
    );
    expectProblem(
      await attempt(`/api/files/${imageId}/content?link=nonsense`),
      403,
      'link_invalid',
    );
    const other = await upload(ann, CSV, 'other.csv');
    expectProblem(
      await attempt(`/api/files/${other.id}/content?link=${link}`),
      403,
      'link_invalid',
    );
    expectProblem(
      await attempt(`/api/files/${imageId}/thumbnail?link=${link}`),
      403,
      'link_invalid',
    );
    const expired = links.seal(ann.id, imageId, 'content', new Date(Date.now() - 1000));
    const refused = await attempt(`/api/files/${imageId}/content?link=${expired}`);
    expectProblem(refused, 403, 'link_expired');
    const underOldSecret = new FileLinks(
      new SealedLinks(derivedKey(`${TEST_JWT_SECRET}-old`, 'file-link-v1')),
    );
    const old = underOldSecret.seal(ann.id, imageId, 'content', new Date(Date.now() + 60_000));
    expectProblem(await attempt(`/api/files/${imageId}/content?link=${old}`), 403, 'link_invalid');
    const made = links.seal(ann.id, imageId, 'content', new Date(Date.now() + 60_000));
    expect(bytesOf(await open(`/api/files/${imageId}/content?link=${made}`).expect(200))).toEqual(
      png,
    );
  });

  it('takes one `link` and no other parameter; an empty one is refused, whatever token comes with it', async () => {
    const { body } = await linksOf(ann, imageId).expect(200);
    const twice = await attempt(`${body.url}&link=${linkIn(body.url)}`);
    expectProblem(twice, 400, 'validation_failed');
    expect(twice.body.errors).toEqual([{ field: 'link', message: expect.any(String) }]);
    const extra = await attempt(`${body.url}&v=2`);
    expectProblem(extra, 400, 'validation_failed');
    expect(extra.body.errors).toEqual([{ field: 'v', message: expect.any(String) }]);
    const empty = app.http.get(`/api/files/${imageId}/content?link=`).set(ann.auth);
    expectProblem(await empty, 403, 'link_invalid');
  });

  it('stops opening once the file is deleted', async () => {
    const csv = await upload(ann, CSV, 'gone.csv');
    const { body } = await linksOf(ann, csv.id).expect(200);
    await app.http.delete(`/api/files/${csv.id}`).set(ann.auth).expect(204);
    expectProblem(await attempt(body.url), 404, 'not_found');
  });

  it('gives links to the owner only, and without a token or link the bytes are 401 as before', async () => {
    expectProblem(await linksOf(bob, imageId), 404, 'not_found');
    expectProblem(await app.http.get(`/api/files/${imageId}/links`), 401, 'unauthorized');
    const anonymous = await attempt(`/api/files/${imageId}/content`);
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expectProblem(await attempt(`/api/files/${imageId}/thumbnail`), 401, 'unauthorized');
  });

  it.each(['?expiresIn=59', '?expiresIn=604801', '?expiresIn=1.5', '?expiresIn=soon'])(
    'refuses a lifetime out of its bounds (%s: 400)',
    async (query) => {
      const refused = await linksOf(ann, imageId, query);
      expectProblem(refused, 400, 'validation_failed');
      expect(refused.body.errors).toEqual([{ field: 'expiresIn', message: expect.any(String) }]);
    },
  );
});
