import { spawn, type ChildProcess } from 'node:child_process';
import { OutputTail } from './output-tail.util.js';
import { trackProcess } from './process-registry.util.js';

/** How a {@link ManagedProcess} ended. */
export interface ProcessExit {
  /** Exit code, or `null` when a signal ended it or it never started. */
  readonly code: number | null;
  /** Terminating signal, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all (e.g. `ENOENT`). */
  readonly error?: Error;
}

/** Options for {@link ManagedProcess.spawn}. */
export interface SpawnProcessOptions {
  /** Working directory of the child. */
  readonly cwd?: string;
  /** Run the child under this user id (requires root). */
  readonly uid?: number;
  /** Run the child under this group id (requires root). */
  readonly gid?: number;
}

/**
 * A server process spawned for a test: output captured (last lines kept), registered for SIGKILL
 * on process exit, with helpers to signal it and wait for its end.
 */
export class ManagedProcess {
  /** Last lines of the process's stdout and stderr. */
  readonly output = new OutputTail();
  /** Settles once when the process has exited (or failed to spawn); never rejects. */
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** The command line, for error messages. */
    readonly commandLine: string,
  ) {
    this.output.attach(child.stdout);
    this.output.attach(child.stderr);
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      });
      child.once('error', (error) => {
        // 'error' without a pid means spawn failed and no 'exit' will follow.
        if (child.pid !== undefined) return;
        this.exitInfo ??= { code: null, signal: null, error };
        resolve(this.exitInfo);
      });
    });
    trackProcess(child);
  }

  /**
   * Spawns a command with stdin ignored and stdout/stderr captured.
   *
   * @param command - Executable path.
   * @param args - Arguments, passed without a shell.
   * @param options - Working directory and user to run as.
   * @returns The running (or failing-to-spawn) process.
   */
  static spawn(command: string, args: readonly string[], options: SpawnProcessOptions = {}): ManagedProcess {
    const child = spawn(command, args, {
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ManagedProcess(child, [command, ...args].join(' '));
  }

  /** Process id, once spawned. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has been spawned and has not exited yet. */
  get running(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined && this.child.exitCode === null;
  }

  /**
   * Sends a signal if the process still runs.
   *
   * @param signal - Signal name.
   * @returns Whether the signal was delivered.
   */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      return this.child.kill(signal);
    } catch {
      return false;
    }
  }

  /**
   * Signals the process and waits for it to exit; escalates to SIGKILL after `timeoutMs`.
   *
   * @param signal - First signal to send (e.g. SIGTERM for a graceful stop, SIGKILL for a crash).
   * @param timeoutMs - Grace period before SIGKILL.
   * @returns How the process exited.
   */
  async terminate(signal: NodeJS.Signals, timeoutMs = 10_000): Promise<ProcessExit> {
    this.signal(signal);
    if (signal === 'SIGKILL') return this.exited;
    // A frozen (SIGSTOPped) process would keep the signal pending until thawed.
    this.signal('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const first = await Promise.race([this.exited, escalate.then(() => undefined)]);
    clearTimeout(timer);
    if (first !== undefined) return first;
    this.signal('SIGKILL');
    return this.exited;
  }

  /** @returns A one-paragraph account of the command, how it ended and its last output lines. */
  describe(): string {
    const exit = this.exitInfo;
    const status =
      exit === undefined
        ? 'still running'
        : exit.error !== undefined
          ? `failed to spawn: ${exit.error.message}`
          : `exited with ${exit.signal ?? `code ${String(exit.code)}`}`;
    const output = this.output.text();
    return `\`${this.commandLine}\` ${status}${output === '' ? ' (no output)' : `; last output:\n${output}`}`;
  }
}
