import { listedPorts, type ClusterAddress } from './redis-cluster-topology.util.js';
import { sendRedisCommands, textReply } from './redis-command.util.js';

/**
 * Introduces again, with `CLUSTER MEET`, every running node that another running node does not
 * list. A cluster forms by handshakes, and a handshake that does not finish within the node
 * timeout (1 s at the least: easily passed on a loaded machine) is dropped; the node it was
 * meeting is then known to nobody, and gossip, which only spreads nodes someone knows, never
 * brings it back. Errors are ignored: a node that does not answer is left to the health check.
 *
 * @param running - The nodes that run, each on its own port.
 * @returns How many introductions were sent.
 */
export async function introduceMissingNodes(running: readonly ClusterAddress[]): Promise<number> {
  const views = await Promise.all(
    running.map(async (node) => {
      try {
        const [nodes, busPort] = await sendRedisCommands(node.host, node.port, [
          ['CLUSTER', 'NODES'],
          ['CONFIG', 'GET', 'cluster-port'],
        ]);
        const port = Array.isArray(busPort) ? String(busPort[1]) : '';
        return { node, listed: listedPorts(textReply(nodes, 'CLUSTER NODES')), busPort: port };
      } catch {
        return undefined;
      }
    }),
  );
  const answering = views.flatMap((view) => (view === undefined ? [] : [view]));
  const meetings: Promise<unknown>[] = [];
  for (const { node, listed } of answering) {
    for (const other of answering) {
      if (other.node.port === node.port || listed.has(other.node.port)) continue;
      const meet: [string, ...string[]] = ['CLUSTER', 'MEET', other.node.host, String(other.node.port)];
      if (other.busPort !== '' && other.busPort !== '0') meet.push(other.busPort);
      meetings.push(sendRedisCommands(node.host, node.port, [meet]).catch(() => undefined));
    }
  }
  await Promise.all(meetings);
  return meetings.length;
}
