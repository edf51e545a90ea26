import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import {
  createIdempotently,
  jsonOrUndefined,
  type CreateOptions,
  type Created,
  type CreateSettings,
  type SendAttempt,
} from './idempotent-create.js';
import { type EventStreamOptions, type StreamedEvent, streamEvents } from './event-stream.js';
import { followExport, type OrderExport } from './export-monitor.js';
import { eachItem } from './pages.js';
import { ApiError } from './problem.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import type { components, paths } from './schema.js';

type Schemas = components['schemas'];
export type NewUser = Schemas['CreateUserDto'];
export type User = Schemas['UserResponse'];
export type Credentials = Schemas['SignInDto'];
export type AccessToken = Schemas['TokenResponse'];
export type NewOrder = Schemas['CreateOrderDto'];
export type Order = Schemas['OrderResponse'];
export type OrderPage = Schemas['OrderPageResponse'];
export type StoredFile = Schemas['FileResponse'];
export type FilePage = Schemas['FilePageResponse'];
export type FileLinks = Schemas['FileLinksResponse'];
export type EventStreamLink = Schemas['EventStreamLinkResponse'];
export type OrderExportPage = Schemas['OrderExportPageResponse'];
/** Which page of a list: at most `limit` items (default 20), after the `nextCursor` given as `cursor`. */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}
/**
 * A page of orders: all of them, or those with a `status`, created from `createdFrom` to
 * `createdTo`; or the one with a `clientReference`.
 */
export type OrderListRequest = NonNullable<paths['/api/orders']['get']['parameters']['query']>;
/** What to export; `format` defaults to `csv`, the only one. */
export type OrderExportRequest = Omit<Schemas['CreateOrderExportDto'], 'format'> & {
  format?: Schemas['CreateOrderExportDto']['format'];
};

export interface OrderServiceClientOptions {
  /** Where the service is, e.g. `https://api.example.com`; the API's paths already start with /api. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer ...`; `signIn` sets it too. */
  accessToken?: string;
  /** Replaces the global fetch (tests, instrumentation). */
  fetch?: (request: Request) => Promise<Response>;
  /** How creates are retried; see RetryPolicy for the defaults. */
  retry?: Partial<RetryPolicy>;
  /** Per attempt of every create, unless a call says otherwise. Default 30 s. */
  timeoutMs?: number;
}

/**
 * The order service's typed client. Creates (`signUp`, `createOrder`, `uploadFile`) are
 * exactly-once: one Idempotency-Key per call, re-sent on every retry. Anything else the API offers
 * is on `raw`, the underlying openapi-fetch client, typed from openapi.json.
 */
export class OrderServiceClient {
  readonly raw: Client<paths>;
  private accessToken: string | undefined;
  private readonly settings: CreateSettings;
  private readonly fetch: (request: Request) => Promise<Response>;
  private readonly baseUrl: string;

