import { ConfigError } from './config/app-config';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { DatabaseStartupError } from './database/open-database';

const EXPECTED_STARTUP_ERRORS = [ConfigError, DatabaseStartupError, EmbeddedPostgresError];

/** A step of a graceful stop, named in the line written if the stop overruns its deadline. */
export interface StopStep {
  name: string;
  run: () => unknown;
}

/**
 * On the first of `signals`, runs `steps` in order, then exits 0; a step that fails, or a stop
 * unfinished `deadlineMs` after the signal, exits 1 with a line naming the step. A promise that
 * never settles (a connection never handed back, a library's stop) must not keep a process that
 * was told to stop alive until something kills it, with nothing said about why.
 */
export function stopGracefullyOn(signals: NodeJS.Signals[], steps: StopStep[], deadlineMs: number) {
  const stop = gracefulStop(steps, deadlineMs, (code) => process.exit(code));
  for (const signal of signals) process.on(signal, stop);
}

/** The signal handler of `stopGracefullyOn`, which `exit`s with the process's code. */
export function gracefulStop(
  steps: StopStep[],
  deadlineMs: number,
  exit: (code: number) => void,
): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    let current = '';
    let ended = false;
    const end = (code: number, problem?: string) => {
      if (ended) return; // a step that settles after the deadline has nothing left to say
      ended = true;
      clearTimeout(deadline);
      if (problem) process.stderr.write(`order-service: the graceful stop ${problem}\n`);
      exit(code);
    };
    const deadline = setTimeout(
      () => end(1, `did not finish within ${deadlineMs} ms (still ${current}); exiting`),
      deadlineMs,
    );
    const run = async () => {
      for (const step of steps) {
        current = step.name;
        await step.run();
      }
    };
    run().then(
      () => end(0),
      (error) => end(1, `failed while ${current}: ${messageOf(error)}`),
    );
  };
}

/** One line on stderr and a non-zero exit; process.exit also beats embedded-postgres's exit-code-0 hook. */
export function fail(error: unknown): never {
  const expected = EXPECTED_STARTUP_ERRORS.some((type) => error instanceof type);
  const message = messageOf(error);
  process.stderr.write(
    `order-service: ${expected ? message : `start-up failed: ${message.split('\n')[0]}`}\n`,
  );
  process.exit(1);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
