import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import {
  createIdempotently,
  type CreateOptions,
  type Created,
  type CreateSettings,
  type SendAttempt,
} from './idempotent-create.js';
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

  constructor(options: OrderServiceClientOptions) {
    this.accessToken = options.accessToken;
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

  signUp(user: NewUser, options?: CreateOptions): Promise<Created<User>> {
    return this.create(
      (header, signal) => this.raw.POST('/api/users', { body: user, params: { header }, signal }),
      options,
    );
  }

  /** Signs in and uses the token for every later request of this client. */
  async signIn(credentials: Credentials): Promise<AccessToken> {
    const token = expectData(await this.raw.POST('/api/auth/token', { body: credentials }));
    this.accessToken = token.accessToken;
    return token;
  }

  createOrder(order: NewOrder, options?: CreateOptions): Promise<Created<Order>> {
    return this.create(
      (header, signal) => this.raw.POST('/api/orders', { body: order, params: { header }, signal }),
      options,
    );
  }

  /** Uploads one file as the multipart part `file`; a retry re-sends the same bytes. */
  uploadFile(file: Blob, filename?: string, options?: CreateOptions): Promise<Created<StoredFile>> {
    const form = new FormData();
    form.append('file', file, filename ?? (file instanceof File ? file.name : 'upload'));
    // openapi-typescript types `format: binary` as a string; openapi-fetch sends a FormData as is.
    const body = form as unknown as { file: string };
    return this.create(
      (header, signal) => this.raw.POST('/api/files', { body, params: { header }, signal }),
      options,
    );
  }

  async getOrder(id: string): Promise<{ data: Order; etag: string | null }> {
    const result = await this.raw.GET('/api/orders/{id}', { params: { path: { id } } });
    return { data: expectData(result), etag: result.response.headers.get('ETag') };
  }

  /** The caller's orders, newest first; pass `nextCursor` back as `cursor` for the next page. */
  async listOrders(page: { limit?: number; cursor?: string } = {}): Promise<OrderPage> {
    return expectData(await this.raw.GET('/api/orders', { params: { query: page } }));
  }

  private create<T>(send: SendAttempt<T>, options: CreateOptions = {}): Promise<Created<T>> {
    return createIdempotently(send, options, this.settings);
  }
}

/** The body of a 2xx, or an ApiError carrying the problem. */
function expectData<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return result.data as T;
}
