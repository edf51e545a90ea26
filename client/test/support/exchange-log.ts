import { appendFileSync } from 'node:fs';

/**
 * With CONFORMANCE_LOG set (by `.ci/run`), every request these tests send with the global fetch,
 * and its answer, is appended to that file as one JSON line; the root's
 * `npm run conformance:judge` then judges each against openapi.json, as the e2e suite's are.
 */
const log = process.env.CONFORMANCE_LOG;
if (log) globalThis.fetch = loggingFetch(globalThis.fetch, log);

function loggingFetch(original: typeof fetch, file: string): typeof fetch {
  return async (input, init) => {
    // A copy to read: the Request the caller passes must reach fetch unread.
    const request = new Request(input instanceof Request ? input.clone() : input, init);
    const sentBody = await bodyOf(request.clone());
    const response = await original(input, init);
    const contentType = response.headers.get('content-type') ?? '';
    const json = /^application\/([\w.+-]*\+)?json/.test(contentType);
    const exchange = {
      method: request.method,
      url: request.url,
      requestHeaders: Object.fromEntries(request.headers),
      requestBody: sentBody,
      status: response.status,
      responseHeaders: Object.fromEntries(response.headers),
      responseJson: json
        ? await response
            .clone()
            .json()
            .catch(() => undefined)
        : undefined,
      responseHasBody: response.body !== null && response.status !== 204 && response.status !== 304,
    };
    appendFileSync(file, `${JSON.stringify(exchange)}\n`);
    return response;
  };
}

/** The request body as the judge takes it: JSON parsed, anything else by its media type. */
async function bodyOf(request: Request) {
  if (request.body === null) return { kind: 'none' };
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (mediaType !== 'application/json') return { kind: 'other', mediaType };
  const text = await request.text();
  if (text === '') return { kind: 'none' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'unparseable-json' };
  }
}
