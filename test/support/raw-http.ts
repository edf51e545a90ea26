import { connect } from 'node:net';
import type { TestApp } from './test-app';

/** Sends raw bytes and returns the whole answer: for requests supertest cannot make. */
export function rawExchange(app: TestApp, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(Number(new URL(app.baseUrl).port), '127.0.0.1', () =>
      socket.write(request),
    );
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** A header of a raw answer, by name. */
export const headerOf = (answer: string, name: string) =>
  new RegExp(`^${name}: (.+)$`, 'im').exec(answer.split('\r\n\r\n')[0])?.[1]?.trim();
