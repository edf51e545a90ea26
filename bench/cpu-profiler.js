// Preloaded (`NODE_OPTIONS=--require …`, which refuses `--cpu-prof`) by bench/profile.ts: profiles
// this process from SIGUSR2 (sent after the warm-up, so start-up is left out) to its exit, and
// writes the profile into CPU_PROFILE_DIR, with the garbage collections of that time.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { PerformanceObserver, constants } = require('node:perf_hooks');

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor (scavenge)',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major (mark-compact)',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const collections = {}; // kind → { count, totalMs, maxMs }
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind] ?? String(entry.detail?.kind);
    const tally = (collections[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    tally.count++;
    tally.totalMs += entry.duration;
    tally.maxMs = Math.max(tally.maxMs, entry.duration);
  }
});

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
const profiling = process.env.CPU_PROFILE !== '0'; // 0: only the collections, at full speed
process.once('SIGUSR2', () => {
  if (profiling) session.post('Profiler.start');
  gcObserver.observe({ entryTypes: ['gc'] });
});
process.on('exit', () => {
  const file = (suffix) => join(process.env.CPU_PROFILE_DIR, `${process.pid}.${suffix}`);
  writeFileSync(file('gc.json'), JSON.stringify(collections));
  // An in-thread session answers synchronously, so this still runs while the process exits.
  session.post('Profiler.stop', (error, result) => {
    if (!error && profiling) writeFileSync(file('cpuprofile'), JSON.stringify(result.profile));
  });
});
