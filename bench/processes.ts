import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import {
  createDatabaseOn,
  migrate,
  startTemporaryEmbedded,
  TestDatabase,
} from '../test/support/test-database';
import { ensurePeerBuilt, startReadyPeer } from '../test/support/peer-process';
import {
  startReadyService,
  startReadyWorker,
  TEST_JWT_SECRET,
} from '../test/support/service-process';
import { prepareWalSegments } from './wal';

/**
 * A fresh, migrated database: on DATABASE_URL's server when set, else a temporary embedded one;
 * its server's WAL segments made beforehand (prepareWalSegments).
 */
export async function benchDatabase(): Promise<TestDatabase> {
  const database = process.env.DATABASE_URL
    ? await createDatabaseOn(process.env.DATABASE_URL)
    : await startTemporaryEmbedded();
  await migrate(database.url);
  await prepareWalSegments(database.url);
  return database;
}

/** Which PostgreSQL a run measured, for its report. */
export async function databaseLabel(db: Client): Promise<string> {
  const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
  const where = process.env.DATABASE_URL ? 'at DATABASE_URL' : 'embedded';
  return `PostgreSQL ${rows[0].server_version.split(' ')[0]} ${where}`;
}

export interface Process {
  child: ChildProcess;
  baseUrl: string;
  rssMiB(): number;
  /** The largest RSS since start, or since `resetPeakRss`. */
  peakRssMiB(): number;
  /** Makes the peak the RSS of now (Linux's clear_refs), so a later peak is that of what ran since. */
  resetPeakRss(): void;
  stop(): Promise<void>;
}

/** A `/proc/<pid>/status` figure given in kB (VmRSS, VmHWM), in MiB. */
const statusMiB = (pid: number | undefined, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) /
  1024;

function processOf(child: ChildProcess, baseUrl: string): Process {
  return {
    child,
    baseUrl,
    rssMiB: () => statusMiB(child.pid, 'VmRSS'),
    peakRssMiB: () => statusMiB(child.pid, 'VmHWM'),
    resetPeakRss: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(); // gone already
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A stopped (SIGSTOP) process does nothing (no requests, no timers); SIGCONT lets it go on. */
export const hold = (p: Process) => void p.child.kill('SIGSTOP');
export const release = (p: Process) => void p.child.kill('SIGCONT');

/** The service from dist/, as the image runs it; `env` adds to (or overrides) the bench's settings. */
export async function startService(
  databaseUrl: string,
  env: Record<string, string> = {},
  root?: string,
): Promise<Process> {
  const service = await startReadyService(
    databaseUrl,
    {
      NODE_ENV: 'production',
      IDEMPOTENCY_SWEEP_INTERVAL: '1s', // the cleanup-under-load measurement needs the sweeper busy
      ...env,
    },
    'build',
    root,
  );
  return processOf(service.child, service.baseUrl);
}

/**
 * The service and a "replica" on the same database that keeps no answers in memory (so retries
 * sent to it read the table); neither runs jobs.
 */
export async function startServiceAndReplica(databaseUrl: string) {
  const service = await startService(databaseUrl, { WORKER_CONCURRENCY: '0' });
  const replica = await startService(databaseUrl, {
    IDEMPOTENCY_MEMORY: '0',
    WORKER_CONCURRENCY: '0',
  });
  return { service, replica };
}

/** bench/peer (installed and built first if needed), its Redis keys under `prefix`. */
export async function startPeer(databaseUrl: string, prefix: string): Promise<Process> {
  ensurePeerBuilt();
  const peer = await startReadyPeer(databaseUrl, prefix);
  return processOf(peer.child, peer.baseUrl);
}

/** `npm run worker` from dist/ (no HTTP server: `baseUrl` is empty), running `concurrency` jobs at a time. */
export async function startWorker(databaseUrl: string, concurrency: number): Promise<Process> {
  const worker = await startReadyWorker(databaseUrl, {
    NODE_ENV: 'production',
    WORKER_CONCURRENCY: String(concurrency),
  });
  return processOf(worker.child, '');
}

/** The raw references in a process of their own, so they do not share a CPU with autocannon. */
export async function startReferences(databaseUrl: string, userId: string): Promise<Process> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      join(__dirname, 'references.ts'),
      databaseUrl,
      userId,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET } },
  );
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`references exited with ${code}`)));
  });
  return processOf(child, baseUrl);
}
