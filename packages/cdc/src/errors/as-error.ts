/** `value` when it is an `Error`, else an `Error` whose message describes it (for `throw`). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The message of an error, or what was thrown as text. */
export function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
