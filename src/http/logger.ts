import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'order-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets never reach the log, whatever a future log call passes in.
    redact: [
      'req.headers.authorization',
      'req.headers["idempotency-key"]',
      'password',
      '*.password',
    ],
  });
}

/** Nest's own messages (start-up, route mapping) go to the same JSON log as requests. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
