import { recordingFetch, saveTally, takeMismatches } from './recorder';

/**
 * Every e2e test file: each exchange its tests make through supertest (test-app.ts) or fetch is
 * judged against openapi.json, and a test whose exchanges disagree with the document fails.
 */
globalThis.fetch = recordingFetch(globalThis.fetch);

function failOnMismatches() {
  const found = takeMismatches();
  if (found.length > 0)
    throw new Error(`The service and openapi.json disagree:\n- ${found.join('\n- ')}`);
}

afterEach(failOnMismatches);
afterAll(() => {
  if (process.env.E2E_CONFORMANCE_DIR) saveTally(process.env.E2E_CONFORMANCE_DIR);
  failOnMismatches();
});
