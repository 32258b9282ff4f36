/** A command in flight: its deadline (`performance.now()` time), and how it is given up on. */
export interface InFlightCommand {
  readonly deadline: number;
  expire(): void;
  /** The links of the {@link InFlightCommands} it is in: set by that list only. */
  previous: InFlightCommand | undefined;
  next: InFlightCommand | undefined;
}

/**
 * The commands in flight, in a list linked through the commands themselves: adding one and
 * removing it allocate nothing and leave nothing behind.
 *
 * Not a `Set`: one that every command goes through reallocates its table as it is used, and a
 * table left in the old generation still points to the commands it held, which keeps them (and
 * the promises and replies they reach) alive through the next minor collections, to be promoted
 * and collected only by a major one.
 */
export class InFlightCommands {
  private head: InFlightCommand | undefined;

  add(command: InFlightCommand): void {
    const head = this.head;
    command.previous = undefined;
    command.next = head;
    if (head !== undefined) head.previous = command;
    this.head = command;
  }

  /** Removes `command`; nothing if it is not in the list. */
  delete(command: InFlightCommand): void {
    const { previous, next } = command;
    if (previous !== undefined) previous.next = next;
    else if (this.head === command) this.head = next;
    else return;
    if (next !== undefined) next.previous = previous;
    command.previous = undefined;
    command.next = undefined;
  }

  /** Calls `visit` on each command; it may remove the one it is given. */
  forEach(visit: (command: InFlightCommand) => void): void {
    let command = this.head;
    while (command !== undefined) {
      const next = command.next;
      visit(command);
      command = next;
    }
  }
}
