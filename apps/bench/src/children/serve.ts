import { CLOSE_COMMAND, isCommandMessage, type ChildMessage, type CommandMap } from './protocol.js';

/** The child's implementation of a {@link CommandMap}. */
export type Handlers<C extends CommandMap> = {
  readonly [K in keyof C]: (...args: Parameters<C[K]>) => ReturnType<C[K]> | Promise<ReturnType<C[K]>>;
};

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * Serves `handlers` over IPC, then reports ready. `close` runs `onClose` (which must release
 * every handle: connections, timers), answers and disconnects; the process must then end by
 * itself. If the parent goes away first, the process exits at once.
 */
export async function serve<C extends CommandMap>(
  handlers: Handlers<C>,
  onClose: () => Promise<void>,
): Promise<void> {
  let closing = false;
  process.on('disconnect', () => {
    if (!closing) process.exit(1);
  });
  const table = handlers as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  process.on('message', (message: unknown) => {
    if (!isCommandMessage(message)) return;
    void (async () => {
      const { id, command, args } = message;
      let reply: ChildMessage;
      try {
        if (command === CLOSE_COMMAND) {
          closing = true;
          await onClose();
          reply = { type: 'response', id, result: undefined };
        } else {
          if (closing) throw new Error(`closing: "${command}" refused`);
          const handler = table[command];
          if (handler === undefined) throw new Error(`unknown command "${command}"`);
          reply = { type: 'response', id, result: await handler(...args) };
        }
      } catch (error) {
        reply = {
          type: 'response',
          id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        };
      }
      await send(reply);
      if (command !== CLOSE_COMMAND) return;
      process.disconnect();
      setTimeout(() => {
        process.stderr.write(
          `bench child ${process.pid} still running 2 s after close; open: ${process.getActiveResourcesInfo().join(', ')}\n`,
        );
        process.exit(3);
      }, 2_000).unref();
    })();
  });
  await send({ type: 'ready' });
}
