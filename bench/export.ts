import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { insertOrders } from '../test/support/bulk-orders';
import { signUp } from '../test/faults/support/orders-client';
import { Process, startService } from './processes';
import { BenchReport } from './report';

const EXPORT_ORDERS = Number(process.env.BENCH_EXPORT_ORDERS ?? 200_000);
/** How often the bench looks at the status monitor: often enough to time the end to 0.1 s. */
const POLL_MS = 100;
const GIVE_UP_MS = 10 * 60_000;

interface Finished {
  status: string;
  rowCount: number | null;
  file: { size: number } | null;
}

/** Polls the export until it has succeeded or failed; the time it took from `started`. */
async function finished(exporter: Process, monitor: string, token: string, started: number) {
  for (;;) {
    const response = await fetch(`${exporter.baseUrl}${monitor}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const found = (await response.json()) as Finished;
    const ms = performance.now() - started;
    if (found.status === 'succeeded' || found.status === 'failed') return { found, ms };
    if (ms > GIVE_UP_MS) throw new Error(`export still ${found.status} after ${ms} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * The export of EXPORT_ORDERS orders: time from the POST to `succeeded`, rows a second, and the
 * peak RSS of the process that served it and ran its job. That process is one of its own, the only
 * one of the run with a job runner (the other phases' run none), and its peak is reset just before
 * the POST, so the peak is the export's.
 */
export async function measureExport(db: Client, report: BenchReport, databaseUrl: string) {
  const exporter = await startService(databaseUrl, { WORKER_CONCURRENCY: '2' });
  try {
    const user = await signUp(exporter.baseUrl);
    await insertOrders(db, user.id, EXPORT_ORDERS);
    await db.query('VACUUM (ANALYZE) orders, order_items'); // as autovacuum would have by now
    exporter.resetPeakRss();
    const rssBeforeMiB = exporter.rssMiB();
    const started = performance.now();
    const accepted = await fetch(`${exporter.baseUrl}/api/order-exports`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'csv' }),
    });
    if (accepted.status !== 202) throw new Error(`export answered ${accepted.status}`);
    const { found, ms } = await finished(
      exporter,
      accepted.headers.get('location')!,
      user.token,
      started,
    );
    if (found.rowCount !== EXPORT_ORDERS) throw new Error(`export ${JSON.stringify(found)}`);
    report.check(`export ${EXPORT_ORDERS} orders`, {
      seconds: Number((ms / 1000).toFixed(1)),
      rowsPerSecond: Math.round(EXPORT_ORDERS / (ms / 1000)),
      csvMiB: Number((found.file!.size / 2 ** 20).toFixed(1)),
      rssBeforeMiB: Math.round(rssBeforeMiB),
      peakRssMiB: Math.round(exporter.peakRssMiB()),
    });
  } finally {
    await exporter.stop();
  }
}
