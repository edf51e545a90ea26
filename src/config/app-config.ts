import { isAbsolute, resolve } from 'node:path';
import {
  type Env,
  STORED_DURATION_MAX,
  baseUrl,
  directUrl,
  duration,
  eventCursorForm,
  integer,
  jwtSecret,
  logLevel,
  metricsPort,
  natsName,
  natsUrl,
  origins,
  postgresUrl,
  read,
  storageDriver,
  trustProxy,
} from './env-readers';

export type StorageDriver = 'postgres' | 'filesystem';
/** How events cursors are handed out: see EventCursors. */
export type EventCursorForm = 'encrypted' | 'readable';

/** The service's whole configuration, read once from the environment at start-up. */
export interface AppConfig {
  nodeEnv: string;
  logLevel: string;
  port: number;
  host: string;
  /** Null: `/metrics` on `port`, beside the API; else on this port only (0: any free one). */
  metricsPort: number | null;
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
  /**
   * Statements a process runs at once per kind of batched read (gets of an order by id, the early
   * replay's reads of stored answers): more than one only beside reads that have run 20 ms (a
   * slow disk), since reads take no locks. The pool's size unless set.
   */
  readConcurrency: number;
  maxUploadBytes: number;
  /**
   * Uploads a process reads and stores at once. Each holds a few MiB of buffers while its bytes
   * pass; the others wait unread (TCP holds their bytes back), so memory does not grow with them.
   */
  uploadConcurrency: number;
  /** Uploads that may wait for one of those; past it an upload is 429 at once, before its body. */
  uploadQueue: number;
  /** Longest an upload being read may send nothing: past it 408, and its slot goes to the next. */
  uploadIdleTimeoutMs: number;
  storageDriver: StorageDriver;
  authRateLimit: number;
  /** Order exports one user may ask for a minute, all replicas together; 0: no limit. */
  exportRateLimit: number;
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
  /** `readable` only while upgrading from a release whose pods read nothing else. */
  eventCursors: EventCursorForm;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export { ConfigError } from './env-readers';

/** Validates the environment into a typed config; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const nodeEnv = read(env, 'NODE_ENV') ?? 'development';
  const dataDir = read(env, 'DATA_DIR') ?? './.data';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const databasePoolSize = integer(env, 'DATABASE_POOL_SIZE', 10, 2, 1000);
  return {
    nodeEnv,
    logLevel: logLevel(env),
    port,
    host: read(env, 'HOST') ?? '0.0.0.0',
    metricsPort: metricsPort(env, port),
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    databaseDirectUrl: directUrl(env),
    databasePoolSize,
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
    readConcurrency: integer(env, 'READ_CONCURRENCY', databasePoolSize, 1, 1000),
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 26_214_400, 1, Number.MAX_SAFE_INTEGER),
    uploadConcurrency: integer(env, 'UPLOAD_CONCURRENCY', 4, 1, 1000),
    uploadQueue: integer(env, 'UPLOAD_QUEUE', 100, 0, 100_000),
    uploadIdleTimeoutMs: duration(env, 'UPLOAD_IDLE_TIMEOUT', '30s', 1_000),
    storageDriver: storageDriver(env),
    authRateLimit: integer(env, 'AUTH_RATE_LIMIT', 60, 0, 1_000_000),
    exportRateLimit: integer(env, 'EXPORT_RATE_LIMIT', 10, 0, 1_000_000),
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
    eventCursors: eventCursorForm(env),
  };
}
