// Preloaded (`NODE_OPTIONS=--require …`, which refuses `--cpu-prof`) by bench/profile.ts: the
// first SIGUSR2 (sent after the warm-up, so start-up is left out) starts V8's profiler and a tally
// of garbage collections; the second stops both and writes them into CPU_PROFILE_DIR
// (`<pid>.cpuprofile`, `<pid>.gc.json`), so the profile holds the measured pass and nothing else.
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

const file = (suffix) => join(process.env.CPU_PROFILE_DIR, `${process.pid}.${suffix}`);
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });

const heap = process.env.CPU_PROFILE === 'heap'; // allocations sampled instead of CPU time
const profiling = !heap && process.env.CPU_PROFILE !== '0';

function start() {
  if (heap)
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  if (profiling) session.post('Profiler.start');
  gcObserver.observe({ entryTypes: ['gc'] });
}

function stop() {
  gcObserver.disconnect();
  const written = () => writeFileSync(file('gc.json'), JSON.stringify(collections));
  if (heap)
    return session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(file('heapprofile'), JSON.stringify(result.profile));
      written();
    });
  if (!profiling) return written();
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(file('cpuprofile'), JSON.stringify(result.profile));
    written(); // last: its presence tells bench/profile.ts both files are there
  });
}

let signals = 0;
process.on('SIGUSR2', () => (++signals === 1 ? start() : signals === 2 ? stop() : undefined));
