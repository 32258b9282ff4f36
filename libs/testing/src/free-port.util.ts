import { createServer } from 'node:net';

/**
 * Asks the kernel for a currently free TCP port on a loopback address.
 *
 * Binds a throw-away server on port 0, reads the port it got and closes it again. Another
 * process could take the port in between, so callers retry once startup reports "address in use".
 *
 * @param host - Address to probe (default `127.0.0.1`).
 * @returns The free port number.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close(() => reject(new Error(`could not read a port bound on ${host}`)));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
