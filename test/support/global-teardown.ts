import { printTally } from './conformance/tally';

export default async function globalTeardown() {
  printTally();
  await globalThis.testDatabase?.stop();
  await globalThis.testNats?.stop();
  await globalThis.testPgBouncer?.stop();
}
