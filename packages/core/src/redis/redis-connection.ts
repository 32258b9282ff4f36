import type { Cluster, Redis } from 'ioredis';
import { RedisUnavailableError } from '../errors/redis-unavailable.error.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type {
  ClusterConnectionOptions,
  SentinelConnectionOptions,
} from '../options/redis-connection.options.js';
import { createClusterClient, createSentinelClient, createUrlClient } from './redis-client.factory.js';

/** How the command connection to Redis is made. */
export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL (ignored when `client` is given); there is no default server. */
  readonly url?: string;
  /** A client you own; Strata uses it and never closes it. */
  readonly client?: Redis | Cluster;
  /** Connect through Sentinel (ignored when `client` is given). */
  readonly sentinel?: SentinelConnectionOptions;
  /** Connect to a Redis Cluster (ignored when `client` is given). */
  readonly cluster?: ClusterConnectionOptions;
  /** Bound on every command, in ms. */
  readonly commandTimeoutMs: number;
  /** Bound on connecting, in ms. */
  readonly connectTimeoutMs: number;
}

/**
 * The command connection to Redis, configured so that Redis trouble costs a bounded time:
 * a command timeout, no offline queue (a command while disconnected fails at once instead of
 * waiting for a reconnect), no retries or re-sends of commands, and reconnection in the
 * background forever. Subscribing or blocking connections are `duplicate()`s of it without the
 * command timeout (on a Cluster, the bus subscribes on a plain connection to one node), so they
 * never carry cache commands.
 */
export class RedisConnection {
  /** The command connection. */
  readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly description: string;
  private readonly quitTimeoutMs: number;

  constructor(
    options: RedisConnectionOptions,
    private readonly onError: (error: Error) => void,
  ) {
    this.quitTimeoutMs = options.commandTimeoutMs;
    if (options.client) {
      this.client = options.client;
      this.owned = false;
      this.description = 'the provided client';
    } else if (options.cluster) {
      this.client = createClusterClient(options.cluster, options);
      this.owned = true;
      this.description = `the Redis Cluster at ${describeNodes(options.cluster.nodes)}`;
    } else if (options.sentinel) {
      this.client = createSentinelClient(options.sentinel, options);
      this.owned = true;
      this.description = `the primary "${options.sentinel.name}" of the sentinels at ${describeNodes(options.sentinel.sentinels)}`;
    } else if (options.url !== undefined && options.url !== '') {
      const url = options.url;
      this.client = createUrlClient(url, options);
      this.owned = true;
      this.description = redactUrl(url);
    } else {
      // Option validation rejects this first; kept so that no path falls back to a default server.
      throw new StrataConfigError('redis.url', options.url, 'give one of url, client, sentinel or cluster');
    }
    // Without a listener ioredis prints every connection error; the stack reports them instead.
    this.client.on('error', onError);
  }

  /** Whether Strata created the client (from a URL, Sentinel or Cluster options) rather than the app. */
  get ownsClient(): boolean {
    return this.owned;
  }

  /** Where the connection points, with any password removed. */
  get target(): string {
    return this.description;
  }

  /** Whether the connection is ready for commands now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Waits until Redis answers or `timeoutMs` passes (the client connects as soon as it is
   * created, and ioredis reconnects in the background after any failure). Resolves `true`
   * when connected; `false` when not yet (ioredis keeps reconnecting in the background), or
   * throws {@link RedisUnavailableError} when `failIfUnavailable`.
   */
  async connect(timeoutMs: number, failIfUnavailable: boolean): Promise<boolean> {
    const client = this.client;
    // A client given with `lazyConnect` would otherwise never connect; failures are retried by
    // ioredis and surface through the 'error' listener, so the promise itself carries nothing.
    if (client.status === 'wait') client.connect().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        if (client.status === 'ready') return resolve();
        onReady = resolve;
        client.once('ready', onReady);
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      return true;
    } catch (error) {
      if (failIfUnavailable) throw new RedisUnavailableError(this.description, error);
      return false;
    } finally {
      clearTimeout(timer);
      if (onReady) client.off('ready', onReady);
    }
  }

  /**
   * Closes the connection if Strata created it. A client it was given stays open, but loses the
   * listener Strata added: stacks sharing one client (and closed before it) must not pile up
   * listeners on it, nor keep reporting its errors to closed stacks.
   */
  async close(): Promise<void> {
    if (!this.owned) {
      this.client.off('error', this.onError);
      return;
    }
    if (this.client.status === 'end') return;
    // Not ready (connecting, or connected without an answer yet): nothing to end gracefully.
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    // QUIT lets the replies in flight arrive; a Redis that does not answer it within one command
    // timeout (ioredis's own timeout is a backstop well above it) is cut off.
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.quitTimeoutMs);
    });
    try {
      await Promise.race([this.client.quit(), cutOff]);
    } catch {
      // quit() fails when the server is gone; disconnect() below ends reconnect attempts regardless.
    } finally {
      clearTimeout(timer);
    }
    // Read again: QUIT (or its failure) changed it since the check above.
    const status: string = this.client.status;
    if (status !== 'end') this.client.disconnect();
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

function describeNodes(nodes: readonly { readonly host: string; readonly port: number }[]): string {
  return nodes.map(({ host, port }) => `${host}:${port}`).join(', ');
}
