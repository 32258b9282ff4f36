import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The instrumentation scope of Strata's spans (what a tracing backend shows as the library). */
export const STRATA_TRACER_NAME = '@strata/core';

/** Span names, for filters and tests. */
export const STRATA_SPANS = {
  /** A loader run on a miss or in a refresh: attributes `strata.cache`, `strata.key`. */
  load: 'strata.load',
  /** One write-behind batch handed to the writer: `strata.cache`, `strata.batch_size`. */
  flush: 'strata.write_behind.flush',
} as const;

// A proxy: it starts delegating to the app's tracer provider once an SDK registers one, even
// if that happens after this module loaded; without an SDK every span is a no-op.
const tracer = trace.getTracer(STRATA_TRACER_NAME);

/**
 * Runs `run` inside an active span (so spans the work opens, such as a database query's, nest
 * under it), records its error and ends the span when it settles. Through `@opentelemetry/api`
 * only: with no SDK registered the span is a no-op.
 */
export function withSpan<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span: Span) => {
    try {
      return await run();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
