import { PassThrough } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import {
  BYTES_CONTENT_TYPE,
  type BytesAnswer,
  bodyBytes,
  bodyLength,
  bytesResponse,
  JSON_CONTENT_TYPE,
  sendBytes,
  serializeBody,
  TEXT_CONTENT_TYPE,
} from './http-response-body.js';

/** A response object as both adapters expose it to `sendBytes`: headers by lowercase name. */
class FakeResponse {
  readonly headers = new Map<string, string | string[]>();
  getHeader(name: string): string | string[] | undefined {
    return this.headers.get(name.toLowerCase());
  }
}

/** The part of a Nest HTTP adapter `sendBytes` uses, writing into a {@link FakeResponse}. */
function fakeAdapter(type: 'express' | 'fastify'): AbstractHttpAdapter {
  const adapter = {
    getType: () => type,
    setHeader: (res: FakeResponse, name: string, value: string) => res.headers.set(name.toLowerCase(), value),
    appendHeader: (res: FakeResponse, name: string, value: string) => {
      const current = res.headers.get(name.toLowerCase());
      res.headers.set(name.toLowerCase(), current === undefined ? value : [current, value].flat());
    },
  };
  return adapter as unknown as AbstractHttpAdapter;
}

const JSON_TEXT = '{"name":"Grüße 🙂"}';

const answer = (
  body: BytesAnswer['body'],
  headers: BytesAnswer['headers'] = {},
  status = 200,
): BytesAnswer => ({
  status,
  headers,
  body,
});

/** What the response receives when Nest's Express reply pipes the file into it. */
async function streamedBytes(file: StreamableFile): Promise<Buffer> {
  const sink = new PassThrough();
  const done = text(sink);
  file.getStream().pipe(sink);
  return Buffer.from(await done, 'latin1');
}

async function text(stream: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

describe('serializeBody', () => {
  it('keeps JSON and strings as text, with their Content-Type', () => {
    expect(serializeBody({ a: 'é' })).toEqual({ body: '{"a":"é"}', contentType: JSON_CONTENT_TYPE });
    expect(serializeBody([1, true])).toEqual({ body: '[1,true]', contentType: JSON_CONTENT_TYPE });
    expect(serializeBody(0)).toEqual({ body: '0', contentType: JSON_CONTENT_TYPE });
    expect(serializeBody('hi')).toEqual({ body: 'hi', contentType: TEXT_CONTENT_TYPE });
  });

  it('keeps bytes as bytes (a view of a Uint8Array, not a copy)', () => {
    const buffer = Buffer.from([0xff, 0x00]);
    expect(serializeBody(buffer)).toEqual({ body: buffer, contentType: BYTES_CONTENT_TYPE });
    const backing = new Uint8Array([1, 2, 3, 4]);
    const { body } = serializeBody(backing.subarray(1, 3));
    expect(Buffer.isBuffer(body) && body.buffer === backing.buffer && [...body]).toEqual([2, 3]);
  });

  it('gives an empty body for null, undefined and what JSON cannot encode', () => {
    for (const value of [null, undefined, () => 1, Symbol('s')]) {
      expect(serializeBody(value)).toEqual({ body: '', contentType: undefined });
    }
  });
});

describe('bodyBytes / bodyLength', () => {
  it('counts and encodes a string as UTF-8', () => {
    expect(bodyLength(JSON_TEXT)).toBe(Buffer.byteLength(JSON_TEXT, 'utf8'));
    expect(bodyBytes(JSON_TEXT).equals(Buffer.from(JSON_TEXT, 'utf8'))).toBe(true);
    const bytes = Buffer.from([0xff]);
    expect(bodyBytes(bytes)).toBe(bytes);
    expect(bodyLength(bytes)).toBe(1);
  });
});

describe('bytesResponse', () => {
  it('sends a text body as its UTF-8 bytes with their Content-Length', async () => {
    const res = bytesResponse(404, { 'content-type': JSON_CONTENT_TYPE, 'set-cookie': 'a=1' }, JSON_TEXT);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(JSON_TEXT)));
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(JSON_TEXT))).toBe(true);
  });

  it('sends no body with a 304', async () => {
    const res = bytesResponse(304, { etag: '"x"' }, undefined);
    expect(res.headers.get('etag')).toBe('"x"');
    expect(await res.text()).toBe('');
  });
});

