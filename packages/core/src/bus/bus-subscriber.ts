import { Redis, type Cluster } from 'ioredis';

/** What a {@link BusSubscriber} reports. */
export interface BusSubscriberHandlers {
  /** A message arrived on the channel. */
  onMessage(raw: string): void;
  /** The subscription is confirmed: from now on no message is missed. */
  onUp(): void;
  /** The connection is lost: messages published from now until the next `onUp` are missed. */
  onDown(): void;
}

const MAX_RETRY_DELAY_MS = 2_000;
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * The bus's subscribed connection. It is a connection of its own (a subscribed connection can
 * run no other command), without ioredis's silent re-subscription: every loss is reported
 * (`onDown`) and every new subscription confirmed (`onUp`), so the bus knows exactly when
 * messages may have been missed. It reconnects with backoff until closed.
 *
 * On a single Redis or Sentinel setup it is a `duplicate()` of the command connection (Sentinel
 * then follows the current primary). On a Cluster it is a plain connection to one node at a time
 * (a `PUBLISH` reaches every node), moving to the next node when that one fails.
 */
export class BusSubscriber {
  private connection: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private nodeIndex = 0;
  private up = false;
  private closed = false;

  constructor(
    private readonly source: Redis | Cluster,
    private readonly channel: string,
    private readonly handlers: BusSubscriberHandlers,
  ) {}

  /** Whether the subscription is confirmed and the connection open. */
  get subscribed(): boolean {
    return this.up;
  }

  /** Opens the connection and subscribes. */
  start(): void {
    this.open();
  }

  /** Closes the connection and cancels any reconnection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    this.up = false;
    if (connection === undefined || connection.status === 'end') return;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      connection.once('end', () => resolve());
      // ioredis always ends a disconnected connection; the bound only guards shutdown against a surprise.
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    connection.disconnect();
    await ended;
    clearTimeout(timer);
  }

  private open(): void {
    this.timer = undefined;
    if (this.closed) return;
    const connection = this.create();
    if (connection === undefined) {
      this.retryLater(); // a Cluster client that knows no node yet
      return;
    }
    this.connection = connection;
    // Failures show as 'close'/'end' below; an unlistened 'error' would be printed by ioredis.
    connection.on('error', () => undefined);
    connection.on('message', (channel: string, raw: string) => {
      if (channel === this.channel && connection === this.connection) this.handlers.onMessage(raw);
    });
    connection.once('close', () => this.lost(connection));
    connection.once('end', () => {
      this.lost(connection);
      if (connection === this.connection) this.retryLater();
    });
    connection
      .connect()
      .then(() => connection.subscribe(this.channel))
      .then(
        () => {
          if (connection !== this.connection || this.closed) return;
          this.attempt = 0;
          this.up = true;
          this.handlers.onUp();
        },
        () => {
          // Connecting or subscribing failed: 'end' follows and schedules the next attempt.
          connection.disconnect();
        },
      );
  }

  private lost(connection: Redis): void {
    if (connection !== this.connection || !this.up) return;
    this.up = false;
    this.handlers.onDown();
  }

  private retryLater(): void {
    if (this.closed || this.timer !== undefined) return;
    const delay = Math.min(25 * 2 ** this.attempt, MAX_RETRY_DELAY_MS);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.timer = setTimeout(() => this.open(), delay);
  }

  private create(): Redis | undefined {
    const own = {
      lazyConnect: true,
      // No reconnection by ioredis: a new connection per attempt, so no loss goes unnoticed.
      retryStrategy: () => null,
      autoResubscribe: false,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
    };
    if (!isCluster(this.source)) return this.source.duplicate(own);
    const nodes = this.source.nodes('all');
    if (nodes.length === 0) return undefined;
    const node = nodes[this.nodeIndex++ % nodes.length];
    if (node === undefined) return undefined;
    const { host, port, username, password, tls, connectTimeout } = node.options;
    return new Redis({ host, port, username, password, tls, connectTimeout, ...own });
  }
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return typeof (client as { nodes?: unknown }).nodes === 'function';
}
