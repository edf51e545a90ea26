import { readFileSync } from 'node:fs';
import type { Exchange } from './exchange';
import { mismatchesOf } from './recorder';

/**
 * `npm run conformance:judge -- <file>`: judges the exchanges another suite logged (the typed
 * client's tests, with CONFORMANCE_LOG set) against openapi.json; exits 1 on any mismatch.
 */
function judgeLog(file: string) {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  let judged = 0;
  const mismatches: string[] = [];
  for (const line of lines) {
    const logged = JSON.parse(line) as Omit<Exchange, 'url'> & { url: string };
    const found = mismatchesOf({ ...logged, url: new URL(logged.url) });
    if (found === null) continue;
    judged++;
    mismatches.push(...found);
  }
  console.log(
    `conformance: ${judged} exchanges of ${lines.length} logged judged against openapi.json, ${mismatches.length} mismatches`,
  );
  for (const mismatch of mismatches) console.error(`- ${mismatch}`);
  if (judged === 0 || mismatches.length > 0) process.exit(1);
}

judgeLog(process.argv[2]);
