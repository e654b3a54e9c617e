/**
 * The libp2p transport (net/transport.ts), in process on 127.0.0.1: order and
 * sender of messages, a peer restarting on the same port, request/response, the
 * connection gater, oversize and truncated frames, junk bytes on the listen port.
 * Every wait is on an event, bounded by a timeout guard.
 */
import assert from "node:assert/strict";
import type { Libp2p } from "libp2p";
import type { Stream } from "@libp2p/interface";
import type { NodeId } from "../consensus/types.ts";
import { type KeyPair, seedKeyPair } from "../actors/keys.ts";
import type { PeerAddress, Transport, TransportOptions } from "../net/transport.ts";
import { encodeFrame, FrameDecoder } from "../net/transport_frame.ts";

/**
 * libp2p reads the whole environment when it loads (its debug logger lists every
 * variable), and these tests talk TCP on 127.0.0.1: without `--allow-env` and
 * `--allow-net=127.0.0.1` they are ignored, and libp2p is not even loaded.
 */
const PERMITTED = Deno.permissions.querySync({ name: "env" }).state === "granted" &&
  Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted";
if (!PERMITTED) {
  console.warn("net_transport_test: needs --allow-env --allow-net=127.0.0.1; transport tests ignored");
}

async function loadLibp2p() {
  const [transport, identity, libp2p, tcp, noise, yamux, multiaddr] = await Promise.all([
    import("../net/transport.ts"),
    import("../net/identity.ts"),
    import("libp2p"),
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@multiformats/multiaddr"),
  ]);
  return {
    ...transport,
    ...identity,
    createLibp2p: libp2p.createLibp2p,
    tcp: tcp.tcp,
    noise: noise.noise,
    yamux: yamux.yamux,
    multiaddr: multiaddr.multiaddr,
  };
}
const {
  DROP,
  MSG_PROTOCOL,
  SYNC_PROTOCOL,
  Transport: TransportClass,
  libp2pPrivateKey,
  peerIdOfPublicKey,
  createLibp2p,
  tcp,
  noise,
  yamux,
  multiaddr,
} = PERMITTED ? await loadLibp2p() : ({} as Awaited<ReturnType<typeof loadLibp2p>>);

/** A test that needs libp2p (see {@link PERMITTED}). */
function netTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !PERMITTED, fn });
}

/** Key seed of the test participants. */
const SEED = 7;
/** Cap of one message in these tests, bytes. */
const CAP = 256 * 1024;
/** Guard on every wait, ms: generous, since the machine is shared; a healthy run takes milliseconds. */
const GUARD_MS = 8000;
const HOST = "127.0.0.1";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Resolves `p`, or rejects naming `what` after {@link GUARD_MS}; the guard timer is always cleared. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), GUARD_MS);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Free TCP ports on 127.0.0.1 (bound, read, released). */
function freePorts(n: number): number[] {
  const ls = Array.from({ length: n }, () => Deno.listen({ hostname: HOST, port: 0 }));
  const ports = ls.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of ls) l.close();
  return ports;
}

/** A condition that observers wait for; {@link Signal.check} re-evaluates it after each event. */
class Signal {
  #waiters: { cond: () => boolean; resolve: () => void }[] = [];
  check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.cond()) return true;
      w.resolve();
      return false;
    });
  }
  until(cond: () => boolean, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ cond, resolve });
    return within(promise, what);
  }
}

/** A started transport with what it received and saw. */
interface Node {
  id: NodeId;
  t: Transport;
  inbox: { from: NodeId; text: string; bytes: number }[];
  drops: { reason: string; from?: NodeId }[];
  links: Set<NodeId>;
  signal: Signal;
}

const pairs = new Map<NodeId, KeyPair>();
async function pairOf(id: NodeId): Promise<KeyPair> {
  if (!pairs.has(id)) pairs.set(id, await seedKeyPair(SEED, id));
  return pairs.get(id)!;
}

async function addressBook(ids: NodeId[], ports: number[]): Promise<PeerAddress[]> {
  return await Promise.all(
    ids.map(async (id, i) => ({ id, publicKey: (await pairOf(id)).publicKey, host: HOST, port: ports[i] })),
  );
}

