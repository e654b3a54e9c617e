/**
 * The network transport of a participant process: js-libp2p over TCP with Noise
 * (encryption and authentication) and Yamux (streams).
 *
 * - A participant's libp2p identity is its PoSo Ed25519 key (net/identity.ts),
 *   so the Noise handshake proves who is at the other end. A connection gater
 *   admits only the PeerIds of the participants it was given, inbound and
 *   outbound, once the handshake has authenticated the remote key.
 * - `/poso/msg/1`: one long-lived outbound stream per peer carrying
 *   length-prefixed frames (net/transport_frame.ts), in order. The transport
 *   keeps that stream up: it dials every peer at start and redials with backoff
 *   whenever the stream or the peer goes down, and queues messages meanwhile (a
 *   bounded queue per peer; the oldest is dropped and counted when full).
 * - `/poso/sync/1`: one stream per request, one frame each way.
 * - Every frame is capped: a length prefix above the cap is refused before
 *   anything is allocated for it, the stream is reset and the drop counted.
 *   Junk (garbage bytes, a failed handshake, a truncated frame) is dropped and
 *   counted ({@link DROP}); a stream for an unknown protocol is refused by
 *   libp2p's protocol negotiation (not counted). None of it reaches the caller
 *   or throws.
 *
 * Deno permissions:
 * - `--allow-net` to the listen host:port and to every peer's host:port
 *   (nothing else: no DNS-over-HTTPS, no bootstrap peers);
 * - `--allow-env`, unscoped: libp2p's debug logger lists every environment
 *   variable when its module loads (so merely importing this module needs it;
 *   keep it out of modules that run without it);
 * - `--allow-sys=networkInterfaces` only when listening on 0.0.0.0 or `::` and
 *   calling {@link Transport.address}.
 *
 * After {@link Transport.stop} the process exits on its own when
 * {@link morticeChannelClosed} is true (net/transport_keepalive.ts); a caller
 * that must not depend on that workaround ends the process with `Deno.exit()`.
 *
 * @module
 */
import { createLibp2p, type Libp2p } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@libp2p/noise";
import { yamux } from "@libp2p/yamux";
import { defaultLogger } from "@libp2p/logger";
import type { Connection, Logger, PeerId, Stream } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { isIP } from "node:net";
import type { NodeId } from "../consensus/types.ts";
import type { KeyPair } from "../actors/keys.ts";
import { libp2pPrivateKey, peerIdOfPublicKey } from "./identity.ts";
import { encodeFrame, FRAME_PREFIX_BYTES, FrameDecoder, MAX_FRAME_LENGTH } from "./transport_frame.ts";
import { morticeChannelClosed } from "./transport_keepalive.ts";

export { morticeChannelClosed };

/** Protocol id of the message stream (one long-lived stream per peer and direction). */
export const MSG_PROTOCOL = "/poso/msg/1";
/** Protocol id of request/response (one stream per request). */
export const SYNC_PROTOCOL = "/poso/sync/1";

/** Default bound of one peer's send queue, messages. */
export const DEFAULT_MAX_QUEUE_MESSAGES = 4096;
/** Default bound of one peer's send queue, bytes (frames incl. prefixes): 64 MiB. */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** First redial delay after a failed dial or a lost stream, ms. */
export const REDIAL_MIN_MS = 50;
/** Redial delay cap, ms: a restarted peer is reached at most this long after it listens again. */
export const REDIAL_MAX_MS = 500;
/** How long a `/poso/sync/1` responder waits for the request frame, ms. */
export const REQUEST_READ_TIMEOUT_MS = 10_000;
/**
 * Default time a new inbound TCP connection has to complete the libp2p
 * handshake (multistream-select, Noise, Yamux), ms. libp2p's own default is
 * 10 s; a socket sending junk that does not fail parsing holds one of libp2p's
 * 10 pending-connection slots that long.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 3000;
/** libp2p's log line when an inbound connection fails its handshake (counted as {@link DROP.handshake}). */
const UPGRADE_FAILED_LOG = "inbound connection upgrade failed";
/** Inbound streams a peer may hold open per connection, per protocol (one is normal). */
const MAX_INBOUND_STREAMS = 8;

