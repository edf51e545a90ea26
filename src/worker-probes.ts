import { type INestApplicationContext, Logger } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { DomainError, PROBLEM_CONTENT_TYPE, ServiceUnavailableError } from './http/problem';
import { Metrics, scrape } from './metrics/metrics';

interface Answer {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

/** The API's answer to a refused readiness, problem+json with Retry-After, for the worker too. */
function refused(error: unknown): Answer {
  const problem = error instanceof DomainError ? error : new ServiceUnavailableError();
  return {
    status: problem.status,
    type: PROBLEM_CONTENT_TYPE,
    body: JSON.stringify(problem.toProblem()),
    headers: problem.headers,
  };
}

/**
 * What an orchestrator and Prometheus ask of a worker, which serves no API: `/health/live`,
 * `/health/ready` (the database and both schemas, as the API answers it) and `/metrics` (the
 * job queue, and the enqueue-to-done time of the jobs this process ran), unless `METRICS_PORT`
 * puts it on a port of its own (`MetricsServer`), as in the API.
 */
export function serveWorkerProbes(app: INestApplicationContext): Server {
  const health = app.get(HealthController);
  const metrics = app.get(Metrics);
  const logger = new Logger('WorkerProbes');
  const metricsHere = app.get<AppConfig>(APP_CONFIG).metricsPort === null;
  const json = (status: number, body: unknown): Answer => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });
  const answer = async (path: string | undefined): Promise<Answer> => {
    if (path === '/health/live') return json(200, health.live());
    if (path === '/health/ready') return health.ready().then((ready) => json(200, ready), refused);
    if (path === '/metrics' && metricsHere)
      return scrape(metrics.registry, logger).then((body) =>
        body === null
          ? json(500, { status: 'metrics not collected' })
          : { status: 200, type: metrics.registry.contentType, body },
      );
    return json(404, { status: 'not found' });
  };
  return createServer((request, response) => {
    void answer(request.url).then(({ status, type, body, headers }) =>
      response
        .writeHead(status, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' })
        .end(body),
    );
  });
}
