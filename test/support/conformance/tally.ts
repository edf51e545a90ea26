import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Global setup: where the test files leave their counts (workers inherit the variable). */
export function startTally() {
  process.env.E2E_CONFORMANCE_DIR = mkdtempSync(join(tmpdir(), 'openapi-conformance-'));
}

/** Global teardown: the run's count of judged exchanges, printed once. */
export function printTally() {
  const directory = process.env.E2E_CONFORMANCE_DIR;
  if (!directory) return;
  const file = join(directory, 'tally.jsonl');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  const sum = { judged: 0, outside: 0, files: 0 };
  for (const line of lines.filter(Boolean)) {
    const { judged, outside } = JSON.parse(line) as { judged: number; outside: number };
    Object.assign(sum, {
      judged: sum.judged + judged,
      outside: sum.outside + outside,
      files: sum.files + 1,
    });
  }
  if (sum.files === 0) return; // a run without the e2e setup file (the fault suite)
  process.stdout.write(
    `\nOpenAPI conformance: ${sum.judged} exchanges of ${sum.files} test files validated against openapi.json ` +
      `(${sum.outside} more to routes the document does not describe: docs, metrics, unknown paths)\n`,
  );
  rmSync(directory, { recursive: true, force: true });
}
