/** One request that went out through a RecordingFetch, and how it ended. */
export interface Sent {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: string;
  /** The HTTP status, or the name of the error fetch threw (TypeError, TimeoutError). */
  outcome: number | string;
  /** The problem's `code` of a non-2xx answer. */
  problemCode?: string;
}

export type FetchLike = (request: Request) => Promise<Response>;

/** Wraps a fetch (the global one by default) and keeps a log of what was sent and what came back. */
export function recordingFetch(inner: FetchLike = (request) => fetch(request)) {
  const sent: Sent[] = [];
  const recorded: FetchLike = async (request) => {
    const entry: Sent = {
      method: request.method,
      path: new URL(request.url).pathname,
      idempotencyKey: request.headers.get('Idempotency-Key'),
      body: await request.clone().text(),
      outcome: 'pending',
    };
    sent.push(entry);
    try {
      const response = await inner(request);
      entry.outcome = response.status;
      if (!response.ok) entry.problemCode = await problemCode(response.clone());
      return response;
    } catch (error) {
      entry.outcome = (error as Error).name;
      throw error;
    }
  };
  return { fetch: recorded, sent };
}

/** A fetch that answers the first `count` requests itself with `answer()`, then passes them on. */
export function failingFirst(count: number, answer: () => Response, inner: FetchLike): FetchLike {
  let left = count;
  return (request) => {
    if (left === 0) return inner(request);
    left--;
    return Promise.resolve(answer());
  };
}

/** A problem+json answer as the service sends it for a database outage. */
export function serviceUnavailable(retryAfterSeconds: number): Response {
  return problemAnswer(503, 'service_unavailable', 'Service unavailable', retryAfterSeconds);
}

/** The service's answer to a duplicate that arrives while the first request holds the key. */
export function keyInUse(retryAfterSeconds: number): Response {
  return problemAnswer(409, 'idempotency_key_in_use', 'Idempotency-Key in use', retryAfterSeconds);
}

function problemAnswer(status: number, code: string, title: string, retryAfterSeconds: number) {
  const problem = { type: `urn:order-service:problem:${code}`, title, status, code };
  return new Response(JSON.stringify(problem), {
    status,
    headers: {
      'Content-Type': 'application/problem+json',
      'Retry-After': String(retryAfterSeconds),
    },
  });
}

async function problemCode(response: Response): Promise<string | undefined> {
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return body.code;
}