describe('sendBytes', () => {
  it('on Express, returns a JSON or text body as the string when its Content-Type survives res.send as it is', () => {
    const res = new FakeResponse();
    const headers = {
      'content-type': JSON_CONTENT_TYPE,
      etag: '"e"',
      'x-cache': 'HIT',
      'content-length': '1',
    };
    const value = sendBytes(fakeAdapter('express'), res, 200, answer(JSON_TEXT, headers));
    expect(value).toBe(JSON_TEXT);
    expect(res.getHeader('etag')).toBe('"e"');
    expect(res.getHeader('x-cache')).toBe('HIT');
    // Express computes it from the string; a stored value is never sent.
    expect(res.getHeader('content-length')).toBeUndefined();
  });

  it("on Express, sends the handler's own Content-Type the same way when it is already in res.send's form", () => {
    const res = new FakeResponse();
    res.headers.set('content-type', 'application/vnd.api+json; charset=utf-8');
    expect(sendBytes(fakeAdapter('express'), res, 200, answer(JSON_TEXT, { 'x-cache': 'MISS' }))).toBe(
      JSON_TEXT,
    );
  });

  it('on Express, streams the bytes when res.send would rewrite the Content-Type or there is none', async () => {
    for (const type of ['application/json;charset=UTF-8', 'application/json', 'text/plain; charset=latin1']) {
      const res = new FakeResponse();
      const value = sendBytes(fakeAdapter('express'), res, 200, answer(JSON_TEXT, { 'content-type': type }));
      expect(value).toBeInstanceOf(StreamableFile);
      expect((await streamedBytes(value as StreamableFile)).equals(Buffer.from(JSON_TEXT))).toBe(true);
      expect(res.getHeader('content-type')).toBe(type);
      expect(res.getHeader('content-length')).toBe(String(Buffer.byteLength(JSON_TEXT)));
    }
  });

  it('on Express, streams a binary body byte for byte', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3]);
    const res = new FakeResponse();
    const value = sendBytes(
      fakeAdapter('express'),
      res,
      200,
      answer(bytes, { 'content-type': BYTES_CONTENT_TYPE }),
    );
    expect((await streamedBytes(value as StreamableFile)).equals(bytes)).toBe(true);
  });

  it('on Fastify, returns a text body as the string when Fastify sends its Content-Type as it is', () => {
    const res = new FakeResponse();
    const value = sendBytes(
      fakeAdapter('fastify'),
      res,
      200,
      answer(JSON_TEXT, { 'content-type': JSON_CONTENT_TYPE }),
    );
    expect(value).toBe(JSON_TEXT);
    // Fastify computes it from the string.
    expect(res.getHeader('content-length')).toBeUndefined();
  });

  it('on Fastify, returns the bytes with their Content-Length otherwise (Fastify would add a charset)', () => {
    for (const [body, type] of [
      [JSON_TEXT, 'application/json'],
      [JSON_TEXT, 'application/json;charset=UTF-8'],
      [Buffer.from([0xff, 0x00]), BYTES_CONTENT_TYPE],
    ] as const) {
      const res = new FakeResponse();
      const value = sendBytes(fakeAdapter('fastify'), res, 200, answer(body, { 'content-type': type }));
      expect(Buffer.isBuffer(value) && value.equals(bodyBytes(body))).toBe(true);
      expect(res.getHeader('content-length')).toBe(String(bodyLength(body)));
      expect(res.getHeader('content-type')).toBe(type);
    }
  });

  it('sends repeated header lines as repeated lines, and never Set-Cookie', () => {
    const res = new FakeResponse();
    const headers = { link: ['</a>', '</b>'], 'set-cookie': 'sid=1', 'content-type': JSON_CONTENT_TYPE };
    sendBytes(fakeAdapter('express'), res, 200, answer(JSON_TEXT, headers));
    expect(res.getHeader('link')).toEqual(['</a>', '</b>']);
    expect(res.getHeader('set-cookie')).toBeUndefined();
  });

  it('answers another status than the route gives, or an empty body, as a web Response', async () => {
    const notModified = sendBytes(
      fakeAdapter('express'),
      new FakeResponse(),
      200,
      answer(undefined, {}, 304),
    );
    expect(notModified).toBeInstanceOf(Response);
    expect((notModified as Response).status).toBe(304);
    const negative = sendBytes(fakeAdapter('fastify'), new FakeResponse(), 200, answer(JSON_TEXT, {}, 404));
    expect(await (negative as Response).text()).toBe(JSON_TEXT);
    const empty = sendBytes(fakeAdapter('express'), new FakeResponse(), 204, answer('', {}, 204));
    expect(empty).toBeInstanceOf(Response);
  });
});
