import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, TestApp } from './support/test-app';

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; required: boolean }[] }>>;
};
const committed = JSON.parse(
  readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'),
) as Document;

describe('OpenAPI', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('serves the document at /api/openapi.json with the same operations as the committed openapi.json', async () => {
    const served = (await app.http.get('/api/openapi.json').expect(200)).body as Document;
    expect(served.openapi).toBe('3.1.0');
    const operations = (document: Document) =>
      Object.entries(document.paths)
        .flatMap(([path, methods]) =>
          Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
        )
        .sort();
    expect(operations(served)).toEqual(operations(committed));
    expect(operations(served)).toEqual(
      expect.arrayContaining([
        'POST /api/orders',
        'POST /api/files',
        'GET /api/files/{id}/content',
      ]),
    );
  });

  it('serves a browsable UI at /api/docs', async () => {
    const page = await app.http.get('/api/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('documents the Idempotency-Key on every create, required for orders, with its TTL', () => {
    const key = (path: string) =>
      committed.paths[path].post.parameters?.find(
        (parameter) => parameter.name === 'Idempotency-Key',
      );
    expect(key('/api/orders')).toMatchObject({ required: true });
    expect(key('/api/users')).toMatchObject({ required: false });
    expect(key('/api/files')).toMatchObject({ required: false });
    expect(JSON.stringify(committed)).toContain('24 h');
  });
});
