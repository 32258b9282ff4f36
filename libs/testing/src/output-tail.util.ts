import type { Readable } from 'node:stream';

/** Keeps the last lines written to one or more streams, to quote in error messages. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  /** @param maxLines - How many complete lines to keep. */
  constructor(private readonly maxLines = 40) {}

  /**
   * Starts collecting a stream's output (which also keeps the pipe drained).
   *
   * @param stream - A child process's stdout or stderr; `null` is ignored.
   */
  attach(stream: Readable | null): void {
    if (stream === null) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
  }

  /**
   * Adds text; complete lines are kept, a trailing partial line waits for its end.
   *
   * @param text - Raw output.
   */
  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > this.maxLines) this.lines.shift();
    }
  }

  /** @returns The kept lines (and any partial line), newline-separated. */
  text(): string {
    return [...this.lines, ...(this.partial.trim() === '' ? [] : [this.partial])].join('\n');
  }
}
