// Fails when src/schema.ts is not what openapi-typescript makes of ../openapi.json today (drift):
// regenerates into a temporary file with the same command as `npm run generate`, then compares.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = 'src/schema.ts';
const dir = mkdtempSync(join(tmpdir(), 'order-client-schema-'));
try {
  const fresh = join(dir, 'schema.ts');
  execFileSync(
    join('node_modules', '.bin', 'openapi-typescript'),
    ['../openapi.json', '--output', fresh],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (readFileSync(fresh, 'utf8') !== readFileSync(committed, 'utf8')) {
    console.error(
      `${committed} is out of date with ../openapi.json: run "npm run generate" and commit it`,
    );
    process.exitCode = 1; // not exit(): the finally below removes the temporary folder
  } else {
    console.log(`${committed} matches ../openapi.json`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
