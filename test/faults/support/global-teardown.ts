import { readFileSync, rmSync } from 'node:fs';
import e2eGlobalTeardown from '../../support/global-teardown';
import type { ScenarioReport } from './report';

/** Prints what every scenario did and found, then releases the run's database. */
export default async function globalTeardown() {
  const rows = readFileSync(process.env.FAULTS_REPORT!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScenarioReport);
  const header = ['scenario', 'requests', 'duplicates', 'lost writes', '5xx (not 503)', 'note'];
  const lines = rows.map((row) =>
    [row.scenario, row.requests, row.duplicates, row.lost, row.fiveHundreds, row.note ?? ''].map(
      String,
    ),
  );
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i].length)),
  );
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(
    [
      '',
      'Fault suite summary',
      format(header),
      format(widths.map((w) => '-'.repeat(w))),
      ...lines.map(format),
      '',
    ].join('\n'),
  );
  rmSync(process.env.FAULTS_REPORT!, { force: true });
  await e2eGlobalTeardown();
}
