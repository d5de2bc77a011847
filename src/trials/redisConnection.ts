import { MtlError } from '../errors.js';

/** Where a Redis server is: what a `redis://` or `rediss://` URL names. */
export interface RedisTarget {
  /** The URL as given (passwords hidden in messages). */
  url: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

/** How long to wait for Redis to answer when a coordinator or worker starts. @defaultValue 5 s */
export const CONNECT_TIMEOUT_MS = 5000;

/** How long a lost connection is retried before a coordinator or worker gives up. @defaultValue 30 s */
export const RECONNECT_WINDOW_MS = 30_000;

/** The URL with any password replaced by `***`, for messages. */
export function displayUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Read a Redis URL: `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for
 * TLS. Anything else is a coded error naming `where` (the option or argument).
 */
export function parseRedisUrl(url: string, where: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined as unknown as URL;
  }
  const fix = 'e.g. redis://127.0.0.1:6379 (redis-server listens on port 6379 by default)';
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    throw new MtlError({ code: 'queue.bad_url', path: where, expected: 'a Redis URL redis://host:port (rediss:// for TLS)', found: JSON.stringify(displayUrl(url)), fix });
  }
  const port = parsed.port ? Number(parsed.port) : 6379;
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? undefined : Number(dbText);
  if (db !== undefined && (!Number.isInteger(db) || db < 0)) {
    throw new MtlError({ code: 'queue.bad_url', path: where, expected: 'a database number after the port (redis://host:port/0)', found: JSON.stringify(dbText), fix });
  }
  return {
    url,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
    tls: parsed.protocol === 'rediss:',
  };
}

/**
 * ioredis options for a target, as BullMQ takes them: a connect timeout, and a lost
 * connection retried every second at most (the caller decides when to give up: see
 * {@link RECONNECT_WINDOW_MS}).
 */
export function redisOptions(target: RedisTarget, connectTimeoutMs = CONNECT_TIMEOUT_MS): Record<string, unknown> {
  return {
    host: target.host,
    port: target.port,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.db !== undefined ? { db: target.db } : {}),
    ...(target.tls ? { tls: {} } : {}),
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(100 * 2 ** times, 1000),
  };
}

/** The coded error for a Redis server that does not answer. */
export function unreachable(target: RedisTarget, reason: string, where: string): MtlError {
  return new MtlError({
    code: 'queue.unreachable',
    path: where,
    expected: `a Redis server answering at ${displayUrl(target.url)}`,
    found: reason,
    fix: `start one (redis-server --port ${target.port}), or check the host, port and firewall; the coordinator and every worker need to reach it`,
  });
}

/**
 * Check that the Redis server answers (connect and PING) within `timeoutMs`, with no
 * retries: an unreachable queue is a coded error (`queue.unreachable`) in seconds,
 * never a hang.
 */
export async function checkRedis(target: RedisTarget, where: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    ...redisOptions(target, timeoutMs),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, ...) says more than connect()'s "Connection is closed".
  let cause: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => {
    cause ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const e = cause ?? (error as NodeJS.ErrnoException);
    const reason =
      e.code === 'ECONNREFUSED'
        ? 'connection refused (nothing listens there)'
        : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
          ? `unknown host ${target.host}`
          : e.code === 'ETIMEDOUT'
            ? `no answer within ${(timeoutMs / 1000).toFixed(0)} s`
            : /^Protocol error/.test(e.message ?? '')
              ? `a server that does not speak Redis (${e.message.split('.')[0]})`
              : (e.message ?? String(error)).split('\n')[0]!;
    throw unreachable(target, reason, where);
  } finally {
    if (timer) clearTimeout(timer);
    client.disconnect();
  }
}
