import ms from 'ms';

/**
 * A duration: milliseconds as a number, or a string such as `'30s'`, `'5m'`, `'1h'`, `'250ms'`
 * (parsed by the `ms` package).
 */
export type Duration = number | string;

/**
 * Converts a {@link Duration} to milliseconds, or returns `undefined` when it is not a valid,
 * finite, non-negative duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  // `ms` returns NaN/undefined for unparsable input; it also accepts plain numeric strings.
  const parsed: unknown = ms(value as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
