import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RatioBar, ratioChart } from './chart';
import { Measured, ratioOf, REPETITIONS, SECONDS } from './measure';

export interface Row extends Measured {
  workload: string;
  connections: number;
  target: string;
  /**
   * The service's req/s divided by each reference's, with the issue's target for it (null: none)
   * and the lowest and highest ratio of the alternated passes.
   */
  ratios: Record<string, { ratio: number; low: number; high: number; goal: number | null }>;
}

/** Everything a run found: the comparison rows, and named checks (correctness, RSS, scale). */
export class BenchReport {
  readonly rows: Row[] = [];
  readonly checks: Record<string, unknown>[] = [];

  constructor(private readonly database: string) {}

  /**
   * The first target is the service; `goals` maps each reference to the ratio the issue asks for,
   * or to null for a ratio that is reported without a target.
   */
  add(
    workload: string,
    connections: number,
    measured: Record<string, Measured>,
    goals: Record<string, number | null>,
  ) {
    const [service] = Object.keys(measured);
    for (const [target, m] of Object.entries(measured)) {
      const ratios =
        target === service
          ? Object.fromEntries(
              Object.entries(goals).map(([ref, goal]) => [
                ref,
                { ...ratioOf(m, measured[ref]), goal },
              ]),
            )
          : {};
      this.rows.push({ workload, connections, target, ...m, ratios });
    }
  }

  check(name: string, facts: Record<string, unknown>) {
    this.checks.push({ check: name, ...facts });
    console.log(`${name}: ${JSON.stringify(facts)}`);
  }

  /** Prints the table; with `files`, also writes bench/results/latest.json and latest.svg. */
  write({ files }: { files: boolean }) {
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${this.database}`;
    console.log(
      `\nbench: ${machine}; ${SECONDS} s per measured pass, ${REPETITIONS} alternating repetitions, medians\n`,
    );
    console.log(
      '| workload | conns | target | req/s | p50 ms | p99 ms | CPU µs/req | PG CPU µs/req | non-2xx | errors | ratios |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const row of this.rows) console.log(tableLine(row));
    if (!files) return;
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const json = {
      machine,
      seconds: SECONDS,
      repetitions: REPETITIONS,
      rows: this.rows,
      checks: this.checks,
    };
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(dir, 'latest.svg'), ratioChart(this.bars(), machine));
    console.log('\nwrote bench/results/latest.json and bench/results/latest.svg');
  }

  /** The chart shows the ratios that have a target. */
  private bars(): RatioBar[] {
    return this.rows.flatMap((row) =>
      Object.entries(row.ratios).flatMap(([ref, { ratio, goal }]) =>
        goal === null
          ? []
          : [{ label: `${row.workload} @${row.connections} vs ${ref}`, ratio, goal }],
      ),
    );
  }
}

/** Rows without latencies (a rate of jobs) show a dash there. */
const cell = (value: number, digits?: number) =>
  Number.isFinite(value) ? (digits === undefined ? String(value) : value.toFixed(digits)) : '–';

/** `0.61× raw-lean (≥0.8; passes 0.57-0.66)`: the target, and the spread when there is one. */
function ratioText(ref: string, { ratio, low, high, goal }: Row['ratios'][string]): string {
  const notes = [
    ...(goal === null ? [] : [`≥${goal}`]),
    ...(low === high ? [] : [`passes ${low.toFixed(2)}-${high.toFixed(2)}`]),
  ];
  return `${ratio.toFixed(2)}× ${ref}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

function tableLine(row: Row): string {
  const ratios = Object.entries(row.ratios)
    .map(([ref, ratio]) => ratioText(ref, ratio))
    .join(', ');
  return `| ${row.workload} | ${row.connections} | ${row.target} | ${cell(row.rps, row.rps < 100 ? 1 : 0)} | ${cell(row.p50)} | ${cell(row.p99)} | ${cell(Math.round(row.cpuUs))} | ${cell(Math.round(row.pgCpuUs))} | ${row.non2xx} | ${row.errors} | ${ratios} |`;
}
