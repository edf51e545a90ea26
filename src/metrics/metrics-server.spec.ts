import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import type { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';

/** A MetricsServer on a free loopback port whose registry answers as `collect` does. */
async function serverWith(collect: () => Promise<string>) {
  const metrics = { registry: { contentType: 'text/plain; version=0.0.4', metrics: collect } };
  const config = { metricsPort: 0, host: '127.0.0.1' } as AppConfig;
  const server = new MetricsServer(metrics as unknown as Metrics, config);
  await server.onApplicationBootstrap();
  return { server, url: `http://127.0.0.1:${server.port()}` };
}

describe('MetricsServer', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('serves /metrics, with a query too, and nothing else', async () => {
    const { server, url } = await serverWith(async () => 'up 1\n');
    try {
      const scrape = await fetch(`${url}/metrics?target=x`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('cache-control')).toBe('no-store');
      expect(await scrape.text()).toBe('up 1\n');
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: 'DELETE' })).status).toBe(404);
    } finally {
      await server.onApplicationShutdown();
    }
  });

  it('answers 500 and warns when the metrics cannot be collected', async () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { server, url } = await serverWith(() => Promise.reject(new Error('gauge failed')));
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(500);
      expect(warned).toHaveBeenCalledWith('metrics not collected: gauge failed');
    } finally {
      await server.onApplicationShutdown();
    }
  });

  it('answers a scrape in progress at shutdown, closing its keep-alive connection after it', async () => {
    let collected!: (text: string) => void;
    let asked!: () => void;
    const scrapeAsked = new Promise<void>((resolve) => (asked = resolve));
    const { server, url } = await serverWith(() => {
      asked();
      return new Promise((resolve) => (collected = resolve));
    });
    const scrape = fetch(`${url}/metrics`); // fetch keeps connections alive
    await scrapeAsked;
    const closed = server.onApplicationShutdown();
    collected('up 1\n');
    const response = await scrape;
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.text()).toBe('up 1\n');
    await closed; // without the close, this waits out the idle connection's keep-alive timeout
  });
});
