import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import e2eGlobalSetup from '../../support/global-setup';

export default async function globalSetup() {
  await e2eGlobalSetup();
  process.env.FAULTS_REPORT = join(tmpdir(), `order-service-faults-${process.pid}.jsonl`);
  writeFileSync(process.env.FAULTS_REPORT, '');
}
