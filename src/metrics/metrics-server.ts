import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Metrics, scrape } from './metrics';

/**
 * `/metrics` on `METRICS_PORT`, a port of its own that only Prometheus needs to reach, so the
 * request and create counts are not served to whoever can reach the API. The API's and the
 * worker's alike; present only when `METRICS_PORT` is set.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server: Server;
  private readonly logger = new Logger(MetricsServer.name);
  private closing = false;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.server = createServer((request, response) => void this.answer(request, response));
  }

  async onApplicationBootstrap(): Promise<void> {
    await new Promise<void>((listening, failed) => {
      const failedOn = (error: Error) =>
        failed(new Error(`cannot serve /metrics on METRICS_PORT: ${error.message}`));
      this.server.once('error', failedOn);
      this.server.listen(this.config.metricsPort!, this.config.host, () => {
        this.server.off('error', failedOn);
        this.logger.log(`serving /metrics on port ${this.port()}`);
        listening();
      });
    });
  }

  /** The port it listens on (METRICS_PORT, or the one chosen for 0). */
  port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Stops listening; a scrape in progress is answered, with its connection closed after it, so
   * that a keep-alive scraper does not hold the shutdown for its idle timeout.
   */
  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    this.closing = true;
    await new Promise<void>((closed) => this.server.close(() => closed()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD'))
      return this.send(response, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    const text = await scrape(this.metrics.registry, this.logger);
    if (text === null)
      return this.send(response, 500, 'text/plain; charset=utf-8', 'metrics not collected\n');
    this.send(response, 200, this.metrics.registry.contentType, text);
  }

  private send(response: ServerResponse, status: number, type: string, body: string): void {
    const headers = { 'Content-Type': type, 'Cache-Control': 'no-store' };
    response.writeHead(status, this.closing ? { ...headers, Connection: 'close' } : headers);
    response.end(body);
  }
}
