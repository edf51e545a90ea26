/**
 * `npm run bench:profile`: where a create's CPU goes. The service from dist/ runs under
 * V8's CPU profiler (`cpu-profiler.js`, as `--cpu-prof` would) while autocannon sends creates (fresh keys) at BENCH_PROFILE_CONNECTIONS for
 * BENCH_SECONDS; the profile is written at its exit and summarised: self time by package and by
 * function, and the inclusive time of the frames a create passes through (a text flame graph).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, ORDER } from './fixture';
import { measure, SECONDS } from './measure';
import { benchDatabase, startService } from './processes';
import { summarise } from './profile-summary';

const CONNECTIONS = Number(process.env.BENCH_PROFILE_CONNECTIONS ?? 10);

async function main() {
  const database = await benchDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'order-service-profile-'));
  const service = await startService(database.url, {
    WORKER_CONCURRENCY: '0',
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profiler.js')}`,
    CPU_PROFILE_DIR: dir,
  });
  try {
    const f = await fixture(service);
    const target = {
      name: 'create',
      url: `${service.baseUrl}/api/orders`,
      method: 'POST' as const,
      headers: f.auth,
      body: ORDER,
      key: 'unique' as const,
      pid: service.child.pid,
    };
    await measure(target, CONNECTIONS, 2); // warm-up, left out of the profile
    service.child.kill('SIGUSR2'); // starts the profiler (cpu-profiler.js)
    const measured = await measure(target, CONNECTIONS, SECONDS);
    console.log(
      `create @${CONNECTIONS}: ${measured.rps.toFixed(0)} req/s, ${measured.cpuUs.toFixed(0)} CPU µs/req, p99 ${measured.p99} ms`,
    );
  } finally {
    await service.stop();
    await database.stop();
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  console.log(`profile: ${join(dir, file)}\n`);
  console.log(summarise(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
