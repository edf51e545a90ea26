import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';
import { waitFor } from './wait';

/** What the balancer answers when no replica can: the service's own 503 shape, retryable. */
const UNAVAILABLE = [
  'HTTP/1.1 503 Service Unavailable',
  'Content-Type: application/problem+json',
  'Retry-After: 1',
  'Cache-Control: no-store',
  'Connection: close',
  '',
  '{"type":"urn:order-service:problem:service_unavailable","title":"Service unavailable","status":503,"code":"service_unavailable","detail":"No replica could answer; retry later."}',
  '',
].join('\r\n');

/**
 * Debian's HAProxy (2.6 on bookworm) in front of service replicas, as production would run it:
 * health checks on /health/ready, a connection a replica refuses tried again on another, and
 * (since every create carries an Idempotency-Key) a request whose replica died before answering
 * sent again to another. What it cannot serve it answers 503 with Retry-After.
 */
export class HaProxy {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'order-service-haproxy-'));

  private constructor(readonly port: number) {}

  static async start(replicaPorts: number[]): Promise<HaProxy> {
    const proxy = new HaProxy(await freePort());
    writeFileSync(join(proxy.dir, 'unavailable.http'), UNAVAILABLE);
    writeFileSync(join(proxy.dir, 'haproxy.cfg'), proxy.config(replicaPorts));
    proxy.child = spawn('haproxy', ['-db', '-f', join(proxy.dir, 'haproxy.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitFor('every replica up behind HAProxy', () => proxy.serves(), { ms: 15_000 });
    return proxy;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async serves(): Promise<boolean> {
    const answer = await fetch(`${this.baseUrl}/health/ready`).catch(() => null);
    return answer?.status === 200;
  }

  private config(replicaPorts: number[]): string {
    const errorfile = join(this.dir, 'unavailable.http');
    return `
global
  maxconn 4096

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  errorfile 502 ${errorfile}
  errorfile 503 ${errorfile}
  errorfile 504 ${errorfile}

frontend api
  bind 127.0.0.1:${this.port}
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk GET /health/ready
  default-server inter 250ms fall 2 rise 2
${replicaPorts.map((port, i) => `  server replica${i + 1} 127.0.0.1:${port} check`).join('\n')}
`;
  }
}
