import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { LoggedAppModule } from './app';
import { loadConfig } from './config/app-config';
import { resolveJwtSecret } from './config/jwt-secret';
import { openDatabase } from './database/open-database';
import { createLogger } from './http/logger';
import { ENTITIES } from './entities';
import { fail, stopGracefullyOn } from './lifecycle';
import { serveWorkerProbes } from './worker-probes';

/**
 * `npm run worker`: the service without its API, running background jobs only
 * (WORKER_CONCURRENCY at a time), so image work can move off the API processes, which then run
 * with WORKER_CONCURRENCY=0. Same build, same configuration, same database.
 */
async function main() {
  const config = loadConfig();
  if (config.workerConcurrency === 0)
    throw new Error('WORKER_CONCURRENCY=0: a worker that runs no jobs');
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, ENTITIES, (line) => logger.info(line));
  const deps = {
    config,
    dataSource: database.dataSource,
    jwtSecret: await resolveJwtSecret(config),
  };
  const app = await NestFactory.createApplicationContext(LoggedAppModule.with(deps, logger), {
    bufferLogs: true,
  });
  app.useLogger(app.get(NestPinoLogger));
  app.flushLogs();
  const probes = serveWorkerProbes(app);
  stopGracefullyOn(
    ['SIGTERM', 'SIGINT'],
    [
      { name: 'closing the probes', run: () => probes.close() },
      // Running jobs finish, or are aborted and handed back after the grace.
      { name: 'closing the application', run: () => app.close() },
      { name: 'closing the database', run: () => database.close() },
    ],
    config.shutdownTimeoutMs,
  );
  await app.init();
  await new Promise<void>((resolve) => probes.listen(config.port, config.host, resolve));
  const metricsAt = config.metricsPort === null ? 'and /metrics ' : '';
  logger.info(
    `worker running ${config.workerConcurrency} job(s) at a time; probes ${metricsAt}on port ${config.port}`,
  );
}

main().catch(fail);
