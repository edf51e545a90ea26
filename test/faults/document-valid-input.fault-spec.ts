import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { exchangeOf, mismatchesOf } from '../support/conformance/recorder';
import { startTestAppOnOwnDatabase, TestApp } from '../support/test-app';
import { signUpAndIn, SignedUpUser } from '../support/users';
import { report } from './support/report';

/** The other side of bad-input.fault-spec.ts: what openapi.json accepts, the service must take. */
describe('document-valid input (property-based)', () => {
  let app: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    app = await startTestAppOnOwnDatabase({ AUTH_RATE_LIMIT: '0' });
    user = await signUpAndIn(app);
  });
  afterAll(() => app.close());

  it('creates every generated order that openapi.json accepts: never a 400 it does not state', async () => {
    const visibleAscii = (maxLength: number) =>
      fc.string({
        unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
        minLength: 1,
        maxLength,
      });
    const order = fc.record(
      {
        currency: fc.constantFrom('EUR', 'USD', 'JPY', 'XAU', 'CHW'),
        items: fc.array(
          fc.record({
            sku: visibleAscii(64),
            quantity: fc.integer({ min: 1, max: 10_000 }),
            unitPrice: fc.integer({ min: 0, max: 1_000_000_000 }),
          }),
          { minLength: 1, maxLength: 100 },
        ),
        clientReference: visibleAscii(128),
        note: fc
          .string({ unit: 'grapheme', maxLength: 1000 })
          .filter((note) => !note.includes('\u0000')),
      },
      { requiredKeys: ['currency', 'items'] },
    );
    const disagreements: string[] = [];
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(order, async (body) => {
        const sent = app.http
          .post('/api/orders')
          .set(user.auth)
          .set('Idempotency-Key', randomUUID())
          .send(body);
        const response = await sent;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        // 409: a generated clientReference that an earlier run drew already, as the document says.
        expect([201, 409]).toContain(response.status);
        disagreements.push(...(mismatchesOf(exchangeOf(sent, response)) ?? []));
      }),
      { numRuns: 200, seed: Number(process.env.FAST_CHECK_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(disagreements).toEqual([]);
    report({
      scenario: 'document-valid orders, property-based (fast-check)',
      requests: 200,
      duplicates: '-',
      lost: '-',
      fiveHundreds: 0,
      note: [...statuses].map(([status, count]) => `${count} x ${status}`).join(', '),
    });
  });
});
