import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Another live service owns this data folder: starting a second server on it must not kill the first. */
export class DataDirInUseError extends Error {}

type Holder = 'none' | 'orphan' | 'live-service';

/**
 * A service killed with SIGKILL leaves its PostgreSQL child running, and that orphan holds the
 * data folder. Stop it (fast shutdown, then harder) and remove a pid file nobody owns any more,
 * so the next start succeeds. A server whose parent service is still alive is left alone.
 */
export async function clearStalePostmaster(pgDataDir: string, log: (line: string) => void) {
  const pidFile = join(pgDataDir, 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (pid === null) return;
  const holder = await holderOf(pid, pgDataDir);
  if (holder === 'live-service') {
    throw new DataDirInUseError(
      `${pgDataDir} is in use by the embedded PostgreSQL (pid ${pid}) of a running service; stop it first or use another DATA_DIR`,
    );
  }
  if (holder === 'orphan') {
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

/** Whether `pid` is this folder's server, and if so whether the service that started it still runs. */
async function holderOf(pid: number, pgDataDir: string): Promise<Holder> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline === null) return isAlive(pid) ? 'orphan' : 'none'; // no /proc (macOS): best effort
  if (!cmdline.includes('postgres') || !cmdline.includes(pgDataDir)) return 'none'; // a reused pid
  const parent = await parentOf(pid);
  const parentCmdline =
    parent > 1 ? await readFile(`/proc/${parent}/cmdline`, 'utf8').catch(() => '') : '';
  return parentCmdline.includes('node') ? 'live-service' : 'orphan';
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the parenthesised command name: state, then the parent's pid.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
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
