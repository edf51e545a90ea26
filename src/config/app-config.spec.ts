import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      metricsPort: null,
      databaseUrl: null,
      dataDir: '/srv/app/.data',
      publicBaseUrl: null,
      jwtSecret: null,
      corsOrigins: [],
      idempotencyTtlMs: 24 * 3_600_000,
      idempotencyMemory: 10_000,
      maxUploadBytes: 26_214_400,
      uploadConcurrency: 4,
      uploadQueue: 100,
      uploadIdleTimeoutMs: 30_000,
      storageDriver: 'postgres',
      authRateLimit: 60,
      exportRateLimit: 10,
      eventCursors: 'encrypted',
      trustProxy: false,
      accessTokenTtlSeconds: 3600,
      natsUrl: null,
      natsStream: 'ORDER_SERVICE',
      natsSubjectPrefix: 'order-service',
      eventsRetentionMs: 7 * 24 * 3_600_000,
    });
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      METRICS_PORT: '9464',
      DATABASE_URL: 'postgresql://u:p@db:5432/orders',
      DATABASE_DIRECT_URL: 'postgresql://u:p@db-direct:5432/orders',
      DATA_DIR: '/var/lib/orders',
      PUBLIC_BASE_URL: 'https://api.example.com/',
      JWT_SECRET: 'x'.repeat(32),
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      IDEMPOTENCY_TTL: '90m',
      IDEMPOTENCY_MEMORY: '0',
      CREATE_CONCURRENCY: '4',
      READ_CONCURRENCY: '3',
      MAX_UPLOAD_BYTES: '1048576',
      UPLOAD_CONCURRENCY: '2',
      UPLOAD_QUEUE: '0',
      UPLOAD_IDLE_TIMEOUT: '2m',
      STORAGE_DRIVER: 'filesystem',
      AUTH_RATE_LIMIT: '0',
      EXPORT_RATE_LIMIT: '30',
      NATS_URL: 'nats://n1:4222, nats://n2:4222',
      NATS_STREAM: 'ORDERS_PROD',
      NATS_SUBJECT_PREFIX: 'eu.order-service',
      EVENTS_RETENTION: '3d',
      EVENT_CURSORS: 'readable',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      metricsPort: 9464,
      databaseUrl: 'postgresql://u:p@db:5432/orders',
      databaseDirectUrl: 'postgresql://u:p@db-direct:5432/orders',
      dataDir: '/var/lib/orders',
      publicBaseUrl: 'https://api.example.com',
      corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
      idempotencyTtlMs: 90 * 60_000,
      idempotencyMemory: 0,
      createConcurrency: 4,
      readConcurrency: 3,
      maxUploadBytes: 1_048_576,
      uploadConcurrency: 2,
      uploadQueue: 0,
      uploadIdleTimeoutMs: 120_000,
      storageDriver: 'filesystem',
      authRateLimit: 0,
      exportRateLimit: 30,
      natsUrl: 'nats://n1:4222, nats://n2:4222',
      natsStream: 'ORDERS_PROD',
      natsSubjectPrefix: 'eu.order-service',
      eventsRetentionMs: 3 * 24 * 3_600_000,
      eventCursors: 'readable',
    });
  });

  it('runs as many batched reads at once as the pool has connections, unless told', () => {
    expect(loadConfig({ DATABASE_POOL_SIZE: '20' }).readConcurrency).toBe(20);
    expect(loadConfig({ DATABASE_POOL_SIZE: '20', READ_CONCURRENCY: '4' }).readConcurrency).toBe(4);
  });

  it.each([
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '3000abc' }],
    ['METRICS_PORT', { METRICS_PORT: '70000' }],
    ['METRICS_PORT', { METRICS_PORT: '3000' }],
    ['METRICS_PORT', { PORT: '8080', METRICS_PORT: '8080' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/orders' }],
    ['DATABASE_DIRECT_URL', { DATABASE_DIRECT_URL: 'postgres://db:5432/orders' }],
    ['DATABASE_DIRECT_URL', { DATABASE_URL: 'postgres://p/o', DATABASE_DIRECT_URL: 'db:5432' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://example.com' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://example.com/?q=1' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['JWT_SECRET', { NODE_ENV: 'production' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://a.example.com/path' }],
    ['IDEMPOTENCY_TTL', { IDEMPOTENCY_TTL: '24 hours' }],
    ['IDEMPOTENCY_TTL', { IDEMPOTENCY_TTL: '3651d' }],
    ['IDEMPOTENCY_SWEEP_INTERVAL', { IDEMPOTENCY_SWEEP_INTERVAL: '30d' }],
    ['SHUTDOWN_TIMEOUT', { SHUTDOWN_TIMEOUT: '25h' }],
    ['IDEMPOTENCY_MEMORY', { IDEMPOTENCY_MEMORY: '1e4' }],
    ['CREATE_CONCURRENCY', { CREATE_CONCURRENCY: '0' }],
    ['READ_CONCURRENCY', { READ_CONCURRENCY: '0' }],
    ['MAX_UPLOAD_BYTES', { MAX_UPLOAD_BYTES: '-1' }],
    ['STORAGE_DRIVER', { STORAGE_DRIVER: 's3' }],
    ['AUTH_RATE_LIMIT', { AUTH_RATE_LIMIT: 'many' }],
    ['EXPORT_RATE_LIMIT', { EXPORT_RATE_LIMIT: '-1' }],
    ['EVENT_CURSORS', { EVENT_CURSORS: 'plain' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
    ['TRUST_PROXY', { TRUST_PROXY: '2' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['TRUST_PROXY', { TRUST_PROXY: '0.0.0.0/0' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.1,proxy.internal' }],
    ['NATS_URL', { NATS_URL: 'http://nats:4222' }],
    ['NATS_STREAM', { NATS_STREAM: 'orders.v1' }],
    ['NATS_SUBJECT_PREFIX', { NATS_SUBJECT_PREFIX: 'orders.>' }],
    ['EVENTS_RETENTION', { EVENTS_RETENTION: 'a week' }],
  ])('rejects a bad %s with one line naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      new RegExp(`^Invalid environment variable ${variable}: [^\\n]+$`),
    );
  });

  it('takes METRICS_PORT=0 (any free port), beside PORT=0 too', () => {
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it('takes a timer-driven duration up to a day, and a TTL or retention up to ten years', () => {
    const config = loadConfig({
      IDEMPOTENCY_SWEEP_INTERVAL: '1d',
      IDEMPOTENCY_TTL: '3650d',
      EVENTS_RETENTION: '365d',
    });
    expect(config.idempotencySweepIntervalMs).toBe(86_400_000);
    expect(config.idempotencyTtlMs).toBe(3650 * 86_400_000);
    expect(config.eventsRetentionMs).toBe(365 * 86_400_000);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, 192.168.1.1/24,::1', ['10.0.0.0/8', '192.168.1.1/24', '::1']],
    ['fd00::/8', ['fd00::/8']],
  ])('reads TRUST_PROXY=%s', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it('never echoes credentials from a bad DATABASE_URL or a JWT secret', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' })).toThrow(
      /<credentials>@/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ JWT_SECRET: 'tooshort' })).not.toThrow(/tooshort/);
  });
});
