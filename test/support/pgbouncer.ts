import { ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './service-process';
import { traversableTempDir } from './test-database';
import { waitFor } from './wait';

/**
 * `url` through the run's PgBouncer (E2E_PGBOUNCER, set by the global setup of a run through
 * one) back to its server directly, for DATABASE_DIRECT_URL; null for any other URL.
 */
export function directUrlFor(url: string): string | null {
  const [port, serverHost] = process.env.E2E_PGBOUNCER?.split(' ') ?? [];
  const given = new URL(url);
  if (!port || given.port !== port) return null;
  given.host = serverHost;
  return given.toString();
}

/** DATABASE_DIRECT_URL for a service on `url`, when it goes through the run's PgBouncer. */
export const directUrlEnv = (url: string): Record<string, string> => {
  const direct = directUrlFor(url);
  return direct ? { DATABASE_DIRECT_URL: direct } : {};
};

/**
 * Debian's PgBouncer (1.18 on bookworm) in transaction pooling mode in front of a PostgreSQL
 * server, with its defaults otherwise: every database of the server, trust authentication as the
 * server has, room for the suite's many clients.
 */
export class PgBouncer {
  private child: ChildProcess | null = null;
  private readonly dir = traversableTempDir('order-service-pgbouncer-');

  private constructor(
    readonly port: number,
    private readonly server: URL,
    private readonly settings: readonly string[],
  ) {}

  /**
   * Starts one in front of the server `serverUrl` names; `settings` are more lines of its
   * `[pgbouncer]` section (`default_pool_size = 1`).
   */
  static async start(serverUrl: string, settings: readonly string[] = []): Promise<PgBouncer> {
    const bouncer = new PgBouncer(await freePort(), new URL(serverUrl), settings);
    await bouncer.run();
    return bouncer;
  }

  /** `url` (a database on the server) as reached through this PgBouncer. */
  pooled(url: string): string {
    const through = new URL(url);
    through.host = `127.0.0.1:${this.port}`;
    return through.toString();
  }

  /** For the run's other processes: what `directUrlFor` reads. */
  announce(): void {
    process.env.E2E_PGBOUNCER = `${this.port} ${this.server.host}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT'); // PgBouncer's safe shutdown
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run() {
    // Clients are trusted (as the machine's server trusts them); the file's password is the one
    // PgBouncer logs in to the server with (the embedded server's, which wants one).
    const user = decodeURIComponent(this.server.username || 'postgres');
    const password = decodeURIComponent(this.server.password);
    writeFileSync(join(this.dir, 'users.txt'), `"${user}" "${password}"\n`);
    writeFileSync(join(this.dir, 'pgbouncer.ini'), this.config());
    // PgBouncer refuses to run as root: -u drops to the postgres user, as Debian's service does.
    const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
    this.child = spawn('pgbouncer', [...asUser, join(this.dir, 'pgbouncer.ini')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    // Its log goes to stderr: kept short, for the message should it fail to start.
    this.child.stderr!.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)),
    );
    const failed = new Promise<never>((_, reject) =>
      this.child!.once('exit', (code) => reject(new Error(`pgbouncer exited ${code}: ${stderr}`))),
    );
    await Promise.race([waitFor('pgbouncer answering', () => this.answers()), failed]);
  }

  private config(): string {
    return [
      '[databases]',
      `* = host=${this.server.hostname} port=${this.server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${this.port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(this.dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 2000',
      ...this.settings,
      '',
    ].join('\n');
  }

  private async answers(): Promise<boolean> {
    const client = new Client({ connectionString: this.pooled(this.server.toString()) });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
