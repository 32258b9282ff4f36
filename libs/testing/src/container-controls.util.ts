import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { PauseController } from './pause-controller.util.js';
import { SerialQueue } from './serial-queue.util.js';
import { TestServerError } from './test-server.error.js';

type DockerContainer = ReturnType<ContainerRuntimeClient['container']['getById']>;

/** How long Docker waits after the stop signal before it kills the container. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Fault injection for a server running in a Testcontainers container: graceful stop, SIGKILL,
 * restart (the container keeps its data and its fixed host port), pause/unpause, and disposal.
 */
export class ContainerControls {
  private readonly queue = new SerialQueue();
  private readonly pauser: PauseController;
  private running = true;
  private disposed = false;

  /**
   * @param started - The started container (its host port must be a fixed binding).
   * @param waitReady - Resolves once the server in the container answers again.
   */
  constructor(
    private readonly started: StartedTestContainer,
    private readonly waitReady: () => Promise<void>,
  ) {
    this.pauser = new PauseController(
      async () => {
        await (await this.container()).pause();
      },
      async () => {
        await (await this.container()).unpause();
      },
    );
  }

  /** Docker's stop: the image's stop signal, then SIGKILL after a grace period; waits for the exit. */
  stop(): Promise<void> {
    return this.queue.run(async () => {
      await this.pauser.resumeNow();
      if (!this.running) return;
      const { getContainerRuntimeClient } = await import('testcontainers');
      const client = await getContainerRuntimeClient();
      await client.container.stop(await this.container(), { timeout: STOP_TIMEOUT_MS });
      this.running = false;
    });
  }

  /** SIGKILL to the container's main process; waits until the container has exited. */
  kill(): Promise<void> {
    return this.queue.run(async () => {
      await this.pauser.resumeNow();
      if (!this.running) return;
      const container = await this.container();
      await container.kill({ signal: 'SIGKILL' });
      await container.wait();
      this.running = false;
    });
  }

  /** Starts the container again (stopping it gracefully first if it runs) and waits until it answers. */
  restart(): Promise<void> {
    return this.queue.run(async () => {
      this.assertUsable();
      await this.pauser.resumeNow();
      if (this.running) {
        const { getContainerRuntimeClient } = await import('testcontainers');
        const client = await getContainerRuntimeClient();
        await client.container.stop(await this.container(), { timeout: STOP_TIMEOUT_MS });
        this.running = false;
      }
      await this.started.restart();
      this.running = true;
      await this.waitReady();
    });
  }

  /**
   * Freezes the container (`docker pause`) for `ms`, then unpauses it.
   *
   * @param ms - Duration of the freeze.
   */
  async pause(ms: number): Promise<void> {
    this.assertUsable();
    if (!this.running) throw new TestServerError('E_NOT_RUNNING', 'cannot pause a stopped server');
    return this.pauser.pause(ms);
  }

  /** Removes the container and its volumes. Idempotent. */
  dispose(): Promise<void> {
    return this.queue.run(async () => {
      if (this.disposed) return;
      this.disposed = true;
      await this.pauser.resumeNow();
      await this.started.stop({ remove: true, removeVolumes: true });
      this.running = false;
    });
  }

  private assertUsable(): void {
    if (this.disposed) throw new TestServerError('E_DISPOSED', 'this server has been disposed');
  }

  private async container(): Promise<DockerContainer> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return client.container.getById(this.started.getId());
  }
}