async function startNode(
  id: NodeId,
  book: PeerAddress[],
  extra: Partial<TransportOptions> = {},
  signal = new Signal(),
): Promise<Node> {
  const own = book.find((a) => a.id === id)!;
  const n: Omit<Node, "t"> = { id, inbox: [], drops: [], links: new Set(), signal };
  const t = await TransportClass.start({
    id,
    pair: await pairOf(id),
    listen: { host: HOST, port: own.port },
    peers: book.filter((a) => a.id !== id),
    maxMessageBytes: CAP,
    onMessage: (from, data) => {
      n.inbox.push({ from, text: data.length < 100 ? dec(data) : "", bytes: data.length });
      signal.check();
    },
    onDropped: (reason, from) => {
      n.drops.push({ reason, from });
      signal.check();
    },
    onLink: (peer, up) => {
      if (up) n.links.add(peer);
      else n.links.delete(peer);
      signal.check();
    },
    ...extra,
  });
  return { ...n, t };
}

/** A bare libp2p node holding participant `id`'s key (or any key), to play a misbehaving peer. */
async function rawNode(id: NodeId): Promise<Libp2p> {
  return await createLibp2p({
    privateKey: await libp2pPrivateKey(await pairOf(id)),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

async function dialRaw(raw: Libp2p, to: PeerAddress, protocol: string): Promise<Stream> {
  const ma = multiaddr(`/ip4/${to.host}/tcp/${to.port}/p2p/${peerIdOfPublicKey(to.publicKey)}`);
  return await raw.dialProtocol(ma, protocol);
}

function closed(stream: Stream): Promise<void> {
  if (stream.status !== "open") return Promise.resolve();
  return new Promise((resolve) => stream.addEventListener("close", () => resolve(), { once: true }));
}

netTest("transport: messages arrive in order with the sender's id, counted in stats", async () => {
  const book = await addressBook([1, 2, 3], freePorts(3));
  const signal = new Signal();
  const nodes = await Promise.all([1, 2, 3].map((id) => startNode(id, book, {}, signal)));
  try {
    const [a, b, c] = nodes;
    const count = 50;
    for (let i = 0; i < count; i++) {
      a.t.send(3, enc(`a${i}`));
      b.t.send(3, enc(`b${i}`));
    }
    a.t.send(2, enc("to b"));
    await signal.until(() => c.inbox.length === 2 * count && b.inbox.length === 1, "all messages");
    assert.deepEqual(
      c.inbox.filter((m) => m.from === 1).map((m) => m.text),
      [...Array(count).keys()].map((i) => `a${i}`),
    );
    assert.deepEqual(
      c.inbox.filter((m) => m.from === 2).map((m) => m.text),
      [...Array(count).keys()].map((i) => `b${i}`),
    );
    assert.deepEqual(b.inbox, [{ from: 1, text: "to b", bytes: 4 }]);
    const sa = a.t.stats();
    const framesTo3 = [...Array(count).keys()].reduce((s, i) => s + 4 + `a${i}`.length, 0);
    assert.equal(sa.bytesTo[3], framesTo3);
    assert.equal(sa.bytesTo[2], 4 + 4);
    assert.equal(sa.sentMessages, count + 1);
    assert.equal(c.t.stats().receivedMessages, 2 * count);
    assert.deepEqual(a.t.stats().dropped, {});
    // Unknown destination and oversize payload: dropped and counted, no throw.
    a.t.send(99, enc("nobody"));
    a.t.send(2, new Uint8Array(CAP + 1));
    assert.deepEqual(a.t.stats().dropped, { [DROP.noSuchPeer]: 1, [DROP.oversizeOwn]: 1 });
    await signal.until(() => c.t.connected().length === 2, "3 connected to 1 and 2");
    assert.deepEqual(c.t.connected(), [1, 2]);
  } finally {
    await Promise.all(nodes.map((n) => n.t.stop()));
  }
});

netTest(
  "transport: a peer that stops and restarts on the same port gets what was queued meanwhile",
  async () => {
    const book = await addressBook([1, 2], freePorts(2));
    const signal = new Signal();
    const a = await startNode(1, book, {}, signal);
    let b = await startNode(2, book, {}, signal);
    try {
      a.t.send(2, enc("before"));
      await signal.until(() => b.inbox.length === 1, "first message");
      await b.t.stop();
      await signal.until(() => !a.links.has(2), "1 to notice 2 is gone");
      a.t.send(2, enc("while down 1"));
      a.t.send(2, enc("while down 2"));
      assert.equal(a.t.queued(2), 2);
      b = await startNode(2, book, {}, signal);
      await signal.until(() => b.inbox.length === 2, "queued messages after restart");
      assert.deepEqual(b.inbox.map((m) => [m.from, m.text]), [[1, "while down 1"], [1, "while down 2"]]);
      a.t.send(2, enc("after"));
      await signal.until(() => b.inbox.length === 3, "a later message");
      assert.equal(b.inbox[2].text, "after");
    } finally {
      await Promise.all([a.t.stop(), b.t.stop()]);
    }
  },
);

netTest(
  "transport: the send queue of a peer that is down keeps the newest messages, counting the dropped",
  async () => {
    const book = await addressBook([1, 2], freePorts(2));
    const signal = new Signal();
    const a = await startNode(1, book, { maxQueueMessages: 3, maxQueueBytes: 20 }, signal);
    let b: Node | undefined;
    try {
      for (let i = 0; i < 5; i++) a.t.send(2, enc(`m${i}`));
      assert.equal(a.t.queued(2), 3);
      assert.equal(a.t.stats().dropped[DROP.queueFull], 2);
      // 13 bytes framed: the count bound drops m2, then m3, m4 and it make 25 > 20 bytes, so m3 goes too.
      a.t.send(2, enc("m5-longer"));
      assert.equal(a.t.stats().dropped[DROP.queueFull], 4);
      b = await startNode(2, book, {}, signal);
      await signal.until(() => b!.inbox.length === 2, "the queued messages");
      assert.deepEqual(b.inbox.map((m) => m.text), ["m4", "m5-longer"]);
    } finally {
      await Promise.all([a.t.stop(), b?.t.stop()]);
    }
  },
);

netTest("transport: request/response, refusal, timeout and oversize answers", async () => {
  const book = await addressBook([1, 2, 3], freePorts(3));
  const signal = new Signal();
  const release = Promise.withResolvers<void>();
  const a = await startNode(1, book, {}, signal);
  const b = await startNode(2, book, {
    onRequest: async (from, data) => {
      const q = dec(data);
      if (q === "slow") await release.promise;
      if (q === "huge") return new Uint8Array(CAP + 1);
      if (q === "throw") throw new Error("handler failure");
      return enc(`${from} asked ${q}`);
    },
  }, signal);
  const c = await startNode(3, book, {}, signal); // answers no requests
  try {
    const answer = await a.t.request(2, enc("block 5"), GUARD_MS);
    assert.equal(answer && dec(answer), "1 asked block 5");
    const many = await Promise.all([1, 2, 3].map((i) => a.t.request(2, enc(`q${i}`), GUARD_MS)));
    assert.deepEqual(many.map((x) => x && dec(x)), ["1 asked q1", "1 asked q2", "1 asked q3"]);
    assert.equal(await a.t.request(3, enc("anything"), GUARD_MS), undefined);
    assert.equal(c.t.stats().dropped[DROP.noHandler], 1);
    assert.equal(await a.t.request(2, enc("huge"), GUARD_MS), undefined);
    assert.equal(b.t.stats().dropped[DROP.oversizeOwn], 1);
    assert.equal(await a.t.request(2, enc("throw"), GUARD_MS), undefined);
    assert.equal(b.t.stats().dropped[DROP.handlerThrew], 1);
    const started = performance.now();
    assert.equal(await a.t.request(2, enc("slow"), 200), undefined);
    assert.ok(performance.now() - started < GUARD_MS / 2, "the timeout ends the request");
    assert.equal(await a.t.request(4, enc("x"), 100), undefined);
    assert.equal(await a.t.request(2, new Uint8Array(CAP + 1), 100), undefined);
  } finally {
    release.resolve();
    await Promise.all([a.t.stop(), b.t.stop(), c.t.stop()]);
  }
});

netTest("transport: a key outside the participant list is refused at the handshake", async () => {
  const ports = freePorts(2);
  const book = await addressBook([1, 2], ports);
  const signal = new Signal();
  const a = await startNode(1, book, {}, signal);
  // Participant 9 is not in 1's list; it lists 1 as a peer and tries to reach it.
  const intruderBook = [book[0], { ...(await addressBook([9], [ports[1]]))[0] }];
  const intruder = await startNode(9, intruderBook, {}, signal);
  try {
    intruder.t.send(1, enc("let me in"));
    await signal.until(() => a.drops.some((d) => d.reason === DROP.unknownPeer), "1 to refuse 9");
    assert.deepEqual(a.inbox, []);
    assert.deepEqual(a.t.connected(), []);
    assert.equal(intruder.links.size, 0);
    assert.ok(!a.drops.some((d) => d.from === 9), "a refused peer gets no participant id");
    assert.ok(!a.drops.some((d) => d.reason === DROP.unknownStream), "refused before any stream");
    await signal.until(
      () => a.drops.some((d) => d.reason === DROP.handshake),
      "the refusal as a failed handshake",
    );
  } finally {
    await Promise.all([a.t.stop(), intruder.t.stop()]);
  }
});

netTest(
  "transport: oversize and truncated frames from a valid peer are refused; the peer still gets through",
  async () => {
    const book = await addressBook([1, 2], freePorts(2));
    const signal = new Signal();
    const a = await startNode(1, book, {}, signal);
    const raw = await rawNode(2); // holds participant 2's key, speaks the protocol by hand
    await raw.start();
    try {
      // A prefix announcing CAP + 1 bytes: refused from the prefix alone (no body is ever sent).
      const s1 = await dialRaw(raw, book[0], MSG_PROTOCOL);
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, CAP + 1);
      s1.send(prefix);
      await signal.until(() => a.drops.some((d) => d.reason === DROP.oversize), "oversize refusal");
      await within(closed(s1), "the oversize stream to be reset");
      assert.deepEqual(a.drops.find((d) => d.reason === DROP.oversize), { reason: DROP.oversize, from: 2 });
      // A lying prefix of 4 GiB - 1 is refused the same way (the check precedes allocation).
      const s2 = await dialRaw(raw, book[0], MSG_PROTOCOL);
      s2.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
      await signal.until(() => a.t.stats().dropped[DROP.oversize] === 2, "second oversize refusal");
      // Half a frame, then the stream ends: counted as truncated, nothing delivered.
      const s3 = await dialRaw(raw, book[0], MSG_PROTOCOL);
      s3.send(encodeFrame(enc("cut short")).subarray(0, 7));
      await s3.close();
      await signal.until(() => a.drops.some((d) => d.reason === DROP.truncated), "truncated frame");
      // The same peer, a good frame on a new stream: delivered as from 2.
      const s4 = await dialRaw(raw, book[0], MSG_PROTOCOL);
      s4.send(encodeFrame(enc("good")));
      await signal.until(() => a.inbox.length === 1, "the good message");
      assert.deepEqual(a.inbox, [{ from: 2, text: "good", bytes: 4 }]);
      // An unknown protocol is refused by negotiation; the node carries on.
      await assert.rejects(dialRaw(raw, book[0], "/poso/other/1"));
      s4.send(encodeFrame(enc("still here")));
      await signal.until(() => a.inbox.length === 2, "a message after the refused protocol");
      // Oversize request on the sync protocol: reset, counted, no answer.
      const s5 = await dialRaw(raw, book[0], SYNC_PROTOCOL);
      s5.send(prefix);
      await within(closed(s5), "the oversize request to be reset");
      assert.equal(a.t.stats().dropped[DROP.oversize], 3);
    } finally {
      await raw.stop();
      await a.t.stop();
    }
  },
);

netTest(
  "transport: a message over the receiver's cap resets the stream; the sender reconnects and the next one arrives",
  async () => {
    const book = await addressBook([1, 2], freePorts(2));
    const signal = new Signal();
    // 1 allows four times the cap that 2 enforces (a misconfigured or hostile sender).
    const a = await startNode(1, book, { maxMessageBytes: 4 * CAP }, signal);
    const b = await startNode(2, book, {}, signal);
    try {
      await signal.until(() => a.links.has(2), "the link 1 -> 2");
      a.t.send(2, new Uint8Array(CAP + 1));
      await signal.until(
        () => b.drops.some((d) => d.reason === DROP.oversize && d.from === 1),
        "2 to refuse",
      );
      await signal.until(() => !a.links.has(2), "1 to see its stream reset");
      await signal.until(() => a.links.has(2), "1 to open a new stream");
      a.t.send(2, enc("next"));
      await signal.until(() => b.inbox.length === 1, "the next message");
      assert.deepEqual(b.inbox, [{ from: 1, text: "next", bytes: 4 }]);
      assert.deepEqual(a.t.stats().dropped, {}, "the refusal is the receiver's alone");
    } finally {
      await Promise.all([a.t.stop(), b.t.stop()]);
    }
  },
);

netTest("transport: junk bytes on the listen port are dropped; the node keeps working", async () => {
  const book = await addressBook([1, 2], freePorts(2));
  const signal = new Signal();
  // A short handshake timeout, so that junk which does not fail parsing is cut quickly.
  const quick = { handshakeTimeoutMs: 300 };
  const [a, b] = await Promise.all([startNode(1, book, quick, signal), startNode(2, book, {}, signal)]);
  try {
    for (const junk of [new Uint8Array(4096).fill(0x41), enc("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]) {
      const conn = await Deno.connect({ hostname: HOST, port: book[0].port });
      try {
        await conn.write(junk);
        // libp2p answers junk by closing the socket: read until end of stream.
        const buf = new Uint8Array(1024);
        await within(
          (async () => {
            while ((await conn.read(buf).catch(() => null)) !== null) { /* discard */ }
          })(),
          "the junk connection to be closed",
        );
      } finally {
        conn.close();
      }
    }
    await signal.until(() => a.t.stats().dropped[DROP.handshake] === 2, "both junk connections counted");
    b.t.send(1, enc("after junk"));
    await signal.until(() => a.inbox.length === 1, "a message after the junk");
    assert.deepEqual(a.inbox, [{ from: 2, text: "after junk", bytes: 10 }]);
  } finally {
    await Promise.all([a.t.stop(), b.t.stop()]);
  }
});

netTest("transport: five transports link pairwise; a 160 kB message reaches four peers", async () => {
  const ids = [1, 2, 3, 4, 5];
  const book = await addressBook(ids, freePorts(ids.length));
  const signal = new Signal();
  const t0 = performance.now();
  const nodes = await Promise.all(ids.map((id) => startNode(id, book, {}, signal)));
  try {
    await signal.until(() => nodes.every((n) => n.links.size === ids.length - 1), "pairwise links");
    const linkedMs = performance.now() - t0;
    const big = new Uint8Array(160_000).map((_, i) => i % 251);
    const t1 = performance.now();
    for (const id of ids.slice(1)) nodes[0].t.send(id, big);
    await signal.until(() => nodes.slice(1).every((n) => n.inbox.length === 1), "the 160 kB message");
    const bigMs = performance.now() - t1;
    for (const n of nodes.slice(1)) assert.deepEqual(n.inbox[0], { from: 1, text: "", bytes: 160_000 });
    assert.equal(nodes[0].t.stats().sentBytes, 4 * (160_000 + 4));
    console.log(
      `five transports linked pairwise in ${linkedMs.toFixed(0)} ms; 160 kB to 4 peers in ${
        bigMs.toFixed(1)
      } ms`,
    );
  } finally {
    await Promise.all(nodes.map((n) => n.t.stop()));
  }
});

Deno.test("frame decoder: split prefixes, several frames per chunk, the cap checked before allocation", () => {
  const d = new FrameDecoder(5);
  const bytes = new Uint8Array([
    ...encodeFrame(enc("ab")),
    ...encodeFrame(enc("")),
    ...encodeFrame(enc("cdefg")),
  ]);
  const got: string[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...d.push(bytes.subarray(i, i + 1)).frames.map(dec));
  assert.deepEqual(got, ["ab", "", "cdefg"]);
  assert.equal(d.partial, false);
  const r = d.push(Uint8Array.of(0, 0, 0, 6, 1, 2));
  assert.deepEqual(r, { frames: [], oversize: 6 });
  assert.deepEqual(d.push(encodeFrame(enc("a"))), { frames: [] }, "nothing is read after a refusal");
  assert.throws(() => new FrameDecoder(-1), RangeError);
});

netTest("transport: bad options are refused with the field named", async () => {
  const book = await addressBook([1, 2], [4001, 4002]);
  const base: TransportOptions = {
    id: 1,
    pair: await pairOf(1),
    listen: { host: HOST, port: 0 },
    peers: [book[1]],
    maxMessageBytes: CAP,
    onMessage: () => {},
  };
  const cases: [Partial<TransportOptions>, RegExp][] = [
    [{ maxMessageBytes: 0 }, /maxMessageBytes/],
    [{ listen: { host: HOST, port: 70000 } }, /listen: port/],
    [{ listen: { host: "bad host!", port: 0 } }, /host/],
    [{ peers: [{ ...book[1], publicKey: "short" }] }, /peer 2: public key/],
    [{ peers: [book[1], book[1]] }, /listed twice/],
    [{ peers: [{ ...book[1], port: 0 }] }, /peer 2: port 0/],
    [{ peers: [{ ...book[0] }] }, /this participant/],
    [{ pair: { ...(await pairOf(1)), publicKey: book[1].publicKey } }, /does not match/],
  ];
  const busy = Deno.listen({ hostname: HOST, port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    await assert.rejects(
      TransportClass.start({ ...base, listen: { host: HOST, port } }),
      /participant 1: cannot listen/,
    );
  } finally {
    busy.close();
  }
  for (const [patch, message] of cases) {
    await assert.rejects(
      TransportClass.start({ ...base, ...patch }),
      message,
      JSON.stringify(Object.keys(patch)),
    );
  }
});

/** The child of the next test: two transports, one message, stop; then the process must end by itself. */
function childScript(ports: number[]): string {
  const transport = JSON.stringify(new URL("../net/transport.ts", import.meta.url).href);
  const keys = JSON.stringify(new URL("../actors/keys.ts", import.meta.url).href);
  return `
import { Transport } from ${transport};
import { seedKeyPair } from ${keys};
const [p1, p2] = await Promise.all([seedKeyPair(${SEED}, 1), seedKeyPair(${SEED}, 2)]);
const got = Promise.withResolvers();
const common = { maxMessageBytes: 1024, onMessage: () => {} };
const a = await Transport.start({ ...common, id: 1, pair: p1, listen: { host: "${HOST}", port: ${ports[0]} },
  peers: [{ id: 2, publicKey: p2.publicKey, host: "${HOST}", port: ${ports[1]} }] });
const b = await Transport.start({ ...common, id: 2, pair: p2, listen: { host: "${HOST}", port: ${ports[1]} },
  peers: [{ id: 1, publicKey: p1.publicKey, host: "${HOST}", port: ${ports[0]} }],
  onMessage: (from, data) => got.resolve(from + ":" + new TextDecoder().decode(data)),
  onRequest: async (_from, data) => data.reverse() });
a.send(2, new TextEncoder().encode("hello"));
const answer = await a.request(2, Uint8Array.of(1, 2, 3), 5000);
console.log(await got.promise, answer?.join(","));
await Promise.all([a.stop(), b.stop()]);
`;
}

Deno.test({
  name:
    "transport: a process with net scoped to its two addresses and env runs, and exits by itself after stop()",
  ignore: !PERMITTED || Deno.permissions.querySync({ name: "run", command: "deno" }).state !== "granted",
  fn: async () => {
    const ports = freePorts(2);
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--quiet",
        `--config=${new URL("../deno.json", import.meta.url).pathname}`,
        `--allow-net=${ports.map((p) => `${HOST}:${p}`).join(",")}`,
        "--allow-env",
        "-",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(enc(childScript(ports)));
    await writer.close();
    try {
      const out = await within(child.output(), "the child process to exit");
      assert.equal(dec(out.stderr), "");
      assert.equal(out.code, 0);
      assert.equal(dec(out.stdout).trim(), "1:hello 3,2,1");
    } finally {
      try {
        child.kill();
      } catch {
        // Already exited.
      }
    }
  },
});
