import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';

/** A response with its parsed JSON body. */
export interface JsonResponse<Body> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Body;
}

/**
 * Sends a GET with header lines exactly as given (repeated names stay separate lines, names keep
 * their case, empty values are sent), which supertest cannot express. Bodies are JSON.
 */
export async function rawGet<Body>(
  app: INestApplication,
  path: string,
  lines: readonly (readonly [string, string])[] = [],
): Promise<JsonResponse<Body>> {
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  // Node adds no Host when headers are given as raw lines.
  const headers = ['Host', `127.0.0.1:${port}`, ...lines.flatMap(([name, value]) => [name, value])];
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Body });
        } catch (error) {
          reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`, { cause: error }));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
