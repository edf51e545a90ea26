import { Injectable, type Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { poolOf } from '../database/data-source';

/**
 * The registry's text, or null (and a warning) when a collector failed, which the caller answers
 * with a 500: what the metrics port and the worker's probes serve alike.
 */
export async function scrape(
  registry: Pick<Registry, 'metrics'>,
  logger: Pick<Logger, 'warn'>,
): Promise<string | null> {
  try {
    return await registry.metrics();
  } catch (error) {
    logger.warn(`metrics not collected: ${(error as Error).message}`);
    return null;
  }
}

/**
 * The service's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several app instances in one process (tests) never collide.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** What a creation-endpoint monitor watches: 201s per route (replays included). */
  readonly created = new Counter({
    name: 'resources_created_total',
    help: '201 Created answers, by route template.',
    labelNames: ['route'],
    registers: [this.registry],
  });

  readonly idempotency = new Counter({
    name: 'idempotency_events_total',
    help: 'What the Idempotency-Key store did: stored, replayed, mismatched, in_flight_conflict, expired_deleted.',
    labelNames: ['event'],
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    const gauge = (name: string, help: string, read: (p: Pool) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = poolOf(dataSource);
          if (current) this.set(read(current));
        },
      });
    gauge('db_pool_connections', 'Connections the database pool holds.', (p) => p.totalCount);
    gauge('db_pool_idle_connections', 'Pooled connections not in use.', (p) => p.idleCount);
    gauge(
      'db_pool_waiting_requests',
      'Queries waiting for a pooled connection.',
      (p) => p.waitingCount,
    );
  }

  /** Called once per answered request. */
  observe(method: string, route: string, status: number, seconds: number) {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
    if (status === 201) this.created.inc({ route });
  }
}