/** Where a participant listens (from the scenario). */
export interface PeerAddress {
  /** The participant's id. */
  id: NodeId;
  /** Its raw Ed25519 public key, base64url, as in the genesis. */
  publicKey: string;
  /** IPv4 or IPv6 literal, or a DNS name. */
  host: string;
  /** TCP port, 1..65535. */
  port: number;
}

/** What {@link Transport.start} needs. */
export interface TransportOptions {
  /** Own participant id. */
  id: NodeId;
  /**
   * Own PoSo key (extractable; the last 32 bytes of its PKCS#8 export are the
   * Ed25519 seed). It becomes the libp2p identity, so the Noise handshake
   * authenticates the participant.
   */
  pair: KeyPair;
  /** Listen address; port 0 picks a free port (see {@link Transport.address}). */
  listen: { host: string; port: number };
  /** Every OTHER participant with its address. Only these may connect, inbound or outbound. */
  peers: PeerAddress[];
  /** Cap of one message (and of one request or answer), bytes. */
  maxMessageBytes: number;
  /** A whole message from an authenticated peer. A throw is caught and counted ("handler threw"). */
  onMessage: (from: NodeId, data: Uint8Array) => void;
  /** Answers one request of `/poso/sync/1`; the answer is capped too. Without it, requests are refused. */
  onRequest?: (from: NodeId, data: Uint8Array) => Promise<Uint8Array>;
  /** Told of every dropped or refused thing with a short reason. */
  onDropped?: (reason: string, from?: NodeId) => void;
  /** Told when the outbound message stream to a peer opens (true) or is lost (false). */
  onLink?: (peer: NodeId, up: boolean) => void;
  /** Time an inbound connection has for its handshake, ms (default {@link DEFAULT_HANDSHAKE_TIMEOUT_MS}). */
  handshakeTimeoutMs?: number;
  /** Bound of one peer's send queue, messages (default {@link DEFAULT_MAX_QUEUE_MESSAGES}). */
  maxQueueMessages?: number;
  /** Bound of one peer's send queue, bytes (default {@link DEFAULT_MAX_QUEUE_BYTES}). */
  maxQueueBytes?: number;
}

/** Counters of a {@link Transport}. Bytes are frame bytes, length prefixes included. */
export interface TransportStats {
  /** Frames handed to libp2p: messages, requests and answers. */
  sentMessages: number;
  /** Bytes of those frames. */
  sentBytes: number;
  /** Whole frames received from peers: messages, requests and answers. */
  receivedMessages: number;
  /** Bytes of those frames. */
  receivedBytes: number;
  /** Bytes sent to each peer (frames incl. length prefix). */
  bytesTo: Record<NodeId, number>;
  /** Count of drops by reason. */
  dropped: Record<string, number>;
}

/** Reasons counted in {@link TransportStats.dropped}. */
export const DROP = {
  /** A frame's length prefix exceeded the cap (stream reset). */
  oversize: "oversize",
  /** An answer or request we were to send exceeded the cap. */
  oversizeOwn: "oversize own frame",
  /** A stream ended in the middle of a frame. */
  truncated: "truncated frame",
  /**
   * An inbound connection failed its handshake: junk bytes, a timeout, or a
   * refusal by the gater (also counted as {@link DROP.unknownPeer}).
   */
  handshake: "handshake failed",
  /** The connection gater refused a peer outside the participant list. */
  unknownPeer: "unknown peer refused",
  /** A stream from a peer outside the list (cannot happen while the gater works; a second line). */
  unknownStream: "unknown peer stream",
  /** A peer's send queue was full: its oldest message was dropped. */
  queueFull: "queue full",
  /** send() or request() to an id that is not a peer. */
  noSuchPeer: "no such peer",
  /** onMessage or onRequest threw. */
  handlerThrew: "handler threw",
  /** A request arrived but this transport answers none. */
  noHandler: "request refused",
  /** A request stream failed (timeout, reset) before it was answered. */
  requestFailed: "request failed",
  /** Data arrived on a stream where none is expected. */
  unexpectedData: "unexpected data",
} as const;

interface PeerState {
  id: NodeId;
  peerId: PeerId;
  addr: Multiaddr;
  queue: Uint8Array[];
  queuedBytes: number;
  stream?: Stream;
  opening: boolean;
  flushing: boolean;
  retry?: ReturnType<typeof setTimeout>;
  backoffMs: number;
}

