import { parseInfoFields, sendRedisCommands, textReply } from './redis-command.util.js';

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/** Where a node listens. */
export interface ClusterAddress {
  readonly host: string;
  readonly port: number;
}

/** One line of `CLUSTER NODES`: a node as one member of the cluster sees it. */
export interface ClusterNodeEntry extends ClusterAddress {
  /** Cluster node id (40 hex digits). */
  readonly id: string;
  readonly role: 'primary' | 'replica';
  /** For a replica, the id of its primary. */
  readonly primaryId: string | undefined;
  /** This line describes the node that was asked. */
  readonly myself: boolean;
  /** Flagged `fail` or `fail?` (unreachable) by the node that was asked. */
  readonly failing: boolean;
  /** Inclusive slot ranges served (primaries only); slots being migrated are left out. */
  readonly slots: readonly (readonly [number, number])[];
}

/**
 * Parses the reply to `CLUSTER NODES`. Nodes still in handshake or without an address are left out.
 *
 * @param text - The reply.
 * @returns One entry per known node.
 */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [id, address, flagList, primary, , , , , ...slotFields] = line.trim().split(' ');
    if (id === undefined || address === undefined || flagList === undefined || primary === undefined)
      continue;
    const flags = flagList.split(',');
    if (flags.includes('handshake') || flags.includes('noaddr')) continue;
    const role = flags.includes('master') ? 'primary' : flags.includes('slave') ? 'replica' : undefined;
    if (role === undefined) continue;
    entries.push({
      id,
      ...addressOf(address),
      role,
      primaryId: primary === '-' ? undefined : primary,
      myself: flags.includes('myself'),
      failing: flags.includes('fail') || flags.includes('fail?'),
      slots: slotFields.filter((field) => !field.startsWith('[')).map(parseSlotRange),
    });
  }
  return entries;
}

/** The host and port of a `CLUSTER NODES` address field, `ip:port@cport[,hostname]`. */
function addressOf(field: string): ClusterAddress {
  const hostPort = field.split('@')[0] ?? '';
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

/**
 * The ports of every node a `CLUSTER NODES` reply lists, handshakes included (unlike
 * {@link parseClusterNodes}: a node being met is on its way into the cluster).
 *
 * @param text - The reply.
 */
export function listedPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split(/\r?\n/)) {
    const address = line.trim().split(' ')[1];
    if (address !== undefined) ports.add(addressOf(address).port);
  }
  return ports;
}

function parseSlotRange(field: string): readonly [number, number] {
  const [first, last] = field.split('-');
  return [Number(first), Number(last ?? first)];
}

/**
 * @param view - A parsed `CLUSTER NODES` reply.
 * @param slot - A hash slot.
 * @returns The primary serving `slot` in this view, if any.
 */
export function primaryOfSlot(view: readonly ClusterNodeEntry[], slot: number): ClusterNodeEntry | undefined {
  return view.find(
    (entry) => entry.role === 'primary' && entry.slots.some(([first, last]) => first <= slot && slot <= last),
  );
}

/** Who serves which slots, as one string, to compare the views of different nodes. */
function slotMapSignature(view: readonly ClusterNodeEntry[]): string {
  return view
    .filter((entry) => entry.role === 'primary' && entry.slots.length > 0)
    .map((entry) => `${entry.port}:${entry.slots.map(([first, last]) => `${first}-${last}`).join(',')}`)
    .sort()
    .join(' ');
}

/** Checks one running node; returns its view. */
async function checkNode(
  node: ClusterAddress,
  running: readonly ClusterAddress[],
  knownNodes: number,
): Promise<ClusterNodeEntry[]> {
  const where = `${node.host}:${node.port}`;
  const [info, nodes, replication] = await sendRedisCommands(node.host, node.port, [
    ['CLUSTER', 'INFO'],
    ['CLUSTER', 'NODES'],
    ['INFO', 'replication'],
  ]);
  const fields = parseInfoFields(textReply(info, 'CLUSTER INFO'));
  // cluster_state is `ok` even with slots unserved when cluster-require-full-coverage is `no`.
  const wanted = {
    cluster_state: 'ok',
    cluster_slots_ok: String(CLUSTER_SLOTS),
    cluster_known_nodes: String(knownNodes),
  };
  for (const [key, value] of Object.entries(wanted)) {
    const actual = fields.get(key) ?? '(missing)';
    if (actual !== value) throw new Error(`${where} reports ${key}:${actual} (waiting for ${value})`);
  }
  const view = parseClusterNodes(textReply(nodes, 'CLUSTER NODES'));
  for (const other of running) {
    const entry = view.find((candidate) => candidate.port === other.port);
    if (entry === undefined || entry.failing) {
      throw new Error(`${where} sees ${other.host}:${other.port} as ${entry ? 'failing' : 'unknown'}`);
    }
  }
  if (view.find((entry) => entry.myself)?.role === 'replica') {
    const link = parseInfoFields(textReply(replication, 'INFO replication')).get('master_link_status');
    if (link !== 'up')
      throw new Error(`replica ${where} has not synced with its primary (link ${link ?? '?'})`);
  }
  return view;
}

/**
 * One health check of a cluster whose nodes are all on distinct ports: every running node reports
 * `cluster_state:ok` with all slots served, knows `knownNodes` nodes, sees no running node as failing
 * and agrees with the others on which primary serves which slots; every running replica has synced.
 *
 * @param running - The nodes that run (stopped ones are not asked).
 * @param knownNodes - How many nodes the cluster has, running or not.
 * @returns The view the nodes agree on.
 * @throws Error naming the first problem found.
 */
export async function checkClusterHealth(
  running: readonly ClusterAddress[],
  knownNodes: number,
): Promise<ClusterNodeEntry[]> {
  const views = await Promise.all(running.map((node) => checkNode(node, running, knownNodes)));
  const first = views[0];
  if (first === undefined) throw new Error('no node of the cluster is running');
  const signature = slotMapSignature(first);
  running.forEach((node, index) => {
    const view = views[index];
    if (view !== undefined && slotMapSignature(view) !== signature) {
      throw new Error(`${node.host}:${node.port} does not agree yet on which primary serves which slots`);
    }
  });
  return first;
}
