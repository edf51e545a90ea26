import 'reflect-metadata';
import { createApp } from './app';
import { loadConfig } from './config/app-config';
import { resolveJwtSecret } from './config/jwt-secret';
import { openDatabase } from './database/open-database';
import { Draining } from './health/draining';
import { createLogger } from './http/logger';
import { ENTITIES } from './entities';
import { fail, stopGracefullyOn } from './lifecycle';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, ENTITIES, (line) => logger.info(line));
  const app = await createApp(
    { config, dataSource: database.dataSource, jwtSecret: await resolveJwtSecret(config) },
    logger,
  );
  stopGracefullyOn(
    ['SIGTERM', 'SIGINT'],
    [
      // Readiness 503: balancers move away.
      { name: 'draining', run: () => app.get(Draining).drainFor(config.shutdownDelayMs) },
      // Stops accepting, lets in-flight requests and running jobs finish.
      { name: 'closing the application', run: () => app.close() },
      { name: 'closing the database', run: () => database.close() },
    ],
    config.shutdownDelayMs + config.shutdownTimeoutMs,
  );
  await app.listen({ port: config.port, host: config.host });
}

main().catch(fail);
