import { appendFileSync } from 'node:fs';

export interface ScenarioReport {
  scenario: string;
  requests: number;
  /** '-' where the scenario cannot duplicate or lose a create (it makes none). */
  duplicates: number | '-';
  lost: number | '-';
  fiveHundreds: number;
  note?: string;
}

/** Adds a row to the run's summary table (printed by the global teardown). */
export function report(row: ScenarioReport) {
  appendFileSync(process.env.FAULTS_REPORT!, `${JSON.stringify(row)}\n`);
}
