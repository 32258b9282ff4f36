import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { RawResponse } from './raw-response.js';

/**
 * Sends a request with Node's own client, exactly the headers given (no `Accept-Encoding` of its
 * own, unlike supertest) and the body kept as the bytes received: coded bodies are not decoded.
 */
export function rawHttp(
  app: INestApplication,
  method: 'GET' | 'HEAD',
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<RawResponse> {
  const server = app.getHttpServer() as { address(): AddressInfo | string | null };
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on TCP');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: address.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
