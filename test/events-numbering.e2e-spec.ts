import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Transactions } from '../src/database/transactions';
import { LockKeys } from '../src/database/advisory-locks';
import { EventsRepository } from '../src/events/events.repository';
import { CloudEvent } from './support/event-stream';
import { metric } from './support/metrics';
import { EVENTS_ORDER as ORDER } from './support/orders';
import { directUrlFor } from './support/pgbouncer';
import { startTestAppOnOwnDatabase } from './support/test-app';
import { signUpAndIn } from './support/users';
import { waitFor } from './support/wait';

/**
 * A test app on a database of its own, and a connection that can hold its sequencer off: the
 * sequencer's lock is per database, and it is held on a direct connection, since through a
 * transaction pooler the session that holds it could be the service's next.
 */
async function appWithSequencerHolder() {
  const app = await startTestAppOnOwnDatabase();
  const holder = new Client({ connectionString: directUrlFor(app.databaseUrl) ?? app.databaseUrl });
  await holder.connect().catch(async (error: Error) => {
    await app.close();
    throw error;
  });
  const lock = (fn: string) => holder.query(`SELECT ${fn}($1)`, [LockKeys.eventNumbering]);
  return {
    app,
    holdSequencer: () => lock('pg_advisory_lock'),
    releaseSequencer: () => lock('pg_advisory_unlock'),
    close: async () => {
      await holder.end();
      await app.close();
    },
  };
}

describe('events: how far numbering is behind (/metrics)', () => {
  const AGE = 'events_oldest_unsequenced_age_seconds';

  it('shows the age of the oldest event not numbered yet: growing while no sequencer can run, 0 after', async () => {
    const { app, ...sequencer } = await appWithSequencerHolder();
    try {
      const ann = await signUpAndIn(app, 'Ann');
      await waitFor('the sign-up numbered', async () => (await metric(app, AGE)) === 0);
      await sequencer.holdSequencer();
      await app.http
        .post('/api/orders')
        .set(ann.auth)
        .set('Idempotency-Key', randomUUID())
        .send(ORDER)
        .expect(201);
      await waitFor('the order event over a second old', async () => (await metric(app, AGE)) > 1);
      await sequencer.releaseSequencer();
      await waitFor('the order event numbered', async () => (await metric(app, AGE)) === 0);
    } finally {
      await sequencer.close();
    }
  });
});

describe("events: one resource's changes in the order they committed", () => {
  it('numbers a change written after another committed after it, though its transaction began first', async () => {
    const { app, ...sequencer } = await appWithSequencerHolder();
    try {
      const ann = await signUpAndIn(app, 'Ann');
      const feed = () => app.http.get('/api/events').set(ann.auth).expect(200);
      await waitFor('the sign-up numbered', async () => (await feed()).body.data.length === 1);
      await sequencer.holdSequencer(); // both events wait for one batch
      const transactions = app.nest.get(Transactions);
      const events = app.nest.get(EventsRepository);
      const subject = randomUUID();
      const change = (type: 'file.ready' | 'file.deleted') => ({
        type,
        owner: ann.id,
        subject,
        data: JSON.stringify({ type }),
      });
      // The delete's transaction begins, then waits (as for the file's row lock) while the image
      // job's transaction begins, writes file.ready and commits; then the delete writes its event.
      let begun!: () => void;
      const deleteBegun = new Promise<void>((resolve) => (begun = resolve));
      let proceed!: () => void;
      const readyCommitted = new Promise<void>((resolve) => (proceed = resolve));
      const deleted = transactions.run(async (tx) => {
        begun();
        await readyCommitted;
        await events.append(tx, change('file.deleted'));
      });
      await deleteBegun;
      await transactions.run((tx) => events.append(tx, change('file.ready')));
      proceed();
      await deleted;
      await sequencer.releaseSequencer();
      const numbered = await waitFor('both numbered', async () => {
        const { data } = (await feed()).body as { data: CloudEvent[] };
        return data.length === 3 && data;
      });
      expect(numbered.map((event) => event.type)).toEqual([
        'user.created',
        'file.ready',
        'file.deleted',
      ]);
    } finally {
      await sequencer.close();
    }
  });
});
