import { PgBouncer } from '../test/support/pgbouncer';
import { Fixture } from './fixture';
import { compare, Target } from './measure';
import { Process, startService } from './processes';
import { BenchReport } from './report';

const CONNECTIONS = [10, 50];

/**
 * The cost of running behind a transaction pooler, on this build: the service as it runs on a
 * direct connection (named prepared statements), on the same direct connection with statements
 * unnamed (what it does behind a pooler, alone), and through PgBouncer 1.18 in transaction mode.
 */
export async function measurePooler(
  databaseUrl: string,
  report: BenchReport,
  f: Fixture,
  create: Target,
) {
  const bouncer = await PgBouncer.start(databaseUrl);
  const setups = await startSetups(databaseUrl, bouncer);
  const workloads = [
    ['create', (p: Process) => ({ ...create, url: `${p.baseUrl}/api/orders` })],
    ['get by id', (p: Process) => get(p, f)],
  ] as const;
  try {
    for (const connections of CONNECTIONS)
      for (const [workload, target] of workloads) {
        const targets = setups.map(([name, p]) => ({ ...target(p), name: `${workload}, ${name}` }));
        const [, unnamed, pooled] = targets.map((t) => t.name);
        const measured = await compare(targets, connections);
        report.add(`${workload}: pooler`, connections, measured, {
          [unnamed]: null,
          [pooled]: null,
        });
      }
  } finally {
    for (const [, p] of setups) await p.stop();
    await bouncer.stop();
  }
}

/** The three services, named by what they do with statements. */
async function startSetups(databaseUrl: string, bouncer: PgBouncer): Promise<[string, Process][]> {
  const base = { WORKER_CONCURRENCY: '0' };
  const unnamed = { ...base, DATABASE_DIRECT_URL: databaseUrl };
  return [
    ['named statements', await startService(databaseUrl, base)],
    ['unnamed statements', await startService(databaseUrl, unnamed)],
    ['through PgBouncer', await startService(bouncer.pooled(databaseUrl), unnamed)],
  ];
}

const get = (p: Process, f: Fixture): Target => ({
  name: 'get',
  url: `${p.baseUrl}/api/orders/${f.orderId}`,
  method: 'GET',
  headers: f.auth,
});
