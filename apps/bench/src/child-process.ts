import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLOSE_COMMAND, isChildMessage, type CommandMap } from './children/protocol.js';

/** A running child process serving the commands `C` (see `children/protocol.ts`). */
export interface ChildHandle<C extends CommandMap> {
  readonly name: string;
  /** Runs a command in the child; rejects with its error, or if it exits or does not answer in time. */
  request<K extends keyof C & string>(
    command: K,
    ...args: Parameters<C[K]>
  ): Promise<Awaited<ReturnType<C[K]>>>;
  /** Graceful shutdown; the process is gone when this resolves (killed if it did not end by itself). */
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const START_TIMEOUT_MS = 20_000;
const COMMAND_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 5_000;

/** Every child not yet exited: killed if the bench itself exits first (an error, Ctrl-C). */
const live = new Set<ChildProcess>();
let exitHook = false;

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Forks `dist/children/<script>.js` (plain Node, no `--expose-gc`, on the built packages) and
 * waits until it serves. `name` appears in errors.
 */
export async function startChild<C extends CommandMap>(
  script: string,
  name: string,
): Promise<ChildHandle<C>> {
  installExitHook();
  const path = fileURLToPath(new URL(`./children/${script}.js`, import.meta.url));
  const child = fork(path, [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let exitText: string | undefined;
  let onReady: (() => void) | undefined;
  let onStartFailure: ((error: Error) => void) | undefined;

  child.on('error', (error) => onStartFailure?.(error));
  child.once('exit', (code, signal) => {
    live.delete(child);
    exitText = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
    const error = new Error(`bench child ${name} ${exitText}`);
    onStartFailure?.(error);
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    pending.clear();
  });
  child.on('message', (message: unknown) => {
    if (!isChildMessage(message)) return;
    if (message.type === 'ready') return onReady?.();
    const entry = pending.get(message.id);
    if (entry === undefined) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if ('error' in message) entry.reject(new Error(`bench child ${name}: ${message.error}`));
    else entry.resolve(message.result);
  });

  let startTimer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onStartFailure = reject;
      startTimer = setTimeout(
        () => reject(new Error(`bench child ${name} not ready within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  } finally {
    clearTimeout(startTimer);
    onReady = undefined;
    onStartFailure = undefined;
  }

  const send = (command: string, args: readonly unknown[]): Promise<unknown> => {
    if (exitText !== undefined) return Promise.reject(new Error(`bench child ${name} ${exitText}`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`bench child ${name}: no answer to "${command}" within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      child.send({ type: 'command', id, command, args }, (error) => {
        if (error === null || !pending.has(id)) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(error);
      });
    });
  };

  return {
    name,
    request: (command, ...args) => send(command, args) as Promise<Awaited<ReturnType<C[typeof command]>>>,
    async close() {
      if (exitText !== undefined) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        await send(CLOSE_COMMAND, []);
        const ended = await Promise.race([
          exited(child).then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), EXIT_TIMEOUT_MS);
          }),
        ]);
        if (!ended) throw new Error(`bench child ${name} did not exit within ${EXIT_TIMEOUT_MS} ms of close`);
      } finally {
        clearTimeout(timer);
        if (exitText === undefined) {
          child.kill('SIGKILL');
          await exited(child);
        }
      }
    },
  };
}

/** Closes every child (in parallel); throws the first failure after all are gone. */
export async function closeAll(children: readonly { close(): Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(children.map((child) => child.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Starts `count` children of one script, named `<prefix>-1`…; if one fails to start, closes the others. */
export async function startChildren<C extends CommandMap>(
  script: string,
  prefix: string,
  count: number,
): Promise<ChildHandle<C>[]> {
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startChild<C>(script, `${prefix}-${i + 1}`)),
  );
  const children = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await closeAll(children);
    throw failed.reason;
  }
  return children;
}
