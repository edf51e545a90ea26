import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config/app-config';
import { resolveJwtSecret } from './config/jwt-secret';
import { DatabaseStartupError, openDatabase } from './database/open-database';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { createLogger } from './http/logger';
import { ENTITIES } from './entities';

const EXPECTED_STARTUP_ERRORS = [ConfigError, DatabaseStartupError, EmbeddedPostgresError];

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, ENTITIES, (line) => logger.info(line));
  const app = await createApp(
    { config, dataSource: database.dataSource, jwtSecret: await resolveJwtSecret(config) },
    logger,
  );
  stopGracefullyOn(['SIGTERM', 'SIGINT'], async () => {
    await app.close(); // stops accepting, lets in-flight requests finish
    await database.close();
  });
  await app.listen({ port: config.port, host: config.host });
}

function stopGracefullyOn(signals: NodeJS.Signals[], stop: () => Promise<void>) {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error) => fail(error),
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** One line on stderr and a non-zero exit; process.exit also beats embedded-postgres's exit-code-0 hook. */
function fail(error: unknown): never {
  const expected = EXPECTED_STARTUP_ERRORS.some((type) => error instanceof type);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `order-service: ${expected ? message : `start-up failed: ${message.split('\n')[0]}`}\n`,
  );
  process.exit(1);
}

main().catch(fail);
