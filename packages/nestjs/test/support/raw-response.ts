import type { INestApplication } from '@nestjs/common';
import request from 'supertest';

/** A response with its body as the raw bytes received, whatever its content type. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * Sends a GET, HEAD or POST through supertest and keeps the body as bytes, so a test can compare
 * bodies byte for byte (supertest would otherwise parse JSON and text).
 */
export async function rawRequest(
  app: INestApplication,
  method: 'get' | 'head' | 'post',
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<RawResponse> {
  const agent = request(app.getHttpServer());
  let test = agent[method](path);
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
  const res = await test.buffer(true).parse((stream, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => done(null, Buffer.concat(chunks)));
  });
  const body: unknown = res.body;
  return {
    status: res.status,
    headers: res.headers as RawResponse['headers'],
    body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
  };
}
