import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface EmbeddedServerProcess {
  url: string;
  /** Fast shutdown of the server, as an operator's `pg_ctl stop` would do. */
  stop(): Promise<void>;
}

/** Starts embedded-server.cli.ts and resolves once the server accepts connections. */
export function spawnEmbeddedServer(
  dataDir: string,
  port?: number,
): Promise<EmbeddedServerProcess> {
  const args = [
    '-r',
    'ts-node/register/transpile-only',
    join(__dirname, 'embedded-server.cli.ts'),
    dataDir,
  ];
  const child = spawn(process.execPath, port ? [...args, String(port)] : args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => {
      const { url } = JSON.parse(chunk.toString()) as { url: string };
      resolve({ url, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.once('exit', (code) =>
      reject(new Error(`embedded server exited with ${code}: ${stderr.trim()}`)),
    );
  });
}
