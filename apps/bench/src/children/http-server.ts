// Scenario 11's child: serves one subject's Nest app (see http/http-apps.ts) on a loopback port,
// so that the load generator, in the parent, does not share the server's event loop.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { handlerRuns, type RedisTarget, startApp } from '../http/http-apps.js';
import type { HttpSubject } from '../http/http-subjects.js';
import { serve } from './serve.js';

/** What the server process did so far. */
export interface ServerStats {
  /** Handler runs (cache misses, or every request of the bare route). */
  readonly handlerRuns: number;
  /** CPU time of this process (user + system), µs. */
  readonly cpuMicros: number;
}

export type HttpServerCommands = {
  /** Starts the app of `subject`; returns its port. */
  start(subject: HttpSubject, redis: RedisTarget | undefined): number;
  stats(): ServerStats;
  /** This process's id (for CPU pinning). */
  pid(): number;
};

let app: INestApplication | undefined;

await serve<HttpServerCommands>(
  {
    async start(subject, redis) {
      if (app !== undefined) throw new Error('already started');
      const started = await startApp(subject, redis);
      app = started.app;
      return started.port;
    },
    stats() {
      const cpu = process.cpuUsage();
      return { handlerRuns: handlerRuns.count, cpuMicros: cpu.user + cpu.system };
    },
    pid() {
      return process.pid;
    },
  },
  async () => {
    await app?.close();
  },
);
