import type { TestApp } from './test-app';

/** A metric's value from /metrics (the series without labels); NaN when it is not there. */
export async function metric(app: Pick<TestApp, 'http'>, name: string): Promise<number> {
  const text = (await app.http.get('/metrics').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}
