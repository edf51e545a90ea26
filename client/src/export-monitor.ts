import { failure, isResource } from './idempotent-create.js';
import { ApiError } from './problem.js';
import {
  attemptWithin,
  type AttemptOutcome,
  pause,
  retryAfterMs,
  retryDelayMs,
  type RetryPolicy,
} from './retry.js';
import type { components } from './schema.js';

export type OrderExport = components['schemas']['OrderExportResponse'];

/** An export whose job failed for good; `exported.error` says why, `code` is `export_failed`. */
export class ExportFailedError extends Error {
  readonly code: string;
  readonly detail: string;

  constructor(readonly exported: OrderExport) {
    const code = exported.error?.code ?? 'export_failed';
    super(`export ${exported.id} failed (${code}): ${exported.error?.detail ?? ''}`);
    this.name = 'ExportFailedError';
    this.code = code;
    this.detail = exported.error?.detail ?? '';
  }
}

/** How long to wait when a monitor's answer has no Retry-After: what the service sends. */
const DEFAULT_POLL_MS = 1_000;

export interface MonitorSettings {
  retry: RetryPolicy;
  /** Per poll. */
  timeoutMs: number;
  /** Aborting it stops following at once. */
  signal?: AbortSignal;
}

/** One GET of the status monitor, as the caller's fetch answers it. */
export type Poll = (signal: AbortSignal) => Promise<Response>;

/**
 * Follows an export's status monitor: waits `firstWaitMs` (the 202's Retry-After), then reads it
 * after every Retry-After until the export has succeeded (resolves to it) or failed
 * (ExportFailedError). A read is safe to repeat, so one that fails as a create's attempt may
 * (network, timeout, 502, 503, 504, 429) is retried by the same policy; any other answer, a 2xx
 * whose body is not an export among them, is an ApiError.
 */
export async function followExport(
  poll: Poll,
  firstWaitMs: number | null,
  settings: MonitorSettings,
): Promise<OrderExport> {
  let wait = firstWaitMs ?? DEFAULT_POLL_MS;
  for (let failures = 0; ;) {
    await pause(wait, settings.signal);
    const outcome = await readMonitor(poll, settings);
    if (outcome.kind === 'answer' && outcome.response.ok) {
      // A 2xx that is not an export (a captive portal's page, a proxy's empty 204) is no status.
      if (!isOrderExport(outcome.body)) throw new ApiError(outcome.response.status, outcome.body);
      const exported = outcome.body;
      if (exported.status === 'succeeded') return exported;
      if (exported.status === 'failed') throw new ExportFailedError(exported);
      failures = 0;
      wait = retryAfterMs(outcome.response.headers.get('Retry-After')) ?? DEFAULT_POLL_MS;
    } else {
      failures++;
      const delay = retryDelayMs(outcome, failures, settings.retry);
      if (delay === null) throw failure(outcome, failures);
      wait = delay;
    }
  }
}

const STATUSES: ReadonlySet<string> = new Set<OrderExport['status']>([
  'queued',
  'running',
  'succeeded',
  'failed',
]);

/** An export in a status the client knows: anything else would be polled for ever. */
function isOrderExport(body: unknown): body is OrderExport {
  if (!isResource(body)) return false;
  const { status } = body as Partial<OrderExport>;
  return typeof status === 'string' && STATUSES.has(status);
}

function readMonitor(poll: Poll, settings: MonitorSettings): Promise<AttemptOutcome> {
  return attemptWithin(
    async (signal) => {
      const response = await poll(signal);
      // A gateway in front of the service may answer with an HTML page or nothing at all; a body
      // cut off, a timeout or the caller's abort while it is read stays what it is.
      const body: unknown = await response.json().catch((error: unknown) => {
        if (error instanceof SyntaxError) return undefined;
        throw error;
      });
      return { response, body };
    },
    settings.signal,
    settings.timeoutMs,
  );
}
