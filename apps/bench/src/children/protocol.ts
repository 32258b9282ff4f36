/**
 * The IPC protocol between the bench (parent) and its child processes (scenarios 8 and 9). A
 * child serves named commands; arguments and results cross the process boundary by structured
 * clone (the parent forks with `serialization: 'advanced'`).
 *
 *   parent -> child  { type: 'command', id, command, args }
 *   child -> parent  { type: 'ready' } once it serves, then { type: 'response', id, result | error }
 *
 * `close` is built in: the child releases what it holds, answers, disconnects, and must then end
 * by itself (it exits with code 3, naming what is left open, if it has not 2 s later).
 */

/** The commands a child serves: name -> signature. Declare it as a `type`, not an `interface`. */
export type CommandMap = Record<string, (...args: never[]) => unknown>;

/** What the parent sends. */
export interface CommandMessage {
  readonly type: 'command';
  readonly id: number;
  readonly command: string;
  readonly args: readonly unknown[];
}

/** What a child sends. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'response'; readonly id: number; readonly result: unknown }
  | { readonly type: 'response'; readonly id: number; readonly error: string };

/** The name of the built-in command that shuts a child down. */
export const CLOSE_COMMAND = 'close';

/** Wall-clock milliseconds with sub-ms precision, comparable across processes of one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function isCommandMessage(value: unknown): value is CommandMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<CommandMessage>;
  return (
    message.type === 'command' &&
    typeof message.id === 'number' &&
    typeof message.command === 'string' &&
    Array.isArray(message.args)
  );
}

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || (type === 'response' && typeof (value as { id?: unknown }).id === 'number');
}
