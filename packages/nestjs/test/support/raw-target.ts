import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

/** A response read off the socket: status, lowercase headers (last value wins) and body text. */
export interface RawTargetResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends `GET <target> HTTP/1.1` byte for byte over a fresh TCP connection (no URL parser on the
 * way, so `#`, `|`, bad `%`, raw UTF-8 reach the server as written), with `Host: host` unless
 * `headers` sets it, and reads the response until the server closes the connection.
 */
export async function sendRawTarget(
  app: INestApplication,
  target: string,
  headers: Readonly<Record<string, string>> = {},
  method = 'GET',
): Promise<RawTargetResponse> {
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address() as AddressInfo;
  const lines = [`${method} ${target} HTTP/1.1`];
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) lines.push('Host: strata.test');
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push('Connection: close', '', '');
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    // Not ended: a half-closed socket may be dropped before a slow answer; `Connection: close` ends it.
    socket.write(Buffer.from(lines.join('\r\n'), 'utf8'));
  });
  return parseResponse(raw);
}

function parseResponse(raw: Buffer): RawTargetResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split === -1 ? raw.length : split).toString('latin1');
  let body = split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = body.indexOf('\r\n', at);
    if (end === -1) break;
    const size = Number.parseInt(body.subarray(at, end).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
