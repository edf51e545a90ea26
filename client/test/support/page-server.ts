import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { CLIENT_ROOT } from './paths.js';

export interface PageServer {
  /** The origin the service allows (CORS_ORIGINS). */
  allowedOrigin: string;
  /** The same pages on another port: another origin, which the service does not allow. */
  otherOrigin: string;
  close(): Promise<void>;
}

const PAGE = join(CLIENT_ROOT, 'test', 'browser', 'index.html');
/** What a page may load: the built client and test scenario, and its dependencies' plain ESM builds. */
const SERVED = [
  '/dist/',
  '/node_modules/openapi-fetch/dist/',
  '/node_modules/eventsource-parser/dist/',
];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/** Serves the test page and the modules it imports, from two ports (two origins), no bundler. */
export async function startPageServer(): Promise<PageServer> {
  const servers = [createServer(servePage), createServer(servePage)];
  const [allowedOrigin, otherOrigin] = await Promise.all(servers.map(listen));
  return {
    allowedOrigin: allowedOrigin!,
    otherOrigin: otherOrigin!,
    close: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve(`http://127.0.0.1:${port}`);
    }),
  );
}

function servePage(request: IncomingMessage, response: ServerResponse): void {
  const path = normalize(new URL(request.url ?? '/', 'http://page').pathname);
  const file =
    path === '/'
      ? PAGE
      : SERVED.some((prefix) => path.startsWith(prefix))
        ? join(CLIENT_ROOT, path)
        : null;
  if (!file) return void response.writeHead(404).end();
  readFile(file).then(
    (bytes) =>
      response
        .writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
        .end(bytes),
    () => response.writeHead(404).end(),
  );
}
