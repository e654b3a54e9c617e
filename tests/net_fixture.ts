/**
 * An in-memory network for node tests: every node of a test process joins one hub, which passes
 * bytes between them as a network would (asynchronously, in order per link), with the sender's
 * id authenticated by the hub as the Noise handshake does over TCP. A test can take a node off the
 * hub (down) and count what it sent.
 */
import type { NodeId } from "../consensus/types.ts";
import type { RunReport } from "../consensus/report.ts";
import type { NodeTransport, NodeTransportOptions } from "../net/node.ts";

/** Nodes joined to one in-memory network. */
export class MemoryHub {
  readonly nodes = new Map<NodeId, NodeTransportOptions>();
  readonly sentBytes = new Map<NodeId, number>();

  /** The transport factory a node is given (`runNode({ transport: hub.transport })`). */
  transport = (o: NodeTransportOptions): Promise<NodeTransport> => {
    this.nodes.set(o.id, o);
    let sentBytes = 0, sentMessages = 0;
    const dropped: Record<string, number> = {};
    return Promise.resolve({
      send: (to: NodeId, data: Uint8Array) => {
        sentBytes += data.length;
        sentMessages++;
        this.sentBytes.set(o.id, (this.sentBytes.get(o.id) ?? 0) + data.length);
        const copy = data.slice();
        queueMicrotask(() => this.nodes.get(to)?.onMessage(o.id, copy));
      },
      request: async (to: NodeId, data: Uint8Array) => {
        const peer = this.nodes.get(to);
        return peer ? await peer.onRequest(o.id, data.slice()) : undefined;
      },
      stats: () => ({ sentBytes, sentMessages, dropped }),
      stop: () => {
        if (this.nodes.get(o.id) === o) this.nodes.delete(o.id);
        return Promise.resolve();
      },
    });
  };
}

/**
 * What must match between runtimes: every delegate's cells (in any order: arrival order differs) and
 * decision per round, each normal node's acceptance, and the outcome.
 */
export function traceEssence(r: RunReport): unknown {
  return {
    rounds: r.rounds.map((x) => ({
      round: x.round,
      leader: x.leader,
      received: Object.fromEntries(Object.entries(x.received).map(([k, v]) => [k, [...v].sort()])),
      decision: x.decision,
    })),
    accepted: r.normal.accepted,
    outcome: r.outcome,
  };
}
