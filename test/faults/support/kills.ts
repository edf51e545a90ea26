import { Client } from 'pg';
import { waitFor } from '../../support/wait';
import { Answer, createOrder, createWithRetries } from './orders-client';

export interface Killable {
  child: { kill(signal: NodeJS.Signals): boolean };
  exited: Promise<number | null>;
  port: number;
  baseUrl: string;
}

/** How long a client retries one key before it gives it up and goes on with a new one. */
const KEY_DEADLINE_MS = 5_000;

/**
 * Clients that create orders, each retrying its key (every 50-100 ms, as `createWithRetries`) for
 * up to 5 s before giving it up, while the process is killed with SIGKILL `kills` times (each time
 * once a create got confirmed by the process then running) and restarted on the same port
 * (`live.process` is the one running, for the caller to stop). Every
 * order carries its key as its clientReference, so an audit finds a key's orders in any stack.
 */
export async function retriesThroughKills(
  live: { process: Killable },
  restart: (port: number) => Promise<Killable>,
  token: string,
  kills: number,
) {
  const port = live.process.port;
  const answers: Answer[] = [];
  const confirmed = new Map<string, string>();
  const givenUp: string[] = [];
  let clientsRunning = true;
  const client = async () => {
    while (clientsRunning) {
      const deadline = Date.now() + KEY_DEADLINE_MS;
      const target = () => `http://127.0.0.1:${port}`;
      const { key, order } = await createWithRetries(target, token, deadline, answers, true);
      if (order) confirmed.set(key, order);
      else givenUp.push(key);
    }
  };
  const moreConfirmed = async (since: string) => {
    const before = confirmed.size;
    await waitFor(`a create confirmed ${since}`, () => confirmed.size > before, { ms: 20_000 });
  };
  const clients = Array.from({ length: 4 }, client);
  try {
    for (let kill = 0; kill < kills; kill++) {
      await moreConfirmed('by the process now running'); // killed under load
      live.process.child.kill('SIGKILL');
      await live.process.exited;
      live.process = await restart(port);
    }
    await moreConfirmed('after the last restart');
  } finally {
    clientsRunning = false;
    await Promise.all(clients);
  }
  return { answers, confirmed, givenUp };
}

/**
 * Keys left stuck: keys the clients gave up on (no 201 within 5 s of retries) whose retry, sent
 * once more after the clients stopped, to the process running after the last restart, still
 * answers 409 (in progress). Such a key stays unusable until its record expires.
 */
export async function stuckKeys(baseUrl: string, token: string, givenUp: string[]) {
  const answers = await Promise.all(
    givenUp.map((key) => createOrder(baseUrl, token, key, 15_000, true)),
  );
  return givenUp.filter((_, i) => answers[i].status === 409);
}

/**
 * Orders found by reference (each order carries its key): duplicates, orders beyond one per
 * key; lost, confirmed keys whose confirmed order is not there; of the stuck keys, those with no
 * order behind them. `ordersSql` lists a user's orders as (id, reference).
 */
export async function auditByReference(
  databaseUrl: string,
  ordersSql: string,
  userId: string,
  confirmed: Map<string, string>,
  stuck: string[],
) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; reference: string }>(ordersSql, [userId]);
    const byReference = new Map<string, string[]>();
    for (const row of rows)
      byReference.set(row.reference, [...(byReference.get(row.reference) ?? []), row.id]);
    const duplicates = [...byReference.values()].reduce((sum, ids) => sum + ids.length - 1, 0);
    const lost = [...confirmed].filter(([key, id]) => !byReference.get(key)?.includes(id)).length;
    const stuckWithoutOrder = stuck.filter((key) => !byReference.has(key)).length;
    return { orders: rows.length, duplicates, lost, stuck: stuck.length, stuckWithoutOrder };
  } finally {
    await db.end();
  }
}
