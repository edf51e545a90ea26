import { ConfigError } from './config/app-config';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { DatabaseStartupError } from './database/open-database';

const EXPECTED_STARTUP_ERRORS = [ConfigError, DatabaseStartupError, EmbeddedPostgresError];

/** Runs `stop` once on the first of `signals`, then exits 0 (or fails with its error). */
export function stopGracefullyOn(signals: NodeJS.Signals[], stop: () => Promise<void>) {
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
export function fail(error: unknown): never {
  const expected = EXPECTED_STARTUP_ERRORS.some((type) => error instanceof type);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `order-service: ${expected ? message : `start-up failed: ${message.split('\n')[0]}`}\n`,
  );
  process.exit(1);
}
