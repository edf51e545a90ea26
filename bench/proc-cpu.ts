import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/** Linux's clock ticks per second, in which /proc/<pid>/stat counts CPU time. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command's parentheses (field 3, `state`, is [0]). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // the process has gone
  }
}

/** A process's user + system CPU time in µs; with `children`, also that of its reaped children. */
export function cpuMicros(pid: number, children = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1e6) / TICKS_PER_SECOND;
}

const parentOf = (pid: number) => Number(statFields(pid)?.[1] ?? 0);

/** Every live process whose parent is `parent`. */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => parentOf(pid) === parent);
}

export interface PgCpu {
  /** pid → CPU µs of this database's client backends (the pool's connections, LISTEN). */
  backends: Map<number, number>;
  /** The whole server: the postmaster, its live children, and the children it has reaped. */
  clusterMicros: number;
  /** Commits in the server's other databases: what else ran meanwhile (WAL is server-wide). */
  otherCommits: number;
}

/** PostgreSQL's CPU time from /proc: only meaningful when the server runs on this machine. */
export async function pgCpu(db: Client): Promise<PgCpu> {
  const { rows } = await db.query<{ pid: number; me: boolean }>(
    `SELECT pid, pid = pg_backend_pid() AS me FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'`,
  );
  const [{ commits }] = (
    await db.query<{ commits: string }>(
      `SELECT coalesce(sum(xact_commit), 0) AS commits FROM pg_stat_database
        WHERE datname IS DISTINCT FROM current_database()`,
    )
  ).rows;
  const postmaster = parentOf(rows.find((row) => row.me)!.pid);
  const clusterMicros =
    cpuMicros(postmaster, true) +
    childrenOf(postmaster).reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const backends = new Map(
    rows.filter((row) => !row.me).map((row) => [row.pid, cpuMicros(row.pid)] as const),
  );
  return { backends, clusterMicros, otherCommits: Number(commits) };
}

/** CPU µs between two readings: the backends live at the end (those new since count from 0). */
export function pgCpuSpent(before: PgCpu, after: PgCpu) {
  let backends = 0;
  for (const [pid, micros] of after.backends) backends += micros - (before.backends.get(pid) ?? 0);
  return {
    backendsMicros: backends,
    clusterMicros: after.clusterMicros - before.clusterMicros,
    otherCommits: after.otherCommits - before.otherCommits,
  };
}
