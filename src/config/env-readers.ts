import { isIP } from 'node:net';
import { parseDuration } from './duration';
import type { EventCursorForm, StorageDriver } from './app-config';

// Readers of one environment variable each, for loadConfig: the value, its default when unset or
// blank, or a ConfigError naming the variable when it is not what the setting takes.

/** A bad environment value; its message is the one line printed before start-up stops. */
export class ConfigError extends Error {
  constructor(variable: string, expectation: string, actual: string) {
    super(
      `Invalid environment variable ${variable}: ${expectation} (got ${JSON.stringify(actual)})`,
    );
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
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
export const STORED_DURATION_MAX = '3650d';

export function duration(
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

export function postgresUrl(env: Env, name: string): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  if (!/^postgres(ql)?:$/.test(urlOrNull(raw)?.protocol ?? '')) {
    throw new ConfigError(name, 'expected a postgres:// or postgresql:// URL', redactUrl(raw));
  }
  return raw;
}

export function directUrl(env: Env): string | null {
  const direct = postgresUrl(env, 'DATABASE_DIRECT_URL');
  if (direct && !read(env, 'DATABASE_URL'))
    throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL (the pooler) set too', '');
  return direct;
}

export function baseUrl(env: Env): string | null {
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

export function origins(env: Env): string[] {
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

export function natsUrl(env: Env): string | null {
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
export function natsName(env: Env, name: string, fallback: string, dots: boolean): string {
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

export function jwtSecret(env: Env, nodeEnv: string): string | null {
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
 * Where `/metrics` is served: null (unset) beside the API on `port`; else only on this port, which
 * the API's clients need not reach (0: any free one, for tests).
 */
export function metricsPort(env: Env, port: number): number | null {
  if (read(env, 'METRICS_PORT') === undefined) return null;
  const value = integer(env, 'METRICS_PORT', 0, 0, 65535);
  if (value !== 0 && value === port)
    throw new ConfigError(
      'METRICS_PORT',
      'expected a port other than PORT (unset it to serve /metrics on PORT)',
      String(value),
    );
  return value;
}

/**
 * Which peers may set the client IP through X-Forwarded-For: all (`true`), none, or the proxies'
 * addresses and CIDR ranges. A hop count is refused: Fastify 5.12 stopped honouring it because it
 * cannot tell a proxy from a client that sends the header itself.
 */
export function trustProxy(env: Env): boolean | string[] {
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `name` as one of `values` (`fallback` when unset); anything else is a ConfigError naming them. */
function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = read(env, name) ?? fallback;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  const expected =
    values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  throw new ConfigError(name, `expected ${expected}`, raw);
}

export const logLevel = (env: Env): string => oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info');

export const eventCursorForm = (env: Env): EventCursorForm =>
  oneOf(env, 'EVENT_CURSORS', ['encrypted', 'readable'], 'encrypted');

export const storageDriver = (env: Env): StorageDriver =>
  oneOf(env, 'STORAGE_DRIVER', ['postgres', 'filesystem'], 'postgres');

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
