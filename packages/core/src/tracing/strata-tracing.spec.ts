import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack } from '../stack/cache-stack.js';
import { WriteBehindStrategy } from '../write-behind/write-behind.strategy.js';
import { STRATA_SPANS, STRATA_TRACER_NAME } from './strata-tracing.js';

describe('OpenTelemetry spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let stack: CacheStack | undefined;

  // Registered after strata-tracing.js was imported: its proxy tracer must pick the provider up.
  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    exporter.reset();
  });

  it('wraps each load in a span with the cache and key, marking a failed one', async () => {
    stack = new CacheStack({ prefix: 'tr' });
    await stack.getOrLoad('p1', () => 'x', { namespace: 'products' });
    await stack.getOrLoad('p1', () => 'y', { namespace: 'products' }); // a hit: no span
    await expect(stack.getOrLoad('p2', () => Promise.reject(new Error('db down')))).rejects.toThrow();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes['strata.cache'], s.attributes['strata.key']])).toEqual([
      [STRATA_SPANS.load, 'products', 'tr:products:p1'],
      [STRATA_SPANS.load, 'default', 'tr:default:p2'],
    ]);
    expect(spans[0]?.instrumentationScope.name).toBe(STRATA_TRACER_NAME);
    expect(spans[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' });
    expect(spans[1]?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('wraps each write-behind batch in a span with its size', async () => {
    stack = new CacheStack({ prefix: 'tr' });
    const written: string[] = [];
    const cache = await new WriteBehindStrategy(stack).bind<number>({
      name: 'carts',
      flushInterval: '1h',
      writer: {
        writeMany: async (records) => void written.push(...records.map((r) => r.key)),
        deleteMany: async () => undefined,
      },
    });
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.flush();
    await cache.close();

    expect(written).toEqual(['a', 'b']);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === STRATA_SPANS.flush);
    expect(spans.map((s) => s.attributes)).toEqual([{ 'strata.cache': 'carts', 'strata.batch_size': 2 }]);
  });
});
