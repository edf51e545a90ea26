import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/**
 * `pg` comes from the root package: the service under test needs the root's node_modules anyway,
 * and the client package should not carry a database driver.
 */
const rootRequire = createRequire(join(REPO_ROOT, 'package.json'));
const { Client } = rootRequire('pg') as {
  Client: new (config: { connectionString: string }) => PgClient;
};

/**
 * A fresh database on the server `serverUrl` names. It mirrors the root's
 * test/support/test-database.ts, which is CommonJS TypeScript outside the root's build, so this
 * ESM package cannot import it.
 */
export async function createDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `order_client_test_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
