/** One request and its answer, as a test sent and received it. */
export interface Exchange {
  method: string;
  url: URL;
  /** Lower-case names. */
  requestHeaders: Record<string, string>;
  requestBody: RequestBody;
  status: number;
  /** Lower-case names. */
  responseHeaders: Record<string, string | string[] | undefined>;
  /** The parsed body of a JSON answer; undefined otherwise (binary, streams, no body). */
  responseJson: unknown;
  /** Whether the answer had a body at all. */
  responseHasBody: boolean;
}

export type RequestBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'unparseable-json' }
  | { kind: 'other'; mediaType: string };

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | string[] | undefined): string {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return (value ?? '').split(';')[0].trim().toLowerCase();
}

export const isJsonMediaType = (mediaType: string) =>
  mediaType === 'application/json' || mediaType.endsWith('+json');

/** A request body as sent: JSON parsed, anything else by its media type only. */
export function requestBodyOf(contentType: string | undefined, body: unknown): RequestBody {
  if (body === undefined || body === null || body === '') return { kind: 'none' };
  const mediaType = mediaTypeOf(contentType);
  if (!isJsonMediaType(mediaType)) return { kind: 'other', mediaType };
  // What was sent: JSON.stringify drops undefined members that the object still holds.
  if (typeof body !== 'string' && !Buffer.isBuffer(body))
    return { kind: 'json', value: JSON.parse(JSON.stringify(body)) };
  try {
    return { kind: 'json', value: JSON.parse(body.toString()) };
  } catch {
    return { kind: 'unparseable-json' };
  }
}
