export default async function globalTeardown() {
  await globalThis.testDatabase?.stop();
  await globalThis.testNats?.stop();
  await globalThis.testPgBouncer?.stop();
}
