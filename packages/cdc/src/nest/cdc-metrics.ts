import type { Counter, Gauge, Metric, Registry } from 'prom-client';
import type { CdcConsumer } from '../consumer/cdc-consumer.js';

/** The parts of prom-client the metrics are built with (the module, imported by the caller). */
export type CdcPromClient = Pick<typeof import('prom-client'), 'Counter' | 'Gauge'>;

/**
 * Prometheus metrics of a {@link CdcConsumer}, on the registry and with the name prefix of the
 * app's `StrataMetrics` (`strata_` by default): lag in bytes and seconds and whether this instance
 * consumes the slot (gauges read from `status()` when scraped), transactions and changes applied,
 * fallbacks by table and reason, errors by phase (counters following the consumer's events).
 * {@link CdcMetrics.stop} unsubscribes and unregisters all of it.
 */
export class CdcMetrics {
  private readonly metrics: Metric[] = [];
  private readonly subscriptions: (() => void)[] = [];

  constructor(
    private readonly prom: CdcPromClient,
    private readonly consumer: CdcConsumer,
    private readonly registry: Registry,
    private readonly prefix: string,
  ) {}

  /** Registers the metrics and subscribes to the consumer's events. */
  start(): void {
    const { consumer } = this;
    this.gauge(
      'cdc_lag_bytes',
      'Bytes of WAL between the server and the position confirmed.',
      () => consumer.status().lagBytes,
    );
    this.gauge(
      'cdc_lag_seconds',
      'Seconds since the oldest commit received and not yet applied (0 when none waits).',
      () => consumer.status().lagSeconds,
    );
    this.gauge('cdc_consuming', '1 while this instance streams the slot (holds the lease).', () =>
      consumer.status().consuming ? 1 : 0,
    );
    const transactions = this.counter(
      'cdc_transactions_total',
      'Committed transactions applied and confirmed.',
      [],
    );
    const changes = this.counter(
      'cdc_changes_total',
      'Row changes of mapped tables applied and confirmed.',
      [],
    );
    this.subscriptions.push(
      consumer.events.on('cdc:applied', (e) => {
        transactions.inc(e.transactions);
        changes.inc(e.changes);
      }),
    );
    const fallbacks = this.counter(
      'cdc_fallbacks_total',
      "A table's fallback applied instead of its changes one by one, by table and reason (truncate, mapping-error, too-many, reconnect).",
      ['table', 'reason'],
    );
    this.subscriptions.push(
      consumer.events.on('cdc:fallback', (e) => fallbacks.inc({ table: e.table, reason: e.reason })),
    );
    const errors = this.counter(
      'cdc_errors_total',
      'Consumer errors (each followed by a retry), by phase (setup, stream, apply, lease).',
      ['during'],
    );
    this.subscriptions.push(consumer.events.on('cdc:error', (e) => errors.inc({ during: e.during })));
  }

  /** Unsubscribes and removes the metrics from the registry. */
  stop(): void {
    for (const off of this.subscriptions.splice(0)) off();
    for (const metric of this.metrics.splice(0)) this.registry.removeSingleMetric(metricName(metric));
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const counter = new this.prom.Counter<L>({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
    });
    this.metrics.push(counter);
    return counter;
  }

  private gauge(name: string, help: string, read: () => number): Gauge {
    const gauge: Gauge = new this.prom.Gauge({
      name: this.prefix + name,
      help,
      registers: [this.registry],
      collect: () => gauge.set(read()),
    });
    this.metrics.push(gauge);
    return gauge;
  }
}

/** A metric's name (prom-client keeps it on the instance without typing it). */
function metricName(metric: Metric): string {
  return (metric as unknown as { name: string }).name;
}
