import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { afterResponseDetached, restoreHeaders } from './detached-response.js';
import type { HeaderValue } from './http-headers.js';

/** A response object like Node's: header methods on the prototype, throwing once sent. */
class FakeResponse extends EventEmitter {
  writableFinished = false;
  readonly sent = new Map<string, HeaderValue>();
  setHeader(name: string, value: HeaderValue): this {
    if (this.writableFinished) throw new Error('ERR_HTTP_HEADERS_SENT');
    this.sent.set(name.toLowerCase(), value);
    return this;
  }
  getHeaders(): Record<string, HeaderValue> {
    return Object.fromEntries(this.sent);
  }
  removeHeader(name: string): void {
    this.sent.delete(name.toLowerCase());
  }
}

describe('afterResponseDetached', () => {
  it('waits for the response to finish, then gives the handler a private header map', async () => {
    const res = new FakeResponse();
    res.setHeader('x-stale', '1');
    let ran = false;
    const refresh = afterResponseDetached(res, { vary: 'Accept' }, () => {
      ran = true;
      res.setHeader('X-Handler', '2');
      return Promise.resolve(res.getHeaders());
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    res.writableFinished = true;
    res.emit('finish');
    expect(await refresh).toEqual({ vary: 'Accept', 'x-handler': '2' });
    // The sent response is untouched and the prototype methods are back.
    expect(res.getHeaders()).toEqual({ 'x-stale': '1' });
    expect(Object.hasOwn(res, 'setHeader')).toBe(false);
  });

  it('uses the raw response of a Fastify-like reply for the wait', async () => {
    const raw = new FakeResponse();
    raw.writableFinished = true;
    const reply = { raw, header: (_name: string, _value: string): unknown => reply, getHeaders: () => ({}) };
    const headers = await afterResponseDetached(reply, {}, () => {
      reply.header('x-a', '1');
      return Promise.resolve(reply.getHeaders());
    });
    expect(headers).toEqual({ 'x-a': '1' });
  });
});

describe('restoreHeaders', () => {
  it('removes added headers and resets changed ones', () => {
    const res = new FakeResponse();
    res.setHeader('vary', 'Accept');
    const snapshot = res.getHeaders();
    res.setHeader('x-failed', 'yes');
    res.setHeader('vary', 'Cookie');
    restoreHeaders(res, snapshot, (name, value) => res.setHeader(name, value));
    expect(res.getHeaders()).toEqual({ vary: 'Accept' });
  });
});
