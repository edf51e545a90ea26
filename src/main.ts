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
  stopGracefullyOn(['SIGTERM', 'SIGINT'], async () => {
    await app.get(Draining).drainFor(config.shutdownDelayMs); // readiness 503: balancers move away
    await app.close(); // stops accepting, lets in-flight requests and running jobs finish
    await database.close();
  });
  await app.listen({ port: config.port, host: config.host });
}

main().catch(fail);
