import type { INestApplication } from '@nestjs/common';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';
import { attackBackends, startAttackApp } from './key-attack.controller.js';

const redis = useRedisServer();

/** A raw response: the `X-Cache` header and the body. */
interface Answer {
  readonly status: number;
  readonly cache: string | undefined;
  readonly body: string;
}

/**
 * Sends `GET /atk/links` with the request line's version and header lines exactly as given (no
 * `Host` unless listed), and reads the answer until the server closes the connection.
 */
async function getLinks(app: INestApplication, version: string, lines: readonly string[]): Promise<Answer> {
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  const text = [`GET /atk/links HTTP/${version}`, ...lines, 'Connection: close', '', ''].join('\r\n');
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(text);
  });
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  return {
    status: Number(head.split(' ')[1]),
    cache: /\r\nx-cache: *([^\r]*)/i.exec(head)?.[1],
    body: raw.slice(split + 4),
  };
}

/** `Host` forms, each with what a handler that builds links from `req.headers.host` must answer. */
const HOSTS: { name: string; version: string; lines: string[] }[] = [
  { name: 'no Host (HTTP/1.0)', version: '1.0', lines: [] },
  { name: 'an empty Host', version: '1.1', lines: ['Host:'] },
  { name: 'an empty Host on HTTP/1.0', version: '1.0', lines: ['Host:'] },
  { name: 'a Host', version: '1.1', lines: ['Host: a.test'] },
  { name: 'two Host lines, the first one kept', version: '1.1', lines: ['Host: a.test', 'Host: b.test'] },
  { name: 'a Host with userinfo', version: '1.1', lines: ['Host: u@a.test'] },
  { name: 'an IPv6 Host', version: '1.1', lines: ['Host: [::1]'] },
  { name: 'an IPv6 Host with its port', version: '1.1', lines: ['Host: [::1]:8080'] },
  { name: 'a Host with a trailing dot', version: '1.1', lines: ['Host: a.test.'] },
];

describe.each(HTTP_ADAPTERS)('HTTP cache keys against the Host the handler reads, on %s', (adapter) => {
  describe.each(attackBackends(redis))('with $name', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startAttackApp(adapter, backend);
    });
    afterAll(async () => {
      await app.close();
    });

    it('answers each Host form only with a page built for the same Host value', async () => {
      for (const host of HOSTS) {
        // What the handler says for this Host: a poisoning header makes the request bypass.
        const own = await getLinks(app, host.version, [...host.lines, 'X-Forwarded-Host: bypass.test']);
        expect(own.cache, host.name).toBeUndefined();
        const res = await getLinks(app, host.version, host.lines);
        expect(res.status, host.name).toBe(own.status);
        expect(res.body, host.name).toBe(own.body);
      }
    });
  });
});
