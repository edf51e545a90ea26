import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'supertest';
import { type Exchange, isJsonMediaType, mediaTypeOf, requestBodyOf } from './exchange';
import { OpenApiJudge } from './openapi-judge';
import { loadDocument } from './openapi-schemas';

let judge: OpenApiJudge | undefined;
const tally = { judged: 0, outside: 0 };
let mismatches: string[] = [];

/** How `exchange` and openapi.json disagree; null when the document does not describe its route. */
export function mismatchesOf(exchange: Exchange): string[] | null {
  judge ??= new OpenApiJudge(loadDocument() as ConstructorParameters<typeof OpenApiJudge>[0]);
  const route = judge.operationOf(exchange);
  return route ? judge.mismatches(route, exchange) : null;
}

/** Judges one exchange against openapi.json; what the document does not describe is only counted. */
export function record(exchange: Exchange) {
  const found = mismatchesOf(exchange);
  if (found === null) {
    tally.outside++;
    return;
  }
  tally.judged++;
  mismatches.push(...found);
}

/** The mismatches recorded since the last call. */
export function takeMismatches(): string[] {
  const taken = mismatches;
  mismatches = [];
  return taken;
}

/** Adds this test file's counts to the run's tally (global-teardown sums and prints them). */
export function saveTally(directory: string) {
  appendFileSync(join(directory, 'tally.jsonl'), `${JSON.stringify(tally)}\n`);
}

type Agent = Record<string, (...args: unknown[]) => Test>;
const METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'head', 'options']);

/** A supertest agent whose every exchange is recorded. */
export function recordingAgent<T extends object>(agent: T): T {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.has(property)) return value;
      return (...args: unknown[]) => {
        const test = (target as Agent)[property](...args);
        test.on('response', (response) => guarded(() => record(exchangeOf(test, response))));
        return test;
      };
    },
  });
}

/** A fetch whose every exchange is recorded (a JSON answer is read from a clone). */
export function recordingFetch(original: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await original(input, init);
    await guardedAsync(async () => record(await fromFetch(input, init, response)));
    return response;
  };
}

function guarded(action: () => void) {
  try {
    action();
  } catch (error) {
    mismatches.push(`the conformance check failed: ${(error as Error).stack}`);
  }
}

async function guardedAsync(action: () => Promise<void>) {
  try {
    await action();
  } catch (error) {
    mismatches.push(`the conformance check failed: ${(error as Error).stack}`);
  }
}

type SentTest = Test & { _header: Record<string, string>; _data?: unknown; _formData?: unknown };
type Received = { status: number; headers: Record<string, string>; body: unknown; text?: string };

/** A supertest request and its answer as an exchange. */
export function exchangeOf(test: Test, response: Received): Exchange {
  const sent = test as SentTest;
  const contentType = response.headers['content-type'];
  return {
    method: sent.method,
    url: new URL(sent.url),
    requestHeaders: sent._header,
    requestBody: sent._formData
      ? { kind: 'other', mediaType: 'multipart/form-data' }
      : requestBodyOf(sent._header['content-type'], sent._data),
    status: response.status,
    responseHeaders: response.headers,
    responseJson: isJsonMediaType(mediaTypeOf(contentType)) ? response.body : undefined,
    responseHasBody: hasBody(response.status, response.headers),
  };
}

function hasBody(status: number, headers: Record<string, string | undefined>): boolean {
  if (status === 204 || status === 304) return false;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

async function fromFetch(
  input: Parameters<typeof fetch>[0],
  init: Parameters<typeof fetch>[1],
  response: Response,
): Promise<Exchange> {
  const request = input instanceof Request ? input : undefined;
  const headers = new Headers(init?.headers ?? request?.headers);
  const body = init?.body;
  const responseHeaders = Object.fromEntries(response.headers);
  const json = isJsonMediaType(mediaTypeOf(responseHeaders['content-type']));
  return {
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    url: new URL(request?.url ?? (input as string | URL).toString()),
    requestHeaders: Object.fromEntries(headers),
    requestBody:
      body instanceof FormData
        ? { kind: 'other', mediaType: 'multipart/form-data' }
        : requestBodyOf(headers.get('content-type') ?? undefined, body ?? undefined),
    status: response.status,
    responseHeaders,
    responseJson: json
      ? await response
          .clone()
          .json()
          .catch(() => undefined)
      : undefined,
    responseHasBody: response.body !== null && response.status !== 204 && response.status !== 304,
  };
}
