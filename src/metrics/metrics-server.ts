import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Metrics } from './metrics';

/**
 * `/metrics` on `METRICS_PORT`, a port of its own that only Prometheus needs to reach, so the
 * request and create counts are not served to whoever can reach the API. The API's and the
 * worker's alike; present only when `METRICS_PORT` is set.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server: Server;

  constructor(
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.server = createServer((request, response) => {
      if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
        return;
      }
      void metrics.registry.metrics().then((text) =>
        response
          .writeHead(200, {
            'Content-Type': metrics.registry.contentType,
            'Cache-Control': 'no-store',
          })
          .end(text),
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await new Promise<void>((listening, failed) => {
      const failedOn = (error: Error) =>
        failed(new Error(`cannot serve /metrics on METRICS_PORT: ${error.message}`));
      this.server.once('error', failedOn);
      this.server.listen(this.config.metricsPort!, this.config.host, () => {
        this.server.off('error', failedOn);
        new Logger(MetricsServer.name).log(`serving /metrics on port ${this.port()}`);
        listening();
      });
    });
  }

  /** The port it listens on (METRICS_PORT, or the one chosen for 0). */
  port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    // Node's close() also ends idle keep-alive connections: a scrape in progress finishes.
    await new Promise<void>((closed) => this.server.close(() => closed()));
  }
}