function checkPort(port: number, what: string, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new RangeError(`${what}: port ${port} is not an integer in ${allowZero ? 0 : 1}..65535`);
  }
}

/** The TCP multiaddr of host:port: /ip4, /ip6 or /dns. */
function tcpAddr(host: string, port: number): Multiaddr {
  const v = isIP(host);
  if (v === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) {
    throw new RangeError(`host ${JSON.stringify(host.slice(0, 80))}: not an IP address or DNS name`);
  }
  return multiaddr(`/${v === 4 ? "ip4" : v === 6 ? "ip6" : "dns"}/${host}/tcp/${port}`);
}

/**
 * `log` for libp2p component `name`; for the TCP listener, also calls
 * `onUpgradeFailed` when it logs a failed inbound handshake.
 */
function countingLogger(log: Logger, name: string, onUpgradeFailed: () => void): Logger {
  if (name !== "libp2p:tcp:listener") return log;
  const wrapped = ((formatter: unknown, ...args: unknown[]) => log(formatter, ...args)) as Logger;
  wrapped.error = (formatter: unknown, ...args: unknown[]) => {
    if (typeof formatter === "string" && formatter.startsWith(UPGRADE_FAILED_LOG)) {
      try {
        onUpgradeFailed();
      } catch {
        // Counting must never disturb libp2p.
      }
    }
    log.error(formatter, ...args);
  };
  wrapped.trace = (formatter: unknown, ...args: unknown[]) => log.trace(formatter, ...args);
  wrapped.newScope = (scope: string) => log.newScope(scope);
  Object.defineProperty(wrapped, "enabled", { get: () => log.enabled });
  return wrapped;
}

/** The payload of one chunk of a libp2p stream event. */
function bytesOf(data: Uint8Array | { subarray(): Uint8Array }): Uint8Array {
  return data instanceof Uint8Array ? data : data.subarray();
}

/**
 * A participant's libp2p endpoint: messages to peers in order, request/response,
 * counters. See the module documentation for the protocols and permissions.
 *
 * @example
 * ```ts ignore
 * const t = await Transport.start({ id: 1, pair, listen: { host: "127.0.0.1", port: 4001 }, peers,
 *   maxMessageBytes: 1 << 20, onMessage: (from, data) => console.log(from, data.length) });
 * t.send(2, new TextEncoder().encode("hello"));
 * await t.stop();
 * ```
 */