  constructor(options: OrderServiceClientOptions) {
    this.accessToken = options.accessToken;
    this.fetch = options.fetch ?? ((request) => globalThis.fetch(request));
    this.baseUrl = options.baseUrl;
    this.settings = {
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    this.raw = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
    this.raw.use({
      onRequest: ({ request }) => {
        if (this.accessToken) request.headers.set('Authorization', `Bearer ${this.accessToken}`);
        return request;
      },
    });
  }

  setAccessToken(accessToken: string | undefined): void {
    this.accessToken = accessToken;
  }

  async signUp(user: NewUser, options?: CreateOptions): Promise<Created<User>> {
    const body = asSent(user);
    return this.create<User>(
      (header, signal) =>
        this.raw.POST('/api/users', { body, params: { header }, signal, parseAs: 'text' }),
      options,
    );
  }

  /** Signs in and uses the token for every later request of this client. */
  async signIn(credentials: Credentials): Promise<AccessToken> {
    const token = expectData<AccessToken>(
      await this.raw.POST('/api/auth/token', { body: credentials, parseAs: 'text' }),
    );
    this.accessToken = token.accessToken;
    return token;
  }

  /** The signed-in user (`GET /api/users/me`): after `signIn`, the token is all a client holds. */
  async getMe(): Promise<{ data: User; etag: string | null }> {
    return withEtag<User>(await this.raw.GET('/api/users/me', { parseAs: 'text' }));
  }

  async createOrder(order: NewOrder, options?: CreateOptions): Promise<Created<Order>> {
    const body = asSent(order);
    return this.create<Order>(
      (header, signal) =>
        this.raw.POST('/api/orders', { body, params: { header }, signal, parseAs: 'text' }),
      options,
    );
  }

  /** Uploads one file as the multipart part `file`; a retry re-sends the same bytes. */
  uploadFile(file: Blob, filename?: string, options?: CreateOptions): Promise<Created<StoredFile>> {
    const form = new FormData();
    form.append('file', file, filename ?? (file instanceof File ? file.name : 'upload'));
    // openapi-typescript types `format: binary` as a string; openapi-fetch sends a FormData as is.
    const body = form as unknown as { file: string };
    return this.create<StoredFile>(
      (header, signal) =>
        this.raw.POST('/api/files', { body, params: { header }, signal, parseAs: 'text' }),
      options,
    );
  }

  async getOrder(id: string): Promise<{ data: Order; etag: string | null }> {
    return withEtag<Order>(
      await this.raw.GET('/api/orders/{id}', { params: { path: { id } }, parseAs: 'text' }),
    );
  }

  /**
   * The caller's orders, newest first, all or those a filter names (as `exportOrders` takes it);
   * pass `nextCursor` back as `cursor`, with the same filter, for the next page.
   */
  async listOrders(page: OrderListRequest = {}): Promise<OrderPage> {
    return expectData<OrderPage>(
      await this.raw.GET('/api/orders', { params: { query: page }, parseAs: 'text' }),
    );
  }

  /** The caller's files (uploads and exports' CSVs), newest first, a page as `listOrders`. */
  async listFiles(page: PageRequest = {}): Promise<FilePage> {
    return expectData<FilePage>(
      await this.raw.GET('/api/files', { params: { query: page }, parseAs: 'text' }),
    );
  }

  /**
   * URLs of a file's bytes and thumbnail that open without a token until `expiresAt` (for
   * `<img src>` or a download link), absolute against `baseUrl`; `expiresIn` in seconds, 60 s to a
   * week (an hour when left out). Anyone holding one can read the file until then.
   */
  async fileLinks(id: string, options: { expiresIn?: number } = {}): Promise<FileLinks> {
    const links = expectData<FileLinks>(
      await this.raw.GET('/api/files/{id}/links', {
        params: { path: { id }, query: options },
        parseAs: 'text',
      }),
    );
    return {
      ...links,
      url: this.absolute(links.url),
      thumbnailUrl: links.thumbnailUrl === null ? null : this.absolute(links.thumbnailUrl),
    };
  }

  /** A URL the service gave relative to its root, under `baseUrl` (its path prefix kept). */
  private absolute(url: string): string {
    return url.startsWith('/') ? `${this.baseUrl}${url}` : url;
  }

  /** The caller's exports, newest first, each with its CSV's file once done; a page as `listOrders`. */
  async listOrderExports(page: PageRequest = {}): Promise<OrderExportPage> {
    return expectData<OrderExportPage>(
      await this.raw.GET('/api/order-exports', { params: { query: page }, parseAs: 'text' }),
    );
  }

  /**
   * Every order of the caller's, or those a filter names, newest first, page after page (`limit`
   * is the page's size): `for await (const order of client.eachOrder({ status: 'pending' }))`.
   * A page is read only once the one before is used up; a failed read rejects the loop.
   */
  eachOrder(filter: Omit<OrderListRequest, 'cursor'> = {}): AsyncGenerator<Order, void, undefined> {
    return eachItem((cursor) => this.listOrders({ ...filter, cursor }));
  }

  /** Every file of the caller's, newest first, as `eachOrder` reads orders. */
  eachFile(page: Omit<PageRequest, 'cursor'> = {}): AsyncGenerator<StoredFile, void, undefined> {
    return eachItem((cursor) => this.listFiles({ ...page, cursor }));
  }

  /** Every export of the caller's, newest first, as `eachOrder` reads orders. */
  eachOrderExport(
    page: Omit<PageRequest, 'cursor'> = {},
  ): AsyncGenerator<OrderExport, void, undefined> {
    return eachItem((cursor) => this.listOrderExports({ ...page, cursor }));
  }

  /**
   * Exports the caller's orders (all, or those `filter` names) as CSV: an exactly-once create
   * answered 202, then its status monitor (`Location`) read after every `Retry-After` until the
   * export has succeeded, which it resolves to (`file.url` is the CSV, a file of the caller's), or
   * failed, which rejects with an ExportFailedError. `options` apply to the create and each read.
   */
  async exportOrders(
    filter: OrderExportRequest = {},
    options: CreateOptions = {},
  ): Promise<OrderExport> {
    const body = asSent({ format: 'csv' as const, ...filter });
    const accepted = await this.create<OrderExport>(
      (header, signal) =>
        this.raw.POST('/api/order-exports', { body, params: { header }, signal, parseAs: 'text' }),
      options,
    );
    // Location resolves against the request's URL (it is relative unless PUBLIC_BASE_URL is set);
    // it is null only where a browser's CORS setup hides it, and the monitor is the export's URL.
    const request = `${this.baseUrl}/api/order-exports/`;
    const monitor = new URL(accepted.location ?? accepted.data.id, request).href;
    const settings = {
      retry: this.settings.retry,
      timeoutMs: options.timeoutMs ?? this.settings.timeoutMs,
      signal: options.signal,
    };
    const poll = (signal: AbortSignal) =>
      this.fetch(new Request(monitor, { headers: this.authorization(), signal }));
    return followExport(poll, accepted.retryAfterMs, settings);
  }

  /**
   * The event stream's URL that opens without a token, absolute against `baseUrl`, for the
   * browser's own `new EventSource(streamUrl)`; it lasts as long as the access token in use now.
   * `events()` needs none of this.
   */
  async eventStreamLink(): Promise<EventStreamLink> {
    const link = expectData<EventStreamLink>(
      await this.raw.GET('/api/events/stream/link', { parseAs: 'text' }),
    );
    return { ...link, streamUrl: this.absolute(link.streamUrl) };
  }

  /**
   * The caller's events as they commit (GET /api/events/stream), for as long as the loop runs:
   * `for await (const { event, cursor } of client.events({ signal }))`. A dropped connection is
   * reopened with Last-Event-ID after a backoff, so nothing is lost and nothing repeats; keep the
   * last `cursor` to resume there later (`after`). Built on fetch, since EventSource cannot send
   * the Bearer token.
   */
  events(options: EventStreamOptions = {}): AsyncGenerator<StreamedEvent, void, undefined> {
    const url = `${this.baseUrl}/api/events/stream`;
    return streamEvents((lastEventId, signal) => {
      const headers: Record<string, string> = {
        Accept: 'text/event-stream',
        ...this.authorization(),
      };
      if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
      return this.fetch(new Request(url, { headers, signal }));
    }, options);
  }

  private authorization(): Record<string, string> {
    return this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {};
  }

  private create<T>(send: SendAttempt, options: CreateOptions = {}): Promise<Created<T>> {
    return createIdempotently<T>(send, options, this.settings);
  }
}

/**
 * A create's body as it goes on the wire, taken when the call is made: every attempt sends that,
 * whatever the caller changes in the object meanwhile (a form's draft still being edited), or a
 * retry would reach the service as another request under the same key (422) after the first had
 * created the resource. JSON, not structuredClone: a reactive store's Proxy, a function or a
 * `toJSON` go as JSON.stringify takes them, and a body JSON cannot carry (a BigInt, a cycle)
 * rejects the call before anything is sent.
 */
function asSent<T>(body: T): T {
  return JSON.parse(JSON.stringify(body)) as T;
}

/** A read of one resource: its JSON object (as `expectData`) and the ETag it came with. */
function withEtag<T>(result: { data?: string; error?: unknown; response: Response }) {
  return { data: expectData<T>(result), etag: result.response.headers.get('ETag') };
}

/**
 * The JSON object of a 2xx (read as text), or an ApiError: carrying the problem, or
 * `unexpected_response` for a 2xx that is no JSON object (a captive portal's page, say).
 */
function expectData<T>(result: { data?: string; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  const body = jsonOrUndefined(result.data);
  if (typeof body !== 'object' || body === null) throw new ApiError(result.response.status, body);
  return body as T;
}
