import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A service killed with SIGKILL leaves its PostgreSQL child running, and that orphan holds the
 * data folder. Stop it (fast shutdown, then harder) and remove a pid file nobody owns any more,
 * so the next start succeeds.
 */
export async function clearStalePostmaster(pgDataDir: string, log: (line: string) => void) {
  const pidFile = join(pgDataDir, 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (pid === null) return;
  if (await isPostgresProcess(pid)) {
    log(`stopping orphaned embedded PostgreSQL (pid ${pid}) left by an earlier run`);
    await stopProcess(pid);
  }
  await rm(pidFile, { force: true });
}

async function readPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    return isAlive(pid); // no /proc (macOS): trust that a live pid from the pid file is ours
  }
}

async function stopProcess(pid: number) {
  const escalation: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGKILL'];
  for (const signal of escalation) {
    if (!signalProcess(pid, signal)) return;
    for (let waited = 0; waited < 10_000; waited += 100) {
      if (!isAlive(pid)) return;
      await sleep(100);
    }
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  return signalProcess(pid, 0);
}