export class Transport {
  readonly #o: TransportOptions;
  readonly #node: Libp2p;
  readonly #peers: Map<NodeId, PeerState>;
  readonly #byPeerId: Map<string, NodeId>;
  readonly #maxQueueMessages: number;
  readonly #maxQueueBytes: number;
  readonly #abort = new AbortController();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #stopped = false;
  readonly #stats: TransportStats = {
    sentMessages: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    bytesTo: {},
    dropped: {},
  };

  private constructor(
    o: TransportOptions,
    node: Libp2p,
    peers: Map<NodeId, PeerState>,
    byPeerId: Map<string, NodeId>,
  ) {
    this.#o = o;
    this.#node = node;
    this.#peers = peers;
    this.#byPeerId = byPeerId;
    this.#maxQueueMessages = o.maxQueueMessages ?? DEFAULT_MAX_QUEUE_MESSAGES;
    this.#maxQueueBytes = o.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    for (const p of peers.values()) this.#stats.bytesTo[p.id] = 0;
  }

  /**
   * Checks the options, starts libp2p listening, and begins dialing every peer.
   * Throws (RangeError naming the field) on bad options or when it cannot listen.
   */
  static async start(options: TransportOptions): Promise<Transport> {
    const o = options;
    const cap = o.maxMessageBytes;
    if (!Number.isInteger(cap) || cap < 1 || cap > MAX_FRAME_LENGTH - FRAME_PREFIX_BYTES) {
      throw new RangeError(
        `maxMessageBytes ${cap}: not an integer in 1..${MAX_FRAME_LENGTH - FRAME_PREFIX_BYTES}`,
      );
    }
    for (
      const [k, v] of [
        ["maxQueueMessages", o.maxQueueMessages],
        ["maxQueueBytes", o.maxQueueBytes],
        ["handshakeTimeoutMs", o.handshakeTimeoutMs],
      ] as const
    ) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
        throw new RangeError(`${k} ${v}: not a positive integer`);
      }
    }
    checkPort(o.listen.port, "listen", true);
    const listenAddr = tcpAddr(o.listen.host, o.listen.port);
    if (isIP(o.listen.host) === 0) throw new RangeError(`listen host ${o.listen.host}: not an IP address`);
    const privateKey = await libp2pPrivateKey(o.pair);
    const ownPeerId = peerIdOfPublicKey(o.pair.publicKey).toString();
    const peers = new Map<NodeId, PeerState>();
    const byPeerId = new Map<string, NodeId>();
    for (const a of o.peers) {
      if (a.id === o.id) throw new RangeError(`peers: ${a.id} is this participant`);
      if (peers.has(a.id)) throw new RangeError(`peers: ${a.id} listed twice`);
      checkPort(a.port, `peer ${a.id}`, false);
      let peerId: PeerId;
      try {
        peerId = peerIdOfPublicKey(a.publicKey);
      } catch (e) {
        throw new RangeError(`peer ${a.id}: ${(e as Error).message}`);
      }
      const key = peerId.toString();
      if (key === ownPeerId || byPeerId.has(key)) throw new RangeError(`peer ${a.id}: public key used twice`);
      byPeerId.set(key, a.id);
      peers.set(a.id, {
        id: a.id,
        peerId,
        addr: tcpAddr(a.host, a.port).encapsulate(`/p2p/${key}`),
        queue: [],
        queuedBytes: 0,
        opening: false,
        flushing: false,
        backoffMs: REDIAL_MIN_MS,
      });
    }
    // The gater and the logger exist before the Transport does; they reach it through this.
    const ref: { self?: Transport } = {};
    const refuse = (peerId: PeerId): boolean => {
      const known = byPeerId.has(peerId.toString());
      if (!known && ref.self !== undefined) ref.self.#drop(DROP.unknownPeer);
      return !known;
    };
    const baseLogger = defaultLogger();
    const node = await createLibp2p({
      privateKey,
      connectionManager: { inboundUpgradeTimeout: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
      // libp2p reports a failed inbound handshake only in its log: count it from there.
      logger: {
        forComponent: (name) =>
          countingLogger(baseLogger.forComponent(name), name, () => {
            if (ref.self !== undefined) ref.self.#drop(DROP.handshake);
          }),
      },
      addresses: { listen: [listenAddr.toString()] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: (peerId) => !byPeerId.has(peerId.toString()),
        denyInboundEncryptedConnection: refuse,
        denyOutboundEncryptedConnection: refuse,
      },
      start: false,
    });
    const self = new Transport(o, node, peers, byPeerId);
    ref.self = self;
    try {
      await self.#begin();
    } catch (e) {
      await self.stop().catch(() => undefined);
      throw new Error(
        `participant ${o.id}: cannot listen on ${o.listen.host}:${o.listen.port}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    return self;
  }

  async #begin(): Promise<void> {
    const node = this.#node;
    await node.handle(MSG_PROTOCOL, (stream, conn) => this.#inboundMessages(stream, conn), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
    });
    await node.handle(SYNC_PROTOCOL, (stream, conn) => this.#answer(stream, conn), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
    });
    await node.start();
    for (const p of this.#peers.values()) void this.#open(p);
  }

  /**
   * Where this transport listens (the real port when started with port 0). On
   * 0.0.0.0 or `::` this needs `--allow-sys=networkInterfaces`; without it, the
   * configured listen address is returned.
   */
  address(): { host: string; port: number } {
    let addrs: Multiaddr[] = [];
    try {
      addrs = this.#node.getMultiaddrs();
    } catch {
      // On a wildcard address libp2p lists the interfaces, which needs --allow-sys=networkInterfaces.
    }
    for (const ma of addrs) {
      const c = ma.getComponents();
      const tcpPart = c.find((x) => x.name === "tcp");
      if (tcpPart?.value !== undefined && c[0].value !== undefined) {
        return { host: c[0].value, port: Number(tcpPart.value) };
      }
    }
    return { ...this.#o.listen };
  }

  #drop(reason: string, from?: NodeId): void {
    this.#stats.dropped[reason] = (this.#stats.dropped[reason] ?? 0) + 1;
    try {
      this.#o.onDropped?.(reason, from);
    } catch {
      // A listener's error must not reach libp2p.
    }
  }

  #link(peer: NodeId, up: boolean): void {
    try {
      this.#o.onLink?.(peer, up);
    } catch {
      // As in #drop.
    }
  }

  #sent(p: PeerState, bytes: number): void {
    this.#stats.sentMessages++;
    this.#stats.sentBytes += bytes;
    this.#stats.bytesTo[p.id] += bytes;
  }

  #received(bytes: number): void {
    this.#stats.receivedMessages++;
    this.#stats.receivedBytes += bytes + FRAME_PREFIX_BYTES;
  }

  #later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  #clear(t: ReturnType<typeof setTimeout> | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.#timers.delete(t);
  }

  /** Opens the outbound message stream to `p` unless it is open or opening. */
  async #open(p: PeerState): Promise<void> {
    if (this.#stopped || p.stream !== undefined || p.opening) return;
    p.opening = true;
    let stream: Stream;
    try {
      stream = await this.#node.dialProtocol(p.addr, MSG_PROTOCOL, { signal: this.#abort.signal });
    } catch {
      p.opening = false;
      this.#redial(p);
      return;
    }
    p.opening = false;
    if (this.#stopped) {
      stream.abort(new Error("transport stopped"));
      return;
    }
    p.stream = stream;
    p.backoffMs = REDIAL_MIN_MS;
    stream.addEventListener("message", () => this.#drop(DROP.unexpectedData, p.id));
    stream.addEventListener("close", () => {
      if (p.stream !== stream) return;
      p.stream = undefined;
      this.#link(p.id, false);
      this.#redial(p);
    });
    this.#link(p.id, true);
    void this.#flush(p);
  }

  /** Forgets a broken outbound stream of `p` and schedules a redial. */
  #lose(p: PeerState, stream: Stream, why: string): void {
    p.stream = undefined;
    stream.abort(new Error(why));
    this.#link(p.id, false);
    this.#redial(p);
  }

  #redial(p: PeerState): void {
    if (this.#stopped || p.retry !== undefined) return;
    const wait = p.backoffMs;
    p.backoffMs = Math.min(2 * p.backoffMs, REDIAL_MAX_MS);
    p.retry = this.#later(() => {
      p.retry = undefined;
      void this.#open(p);
    }, wait);
  }

  /** Hands queued frames to the open stream, in order, respecting back-pressure. */
  async #flush(p: PeerState): Promise<void> {
    if (p.flushing) return;
    p.flushing = true;
    try {
      while (!this.#stopped && p.stream !== undefined && p.queue.length > 0) {
        const stream = p.stream;
        if (stream.writableNeedsDrain) {
          const drained = await stream.onDrain({ signal: this.#abort.signal }).then(() => true, () => false);
          if (!drained && p.stream === stream) this.#lose(p, stream, "drain failed");
          continue;
        }
        const frame = p.queue[0];
        try {
          stream.send(frame);
        } catch {
          // The stream closed under us: keep the frame for the next stream.
          if (p.stream === stream) this.#lose(p, stream, "send failed");
          break;
        }
        p.queue.shift();
        p.queuedBytes -= frame.length;
        this.#sent(p, frame.length);
      }
    } finally {
      p.flushing = false;
    }
  }

  /**
   * Queues a message to a peer, in order; dials on demand, redials while the
   * peer is down (a restarted peer gets what was queued). A full queue drops
   * its oldest message (counted as "queue full"). Messages handed to a stream
   * that then breaks are lost. Never throws: an unknown peer or an oversize
   * message is counted and dropped.
   */
  send(to: NodeId, data: Uint8Array): void {
    const p = this.#peers.get(to);
    if (this.#stopped) return;
    if (p === undefined) return this.#drop(DROP.noSuchPeer, to);
    if (!(data instanceof Uint8Array) || data.length > this.#o.maxMessageBytes) {
      return this.#drop(DROP.oversizeOwn, to);
    }
    const frame = encodeFrame(data);
    p.queue.push(frame);
    p.queuedBytes += frame.length;
    while (
      p.queue.length > this.#maxQueueMessages || (p.queuedBytes > this.#maxQueueBytes && p.queue.length > 1)
    ) {
      p.queuedBytes -= p.queue.shift()!.length;
      this.#drop(DROP.queueFull, to);
    }
    if (p.stream === undefined) {
      if (p.retry !== undefined) {
        // A peer with queued work is retried now rather than after the backoff.
        this.#clear(p.retry);
        p.retry = undefined;
      }
      void this.#open(p);
    } else void this.#flush(p);
  }

  /** One request to a peer; undefined on timeout, refusal or error. */
  async request(to: NodeId, data: Uint8Array, timeoutMs: number): Promise<Uint8Array | undefined> {
    const p = this.#peers.get(to);
    if (this.#stopped) return undefined;
    if (p === undefined) {
      this.#drop(DROP.noSuchPeer, to);
      return undefined;
    }
    if (!(data instanceof Uint8Array) || data.length > this.#o.maxMessageBytes) {
      this.#drop(DROP.oversizeOwn, to);
      return undefined;
    }
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.#abort.signal.addEventListener("abort", onStop);
    const timer = this.#later(() => abort.abort(), Math.max(0, timeoutMs));
    let stream: Stream | undefined;
    try {
      stream = await this.#dialUntil(p, SYNC_PROTOCOL, abort.signal);
      const answer = this.#readOne(stream, to, abort.signal);
      const frame = encodeFrame(data);
      stream.send(frame);
      this.#sent(p, frame.length);
      const got = await answer;
      await stream.close({ signal: abort.signal }).catch(() => undefined);
      return got;
    } catch {
      stream?.abort(new Error("request failed"));
      return undefined;
    } finally {
      this.#clear(timer);
      this.#abort.signal.removeEventListener("abort", onStop);
    }
  }

  /**
   * Opens a stream of `protocol` to `p`, redialing with backoff after a failed
   * dial (the peer may be starting or restarting) until `signal` aborts.
   */
  async #dialUntil(p: PeerState, protocol: string, signal: AbortSignal): Promise<Stream> {
    let wait = REDIAL_MIN_MS;
    for (;;) {
      try {
        return await this.#node.dialProtocol(p.addr, protocol, { signal });
      } catch (e) {
        if (signal.aborted || this.#stopped) throw e;
      }
      const { promise, resolve } = Promise.withResolvers<void>();
      const timer = this.#later(resolve, wait);
      const onAbort = () => {
        this.#clear(timer);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      await promise;
      signal.removeEventListener("abort", onAbort);
      wait = Math.min(2 * wait, REDIAL_MAX_MS);
    }
  }

  /**
   * Reads one capped frame from `stream`; rejects on oversize (stream reset,
   * counted), on a stream that ends first (truncated frames counted) and on
   * abort.
   */
  #readOne(stream: Stream, from: NodeId, signal: AbortSignal): Promise<Uint8Array> {
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    const decoder = new FrameDecoder(this.#o.maxMessageBytes);
    const done = () => {
      stream.removeEventListener("message", onData);
      stream.removeEventListener("close", onClose);
      stream.removeEventListener("remoteCloseWrite", onClose);
      signal.removeEventListener("abort", onAbort);
    };
    const onData = (e: { data: Uint8Array | { subarray(): Uint8Array } }) => {
      const r = decoder.push(bytesOf(e.data));
      if (r.frames.length > 0) {
        this.#received(r.frames[0].length);
        done();
        resolve(r.frames[0]);
      } else if (r.oversize !== undefined) {
        done();
        this.#drop(DROP.oversize, from);
        stream.abort(new Error(`frame of ${r.oversize} bytes over the cap`));
        reject(new Error("oversize"));
      }
    };
    const onClose = () => {
      done();
      if (decoder.partial) this.#drop(DROP.truncated, from);
      reject(new Error("stream closed"));
    };
    const onAbort = () => {
      done();
      reject(new Error("aborted"));
    };
    if (signal.aborted) onAbort();
    else {
      stream.addEventListener("message", onData);
      stream.addEventListener("close", onClose);
      stream.addEventListener("remoteCloseWrite", onClose);
      signal.addEventListener("abort", onAbort);
    }
    return promise;
  }

  #remote(conn: Connection, stream: Stream): NodeId | undefined {
    const from = this.#byPeerId.get(conn.remotePeer.toString());
    if (from === undefined) {
      // The gater refuses these at the handshake; this is a second line.
      this.#drop(DROP.unknownStream);
      stream.abort(new Error("unknown peer"));
    }
    return from;
  }

  #inboundMessages(stream: Stream, conn: Connection): void {
    const from = this.#remote(conn, stream);
    if (from === undefined) return;
    const decoder = new FrameDecoder(this.#o.maxMessageBytes);
    let failed = false;
    stream.addEventListener("message", (e) => {
      if (failed) return;
      const r = decoder.push(bytesOf(e.data));
      for (const frame of r.frames) {
        this.#received(frame.length);
        try {
          this.#o.onMessage(from, frame);
        } catch {
          this.#drop(DROP.handlerThrew, from);
        }
      }
      if (r.oversize !== undefined) {
        failed = true;
        this.#drop(DROP.oversize, from);
        stream.abort(new Error(`frame of ${r.oversize} bytes over the cap`));
      }
    });
    stream.addEventListener("remoteCloseWrite", () => {
      if (!failed && decoder.partial) this.#drop(DROP.truncated, from);
      failed = true;
      // The peer is done writing; close our (unused) end so the stream is released.
      void stream.close().catch(() => stream.abort(new Error("close failed")));
    });
    stream.addEventListener("close", () => {
      if (!failed && decoder.partial) this.#drop(DROP.truncated, from);
    });
  }

  async #answer(stream: Stream, conn: Connection): Promise<void> {
    const from = this.#remote(conn, stream);
    if (from === undefined) return;
    const p = this.#peers.get(from)!;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.#abort.signal.addEventListener("abort", onStop);
    const timer = this.#later(() => abort.abort(), REQUEST_READ_TIMEOUT_MS);
    try {
      const req = await this.#readOne(stream, from, abort.signal);
      this.#clear(timer);
      if (this.#o.onRequest === undefined) {
        this.#drop(DROP.noHandler, from);
        stream.abort(new Error("no request handler"));
        return;
      }
      let answer: Uint8Array;
      try {
        answer = await this.#o.onRequest(from, req);
      } catch {
        this.#drop(DROP.handlerThrew, from);
        stream.abort(new Error("request handler failed"));
        return;
      }
      if (!(answer instanceof Uint8Array) || answer.length > this.#o.maxMessageBytes) {
        this.#drop(DROP.oversizeOwn, from);
        stream.abort(new Error("answer over the cap"));
        return;
      }
      if (this.#stopped) return;
      const frame = encodeFrame(answer);
      stream.send(frame);
      this.#sent(p, frame.length);
      await stream.close({ signal: this.#abort.signal });
    } catch {
      if (stream.status === "open") {
        this.#drop(DROP.requestFailed, from);
        stream.abort(new Error("request failed"));
      }
    } finally {
      this.#clear(timer);
      this.#abort.signal.removeEventListener("abort", onStop);
    }
  }

  /** Peers currently connected (an open libp2p connection), ascending. */
  connected(): NodeId[] {
    const ids = new Set<NodeId>();
    for (const c of this.#node.getConnections()) {
      const id = this.#byPeerId.get(c.remotePeer.toString());
      if (id !== undefined && c.status === "open") ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** Peers whose outbound message stream is open (what {@link TransportOptions.onLink} reports), ascending. */
  linked(): NodeId[] {
    return [...this.#peers.values()].filter((p) => p.stream !== undefined).map((p) => p.id).sort((a, b) =>
      a - b
    );
  }

  /** Messages waiting in the send queue of `to` (0 for an unknown id). */
  queued(to: NodeId): number {
    return this.#peers.get(to)?.queue.length ?? 0;
  }

  /** A copy of the counters. */
  stats(): TransportStats {
    const s = this.#stats;
    return { ...s, bytesTo: { ...s.bytesTo }, dropped: { ...s.dropped } };
  }

  /**
   * Stops libp2p and every timer; queued messages are discarded. Idempotent.
   * See the module documentation for what keeps a Deno process alive.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const p of this.#peers.values()) {
      p.retry = undefined;
      p.queue = [];
      p.queuedBytes = 0;
      const s = p.stream;
      p.stream = undefined;
      s?.abort(new Error("transport stopped"));
    }
    await this.#node.stop();
  }
}
