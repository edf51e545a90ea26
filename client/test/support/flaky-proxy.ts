import { connect, createServer, type Socket } from 'node:net';
import { startService, type RunningService } from './service.js';

/**
 * What the proxy does to the next response it sees, after the service has sent it (so the work is
 * done and committed): `drop` closes the client's connection, as a network failure would;
 * `stall` keeps the connection open and never forwards it, so the client's timeout must fire.
 */
export type ResponseFault = 'drop' | 'stall';

export interface FlakyProxy {
  url: string;
  /** The next response is lost in this way; later ones pass. */
  failNextResponse(fault: ResponseFault): void;
  /** How many responses were lost so far. */
  faultsApplied(): number;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:`targetPort` that loses responses on demand. */
export async function startFlakyProxy(targetPort: number): Promise<FlakyProxy> {
  let armed: ResponseFault | null = null;
  let applied = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined); // the other side's destroy() ends both halves
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const fault = armed;
      if (fault === null) return void client.write(chunk);
      armed = null;
      applied++;
      upstream.pause(); // discard the rest of this response
      if (fault === 'drop') client.destroy();
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    failNextResponse: (fault) => void (armed = fault),
    faultsApplied: () => applied,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The service (see startService) with a FlakyProxy in front of it; `stop` ends both. */
export async function startServiceBehindProxy(): Promise<{
  service: RunningService;
  proxy: FlakyProxy;
  stop(): Promise<void>;
}> {
  const service = await startService();
  const proxy = await startFlakyProxy(Number(new URL(service.baseUrl).port)).catch(
    async (error: unknown) => {
      await service.stop();
      throw error;
    },
  );
  const stop = async () => {
    await proxy.close();
    await service.stop();
  };
  return { service, proxy, stop };
}
