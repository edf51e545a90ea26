// Preloaded (`NODE_OPTIONS=--require …`, which refuses `--cpu-prof`) by bench/profile.ts: profiles
// this process from SIGUSR2 (sent after the warm-up, so start-up is left out) to its exit, and
// writes the profile into CPU_PROFILE_DIR.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
process.once('SIGUSR2', () => session.post('Profiler.start'));
process.on('exit', () => {
  // An in-thread session answers synchronously, so this still runs while the process exits.
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const file = join(process.env.CPU_PROFILE_DIR, `${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
  });
});
