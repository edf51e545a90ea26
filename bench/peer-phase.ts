import { compare, Target } from './measure';
import { Fixture, ORDER } from './fixture';
import { peerPrefix } from '../test/support/peer-process';
import { Redis } from '../test/support/redis';
import { Process, startPeer } from './processes';
import { BenchReport } from './report';

const CONNECTIONS = [10, 50];

/** The peer's own replay pool: the fixture's keys, each created there once. */
async function seed(peer: Process, f: Fixture) {
  const create = async (key: string) => {
    const response = await fetch(`${peer.baseUrl}/api/orders`, {
      method: 'POST',
      headers: { ...f.auth, 'Idempotency-Key': key },
      body: ORDER,
    });
    if (response.status !== 201) throw new Error(`the peer answered ${response.status}`);
  };
  for (let at = 0; at < f.replayKeys.length; at += 20)
    await Promise.all(f.replayKeys.slice(at, at + 20).map(create));
}

/**
 * `peer`: the service against the stack teams build instead (bench/peer), on the same database and
 * the same token, alternated in one run: creates with fresh keys, and retries of keys completed
 * before (the service's from memory, its replica's from the table, the peer's from Redis).
 */
export async function measurePeer(
  databaseUrl: string,
  report: BenchReport,
  f: Fixture,
  w: { create: Target; replay: Target; replayFromDatabase: Target },
) {
  const prefix = peerPrefix('bench');
  const peer = await startPeer(databaseUrl, prefix);
  const redis = await Redis.open();
  try {
    await seed(peer, f);
    const orders = `${peer.baseUrl}/api/orders`;
    const base = { url: orders, method: 'POST' as const, body: ORDER, headers: f.auth };
    const create: Target = { ...base, name: 'peer create', key: 'unique', pid: peer.child.pid };
    const replay: Target = { ...base, name: 'peer replay', key: f.replayKeys, pid: peer.child.pid };
    for (const connections of CONNECTIONS) {
      const created = await compare([w.create, create], connections);
      report.add('create vs peer', connections, created, { 'peer create': 3 });
      const replays = await compare([w.replay, w.replayFromDatabase, replay], connections);
      const { [w.replayFromDatabase.name]: fromTable, ...repeated } = replays;
      report.add('replay (repeated) vs peer', connections, repeated, { 'peer replay': 3 });
      report.add(
        'replay (reads the table) vs peer',
        connections,
        { [w.replayFromDatabase.name]: fromTable, 'peer replay': replays['peer replay'] },
        { 'peer replay': 3 },
      );
    }
  } finally {
    await peer.stop();
    await redis.deletePrefix(prefix);
    redis.close();
  }
}
