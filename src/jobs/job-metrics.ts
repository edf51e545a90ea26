import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { sharedScrape } from '../metrics/shared-scrape';
import { JobsRepository } from './jobs.repository';

/** The queue as /metrics shows it: jobs by state (read at scrape time) and enqueue-to-done time. */
@Injectable()
export class JobMetrics {
  private readonly done: Histogram<'task' | 'outcome'>;

  constructor(metrics: Metrics, jobs: JobsRepository, transactions: Transactions) {
    const counts = sharedScrape(() => jobs.counts(transactions.autocommit), {
      queued: NaN,
      running: NaN,
      failed: NaN,
      oldestDueAgeSeconds: NaN,
    });
    for (const state of ['queued', 'running', 'failed'] as const) {
      new Gauge({
        name: `jobs_${state}`,
        help: `Background jobs ${state === 'failed' ? 'that failed for good' : state}, all processes.`,
        registers: [metrics.registry],
        async collect() {
          this.set((await counts())[state]);
        },
      });
    }
    // However few jobs there are: one that waits long while none finishes means no runner works.
    new Gauge({
      name: 'jobs_oldest_due_age_seconds',
      help: 'Seconds the longest-waiting due job (new, or a retry past its back-off) has waited for a runner, 0 with none; all processes.',
      registers: [metrics.registry],
      async collect() {
        this.set((await counts()).oldestDueAgeSeconds);
      },
    });
    this.done = new Histogram({
      name: 'job_enqueue_to_done_seconds',
      help: 'Time from a job being added to its last run ending, by task and outcome.',
      labelNames: ['task', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [metrics.registry],
    });
  }

  finished(task: string, outcome: 'succeeded' | 'failed', enqueuedAt: Date) {
    this.done.observe({ task, outcome }, (Date.now() - enqueuedAt.getTime()) / 1000);
  }
}
