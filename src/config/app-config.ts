import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from './duration';

export type StorageDriver = 'postgres' | 'filesystem';

/** The service's whole configuration, read once from the environment at start-up. */
export interface AppConfig {
  nodeEnv: string;
  logLevel: string;
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL under `dataDir` is started by the service. */
  databaseUrl: string | null;
  /**
   * Set when `databaseUrl` goes through a transaction pooler (PgBouncer): a direct connection for
   * what needs a session (migrations' lock, LISTEN, the job runner).
   */
  databaseDirectUrl: string | null;
  databasePoolSize: number;
  /** How long start-up waits for an unreachable database before giving up. */
  databaseConnectTimeoutMs: number;
  dataDir: string;
  /** Without a trailing slash; null keeps `Location` and `url` relative. */
  publicBaseUrl: string | null;
  /** Null outside production: a secret is generated once and kept under `dataDir`. */
  jwtSecret: string | null;
  accessTokenTtlSeconds: number;
  corsOrigins: string[];
  idempotencyTtlMs: number;
  /** How long a duplicate waits for the request holding its key (and any lock) before 409. */
  idempotencyWaitMs: number;
  idempotencySweepIntervalMs: number;
  /**
   * Replayed answers kept in memory for further retries of their keys; 0 sends every retry to
   * the database.
   */
  idempotencyMemory: number;
  /**
   * Statements a process runs at once per kind of batched create (orders); the creates that
   * arrive meanwhile wait and are written together in the next.
   */
  createConcurrency: number;
  maxUploadBytes: number;
  storageDriver: StorageDriver;
  authRateLimit: number;
  /** After SIGTERM, how long the process serves on with /health/ready at 503 before closing. */
  shutdownDelayMs: number;
  /**
   * After the delay, how long closing may take (in-flight requests, running jobs' grace, the
   * pool) before the process exits 1, naming the step that did not finish.
   */
  shutdownTimeoutMs: number;
  /** Longest a request may take to arrive whole: bounds slow-drip uploads. */
  requestTimeoutMs: number;
  /** Fastify's trustProxy: false, true, or the proxies (addresses, CIDR ranges) trusted for the client IP. */
  trustProxy: boolean | string[];
  /** Background jobs this process runs at once; 0 runs none (another process, `npm run worker`, does). */
  workerConcurrency: number;
  /** Largest image (width × height) the image job decodes; a larger one fails as `image_too_large`. */
  maxImagePixels: number;
  /** NATS servers the outbox relay publishes to; null: events stay in PostgreSQL (feed and stream). */
  natsUrl: string | null;
  /** The JetStream stream holding the events; created if missing. */
  natsStream: string;
  /** Events go to `<prefix>.<type>`; the stream takes `<prefix>.>`. */
  natsSubjectPrefix: string;
  /** How long an event is kept after it was published (written, without NATS). */
  eventsRetentionMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** A bad environment value; its message is the one line printed before start-up stops. */
export class ConfigError extends Error {
  constructor(variable: string, expectation: string, actual: string) {
    super(
      `Invalid environment variable ${variable}: ${expectation} (got ${JSON.stringify(actual)})`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}`, raw);
  }
  return value;
}

/** The longest wait a timer-driven setting takes: Node runs a longer timer after 1 ms instead. */
const TIMER_DURATION_MAX = '1d';
/** Settings that no timer waits on (kept in the database or in tokens) may be longer. */
const STORED_DURATION_MAX = '3650d';

function duration(
  env: Env,
  name: string,
  fallback: string,
  minMs: number,
  max = TIMER_DURATION_MAX,
): number {
  const raw = read(env, name) ?? fallback;
  const ms = parseDuration(raw);
  if (ms === null || ms < minMs || ms > parseDuration(max)!) {
    throw new ConfigError(
      name,
      `expected a duration such as 30s, 15m or 24h, from ${minMs} ms to ${max}`,
      raw,
    );
  }
  return ms;
}

function postgresUrl(env: Env, name: string): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  if (!/^postgres(ql)?:$/.test(urlOrNull(raw)?.protocol ?? '')) {
    throw new ConfigError(name, 'expected a postgres:// or postgresql:// URL', redactUrl(raw));
  }
  return raw;
}

function directUrl(env: Env): string | null {
  const direct = postgresUrl(env, 'DATABASE_DIRECT_URL');
  if (direct && !read(env, 'DATABASE_URL'))
    throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL (the pooler) set too', '');
  return direct;
}

function baseUrl(env: Env): string | null {
  const raw = read(env, 'PUBLIC_BASE_URL');
  if (raw === undefined) return null;
  const url = urlOrNull(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new ConfigError(
      'PUBLIC_BASE_URL',
      'expected an absolute http(s) URL without query or fragment',
      raw,
    );
  }
  return raw.replace(/\/+$/, '');
}

function origins(env: Env): string[] {
  const raw = read(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  const list = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of list) {
    const url = urlOrNull(origin);
    if (!url || url.origin !== origin) {
      throw new ConfigError(
        'CORS_ORIGINS',
        'expected comma-separated origins such as https://app.example.com',
        origin,
      );
    }
  }
  return list;
}

function natsUrl(env: Env): string | null {
  const raw = read(env, 'NATS_URL');
  if (raw === undefined) return null;
  const valid = raw
    .split(',')
    .every((server) => /^(nats|tls|wss?):$/.test(urlOrNull(server.trim())?.protocol ?? ''));
  if (!valid)
    throw new ConfigError(
      'NATS_URL',
      'expected nats://host:port URLs, comma-separated',
      redactUrl(raw),
    );
  return raw;
}

/** A JetStream stream name, or a subject token: no whitespace, dots or wildcards. */
function natsName(env: Env, name: string, fallback: string, dots: boolean): string {
  const raw = read(env, name) ?? fallback;
  const token = dots ? /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/ : /^[A-Za-z0-9_-]+$/;
  if (raw.length > 200 || !token.test(raw))
    throw new ConfigError(
      name,
      `expected letters, digits, _ and -${dots ? ' (dot-separated)' : ''}, at most 200`,
      raw,
    );
  return raw;
}

function jwtSecret(env: Env, nodeEnv: string): string | null {
  const raw = read(env, 'JWT_SECRET');
  if (raw === undefined) {
    if (nodeEnv === 'production')
      throw new ConfigError('JWT_SECRET', 'required when NODE_ENV=production', '');
    return null;
  }
  if (raw.length < 32)
    throw new ConfigError('JWT_SECRET', 'expected at least 32 characters', '<redacted>');
  return raw;
}

/**
 * Which peers may set the client IP through X-Forwarded-For: all (`true`), none, or the proxies'
 * addresses and CIDR ranges. A hop count is refused: Fastify 5.12 stopped honouring it because it
 * cannot tell a proxy from a client that sends the header itself.
 */
function trustProxy(env: Env): boolean | string[] {
  const raw = read(env, 'TRUST_PROXY') ?? 'false';
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const proxies = raw.split(',').map((entry) => entry.trim());
  if (!proxies.every(isAddressOrRange))
    throw new ConfigError(
      'TRUST_PROXY',
      'expected true, false or proxy addresses and CIDR ranges such as 10.0.0.0/8,127.0.0.1',
      raw,
    );
  return proxies;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A /0 range is refused by Fastify's proxy-addr at start-up; it means `true` anyway.
  return (
    /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128)
  );
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: Env): string {
  const raw = read(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(raw))
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`, raw);
  return raw;
}

function storageDriver(env: Env): StorageDriver {
  const raw = read(env, 'STORAGE_DRIVER') ?? 'postgres';
  if (raw !== 'postgres' && raw !== 'filesystem') {
    throw new ConfigError('STORAGE_DRIVER', 'expected postgres or filesystem', raw);
  }
  return raw;
}

function urlOrNull(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function redactUrl(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//<credentials>@');
}

/** Validates the environment into a typed config; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const nodeEnv = read(env, 'NODE_ENV') ?? 'development';
  const dataDir = read(env, 'DATA_DIR') ?? './.data';
  return {
    nodeEnv,
    logLevel: logLevel(env),
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    databaseDirectUrl: directUrl(env),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 2, 1000),
    databaseConnectTimeoutMs: duration(env, 'DATABASE_CONNECT_TIMEOUT', '10s', 0),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    publicBaseUrl: baseUrl(env),
    jwtSecret: jwtSecret(env, nodeEnv),
    accessTokenTtlSeconds: Math.floor(
      duration(env, 'ACCESS_TOKEN_TTL', '1h', 1_000, STORED_DURATION_MAX) / 1_000,
    ),
    corsOrigins: origins(env),
    idempotencyTtlMs: duration(env, 'IDEMPOTENCY_TTL', '24h', 1_000, STORED_DURATION_MAX),
    idempotencyWaitMs: duration(env, 'IDEMPOTENCY_WAIT', '5s', 1),
    idempotencySweepIntervalMs: duration(env, 'IDEMPOTENCY_SWEEP_INTERVAL', '1m', 100),
    idempotencyMemory: integer(env, 'IDEMPOTENCY_MEMORY', 10_000, 0, 50_000),
    createConcurrency: integer(env, 'CREATE_CONCURRENCY', 2, 1, 1000),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 26_214_400, 1, Number.MAX_SAFE_INTEGER),
    storageDriver: storageDriver(env),
    authRateLimit: integer(env, 'AUTH_RATE_LIMIT', 60, 0, 1_000_000),
    trustProxy: trustProxy(env),
    requestTimeoutMs: duration(env, 'REQUEST_TIMEOUT', '10m', 1_000),
    shutdownDelayMs: duration(env, 'SHUTDOWN_DELAY', '0s', 0),
    shutdownTimeoutMs: duration(env, 'SHUTDOWN_TIMEOUT', '30s', 1_000),
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 2, 0, 64),
    maxImagePixels: integer(env, 'MAX_IMAGE_PIXELS', 50_000_000, 1, 268_402_689),
    natsUrl: natsUrl(env),
    natsStream: natsName(env, 'NATS_STREAM', 'ORDER_SERVICE', false),
    natsSubjectPrefix: natsName(env, 'NATS_SUBJECT_PREFIX', 'order-service', true),
    eventsRetentionMs: duration(env, 'EVENTS_RETENTION', '7d', 1_000, STORED_DURATION_MAX),
  };
}
