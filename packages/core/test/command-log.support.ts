import type { Cluster, Command, Redis } from 'ioredis';

/** The commands a client sent, in order, and how many were ever in flight at once. */
export interface CommandLog {
  /** Lower-case command names since the last {@link CommandLog.reset} (`evalsha` for a script). */
  names(): string[];
  /** The most commands awaiting a reply at one time: 1 means each command was its own round trip. */
  maxInFlight(): number;
  reset(): void;
}

/**
 * Records every command `client` sends (a stack's own client: `engineOf(stack).connection.client`).
 * Commands sent one after the other, each awaited before the next, are one round trip each.
 */
export function logCommands(client: Redis | Cluster): CommandLog {
  let names: string[] = [];
  let inFlight = 0;
  let most = 0;
  const target = client as unknown as { sendCommand: (command: Command, ...rest: unknown[]) => unknown };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (command: Command, ...rest: unknown[]) => {
    names.push(command.name.toLowerCase());
    inFlight++;
    most = Math.max(most, inFlight);
    const settled = (): void => {
      inFlight--;
    };
    command.promise.then(settled, settled);
    return send(command, ...rest);
  };
  return {
    names: () => names,
    maxInFlight: () => most,
    reset: () => {
      names = [];
      most = inFlight;
    },
  };
}
