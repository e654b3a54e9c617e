/**
 * One participant as a process of its own (`poso node`): the same participant core as a Worker
 * (actors/participant.ts), driven by this node's own clock instead of a supervisor. The genesis
 * fixes the schedule (net/schedule.ts); the node fires its day, round, phase and timeout events
 * when they are due, sends what its machines send to the addressee over the network, holds what
 * arrives for a round it has not started yet, and derives each day's first leader and blacklist
 * from its own ledger. A node that lacks blocks (it was down, or keeps a ledger only of what the
 * delegates decide) fetches them from its peers, and its participant verifies each one before it
 * appends it; a peer that serves a bad block is passed over for the next.
 *
 * Every node keeps a ledger of the chain (a delegate that is no normal node fills its own from its
 * peers), persists its delegate's state to its own disk, and tells what happens as trace events
 * (net/events.ts) that `poso net up` gathers into one trace.
 *
 * @module
 */
import {
  type BlockFields,
  blockFieldsOf,
  type BlockRecord,
  type GenesisRecord,
  type GenesisSchedule,
  type LedgerRecord,
} from "../consensus/ledger.ts";
import type {
  DelegateEffect,
  DelegateSnapshot,
  EquivocationEvidence,
  Message,
  NodeId,
  NormalEffect,
} from "../consensus/types.ts";
import { lockDataDir } from "../actors/data_lock.ts";
import { type KeyPair, type KeySource, readPublicKey, seedKeyPair } from "../actors/keys.ts";
import { ownKeyPair } from "../actors/keys.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { createParticipant, type Participant } from "../actors/participant.ts";
import type { DayInfo, FromWorker, ToWorker } from "../actors/protocol.ts";
import { participantInit } from "../actors/init.ts";
import { genesisOf, keySourceOf, runProblemOf } from "../actors/supervisor.ts";
import { dayLoadFactor } from "../problems/schedule.ts";
import { problemData } from "../problems/types.ts";
import { DEFAULT_SOLVER, loadSolver } from "../lp/solver.ts";
import type { Scenario } from "../scenarios/loader.ts";
import type { NodeEvent } from "./events.ts";
import { heightAt, roundAt, scheduleFor, ticksOfDay } from "./schedule.ts";
import { decodeWire, encodeWire } from "./wire.ts";

/** Largest message a node takes from a peer, bytes (a 120-community market proposal is ~0.3 MB). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Most messages a node holds for rounds it has not started yet (more are dropped, counted). */
export const MAX_HELD_MESSAGES = 4096;
/** Most blocks one catch-up answer carries. */
export const MAX_BLOCKS_PER_ANSWER = 64;
/** How long a node waits for a peer's catch-up answer before it asks the next, ms. */
export const CATCH_UP_TIMEOUT_MS = 5000;
/** Exit status of a node that crashed on purpose (behaviours `crash_at_round`, `crash_in_ledger_write`). */
export const NODE_CRASH_EXIT = 75;
/** The file in a node's data directory that holds its delegate's last persisted state. */
export const NODE_STATE_FILE = "state.json";

/** Where a participant listens. */
export interface NodeAddress {
  /** Host name or IP address. */
  host: string;
  /** TCP port (1 to 65535). */
  port: number;
}

/** What a node needs of the network: send to a participant, ask one for blocks, stop. */
export interface NodeTransport {
  /** Queues `data` for participant `to` (never throws; delivery is best effort, in order). */
  send(to: NodeId, data: Uint8Array): void;
  /** Asks participant `to`; undefined on timeout or failure. */
  request(to: NodeId, data: Uint8Array, timeoutMs: number): Promise<Uint8Array | undefined>;
  /** Bytes and messages sent and received, drops by reason. */
  stats(): { sentBytes: number; sentMessages: number; dropped: Record<string, number> };
  /** Stops listening and dialling. */
  stop(): Promise<void>;
}

/** What the node gives its transport when it starts it. */
export interface NodeTransportOptions {
  id: NodeId;
  pair: KeyPair;
  listen: NodeAddress;
  peers: (NodeAddress & { id: NodeId; publicKey: string })[];
  maxMessageBytes: number;
  onMessage: (from: NodeId, data: Uint8Array) => void;
  onRequest: (from: NodeId, data: Uint8Array) => Promise<Uint8Array>;
  onDropped: (reason: string, from?: NodeId) => void;
}

/** Options of {@link runNode}. */
export interface NodeOptions {
  /** The scenario every participant of the chain runs. */
  scenario: Scenario;
  /** Which participant this process is. */
  id: NodeId;
  /** This node's own directory: its ledger, its delegate's state, its lock. */
  dataDir: string;
  /** Where keys come from (default: the scenario's, else `<dataDir>/keys`); only this node's private key is read. */
  keys?: KeySource;
  /**
   * When day 1 starts (Unix ms), for a chain this node has no ledger of yet; or a function the node
   * calls once it listens (`poso net up` fixes the time once every node listens).
   */
  startMs?: number | (() => Promise<number>);
  /** Time between day starts, ms (default: the rounds plus a decision window, net/schedule.ts). */
  blockMs?: number;
  /** A round's timeout, ms, for a new chain (default: the scenario's). */
  roundMs?: number;
  /** Addresses that replace the scenario's (`ip`/`port`, `network.peers`). */
  addresses?: Record<NodeId, NodeAddress>;
  /** Stop once this node's ledger holds this block and its day is over (default: the scenario's days). */
  untilHeight?: number;
  /** Starts the network (net/transport.ts; tests pass an in-memory one). */
  transport: (o: NodeTransportOptions) => Promise<NodeTransport>;
  /** Trace events, in the order they happen. */
  events: (e: NodeEvent) => void;
  /** Stops the node. */
  signal?: AbortSignal;
  /** The clock, Unix ms (default Date.now). */
  now?: () => number;
}

/** How a node's run ended. */
export interface NodeResult {
  /** Its ledger's last block height. */
  height: number;
  /** Why it stopped: the planned days are done, it was stopped, or it crashed on purpose. */
  end: "done" | "stopped" | "crashed";
}

/** A node that cannot start (bad address, key or ledger); the message says which and why. */
export class NodeError extends Error {
  /** An error with `message`. */
  constructor(message: string) {
    super(message);
    this.name = "NodeError";
  }
}

/** Starts the transport; a failure (an address in use, a bad address) is a {@link NodeError} naming it. */
async function startTransport(
  start: NodeOptions["transport"],
  options: NodeTransportOptions,
): Promise<NodeTransport> {
  try {
    return await start(options);
  } catch (e) {
    const why = ((e as Error)?.message ?? String(e)).split("\n").find((l) =>
      /EADDRINUSE|EACCES|EADDRNOTAVAIL/.test(l)
    );
    throw new NodeError(
      `cannot listen on ${options.listen.host}:${options.listen.port}: ${
        why ? why.replace(/^.*Error: /, "").trim() : ((e as Error)?.message ?? String(e)).split("\n")[0]
      }`,
    );
  }
}

/** The participant whose last signature a message carries: the one it must have arrived from. */
function lastSigner(msg: Message): NodeId | undefined {
  if (msg.kind === "proposal") return Array.isArray(msg.path) ? msg.path[msg.path.length - 1] : undefined;
  return msg.from;
}

/** The block height and round a message is for, when it says (junk says nothing). */
function placeOf(msg: unknown): { height: number; round: number } | undefined {
  const m = msg as { round?: unknown; proposal?: { height?: unknown } } | null;
  const round = m?.round, height = m?.proposal?.height;
  return Number.isSafeInteger(round) && Number.isSafeInteger(height)
    ? { height: height as number, round: round as number }
    : undefined;
}

/**
 * Where participant `id` listens: `given` (the command line's `--addr`), else the scenario's
 * `network.peers`, else its `ip:`/`port:`; undefined when none gives it.
 */
export function scenarioAddress(
  scenario: Scenario,
  id: NodeId,
  given?: Record<NodeId, NodeAddress>,
): NodeAddress | undefined {
  const a = given?.[id] ?? scenario.network?.peers[id];
  if (a) return a;
  const p = scenario.participants.find((q) => q.id === id);
  return p?.ip !== undefined && p.port !== undefined ? { host: p.ip, port: p.port } : undefined;
}

/** A node's address ({@link scenarioAddress}), or a {@link NodeError} saying how to give one. */
function addressOf(scenario: Scenario, id: NodeId, given?: Record<NodeId, NodeAddress>): NodeAddress {
  const a = scenarioAddress(scenario, id, given);
  if (a) return a;
  const name = scenario.participants.find((q) => q.id === id)?.name ?? id;
  throw new NodeError(
    `participant ${name} (${id}) has no address: give it ip: and port: in the scenario, ` +
      `an entry in network.peers, or --addr ${id}=HOST:PORT`,
  );
}

/** This node's key pair and every participant's public key, reading no other private key. */
async function nodeKeys(
  source: KeySource,
  scenario: Scenario,
  id: NodeId,
  name: string,
): Promise<{ pair: KeyPair; publicKeys: Record<NodeId, string> }> {
  const pair = await ownKeyPair(source, id, name);
  const publicKeys: Record<NodeId, string> = {};
  for (const p of scenario.participants) {
    if (source.kind === "seed") publicKeys[p.id] = (await seedKeyPair(source.seed, p.id)).publicKey;
    else {
      const key = await readPublicKey(source.dir, p.name);
      if (!key) throw new NodeError(`${source.dir} holds no public key of ${p.name} (${p.name}.pub)`);
      publicKeys[p.id] = key;
    }
  }
  if (publicKeys[id] !== pair.publicKey) {
    throw new NodeError(`${name}'s private key does not match its public key ${publicKeys[id]}`);
  }
  return { pair, publicKeys };
}

/** What a node persists of its delegate, so that a restart resumes the day it was in. */
interface NodeState {
  height: number;
  snapshot?: DelegateSnapshot;
  evidence: EquivocationEvidence[];
}

async function readState(path: string): Promise<NodeState | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path)) as NodeState;
    return Number.isSafeInteger(v?.height) && Array.isArray(v.evidence) ? v : undefined;
  } catch {
    return undefined; // none yet, or torn: the node starts the day from its ledger
  }
}

/** Writes the state durably: a temporary file, fsynced, renamed over the old one. */
async function writeState(path: string, state: NodeState): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await file.write(encodeWire(state));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}

/** The genesis a node's ledger already holds, if it has one. */
async function ledgerGenesis(path: string): Promise<GenesisRecord | undefined> {
  try {
    const { records } = await readLedger(path);
    return records[0]?.kind === "genesis" ? records[0] : undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Waits until Unix time `at` (ms) by `now`, or until `signal` aborts; true if the time came. */
function sleepUntil(at: number, now: () => number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, at - now()));
    function done() {
      signal.removeEventListener("abort", stop);
      resolve(!signal.aborted);
    }
    function stop() {
      clearTimeout(timer);
      done();
    }
    signal.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Runs participant `id` of a scenario as a node of a networked chain until its ledger holds the
 * planned days (and their day is over), it is stopped, or it crashes on purpose.
 *
 * @example
 * ```ts ignore
 * import { Transport } from "./transport.ts";
 * await runNode({ scenario, id: 8, dataDir: "poso-data/net/C", startMs: Date.now() + 3000,
 *   transport: Transport.start, events: (e) => console.log(JSON.stringify(e)) });
 * ```
 */
export async function runNode(o: NodeOptions): Promise<NodeResult> {
  const { scenario, id } = o;
  const now = o.now ?? Date.now;
  const me = scenario.participants.find((p) => p.id === id);
  if (!me) {
    throw new NodeError(
      `participant ${id} is not in ${scenario.name} (its participants: ${
        scenario.participants.map((p) => p.id).join(", ")
      })`,
    );
  }
  const names = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
  const normals = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const listen = addressOf(scenario, id, o.addresses);
  const peers = scenario.participants.filter((p) => p.id !== id).map((p) => p.id);
  const peerAddresses = peers.map((p) => ({ id: p, ...addressOf(scenario, p, o.addresses) }));

  const lock = await lockDataDir(o.dataDir);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  let transport: NodeTransport | undefined;
  try {
    const keys = o.keys ?? keySourceOf(scenario, o.dataDir);
    const { pair, publicKeys } = await nodeKeys(keys, scenario, id, me.name);
    // The network first: a node listens before it waits for the chain's start time. What arrives
    // before the participant runs waits in `early` (bounded), answered requests find no blocks yet.
    const early: [NodeId, Uint8Array][] = [];
    let earlyDropped = 0;
    let handleMessage = (from: NodeId, data: Uint8Array) => {
      if (early.length < MAX_HELD_MESSAGES) early.push([from, data]);
      else earlyDropped++;
    };
    let handleRequest = (_from: NodeId, _data: Uint8Array) => Promise.resolve(encodeWire({ blocks: [] }));
    transport = await startTransport(o.transport, {
      id,
      pair,
      listen,
      peers: peerAddresses.map((p) => ({ ...p, publicKey: publicKeys[p.id] })),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      onMessage: (from, data) => handleMessage(from, data),
      onRequest: (from, data) => handleRequest(from, data),
      // Connection-level drops (failed handshakes, refused peers, oversize frames) are counted in the
      // transport's stats (the node's `stats` event), not traced message by message.
      onDropped: () => {},
    });
    const run = await runProblemOf(scenario);
    const ledgerPath = ledgerFileName(o.dataDir, me.name);
    const statePath = `${o.dataDir}/${NODE_STATE_FILE}`;
    const kept = await ledgerGenesis(ledgerPath);
    // Before it waits for the start, the node makes its first day's problem and loads its solver
    // (the slow part of a start): the participant then starts from the problem's data at once.
    const keptTip = await readLedger(ledgerPath).then(
      (l) => l.records[l.records.length - 1],
      () => undefined,
    );
    const firstHeight = keptTip?.kind === "block" ? keptTip.height + 1 : 1;
    const firstProblem = run.kind.problemFor(run.case, {
      height: firstHeight,
      loadFactor: dayLoadFactor(scenario.seed, firstHeight),
    });
    const firstData = problemData(run.kind, firstProblem);
    if (me.delegate && firstProblem.lp) await loadSolver(scenario.solver ?? DEFAULT_SOLVER);
    o.events({ type: "listening", node: id, height: 0, round: 0, at: now(), listen });
    // A ledger this node already keeps fixes the schedule; a new one takes it from the options.
    let schedule: GenesisSchedule;
    if (kept?.schedule) schedule = kept.schedule;
    else if (o.startMs !== undefined) {
      const startMs = typeof o.startMs === "number" ? o.startMs : await o.startMs();
      schedule = scheduleFor(scenario, startMs, {
        blockMs: o.blockMs ?? scenario.network?.blockMs,
        roundMs: o.roundMs,
      });
    } else {
      throw new NodeError(
        `${ledgerPath} holds no chain yet: give the chain's start time (--start), the same for every node`,
      );
    }
    const genesis = await genesisOf(scenario, publicKeys, run, schedule).catch((e) => {
      throw e instanceof TypeError
        ? new NodeError(`the chain's schedule: ${e.message.replace(/^makeGenesis: /, "")}`)
        : e;
    });
    if (kept && kept.hash !== genesis.hash) {
      throw new NodeError(
        `${ledgerPath} belongs to another chain (${kept.hash}); this scenario's is ${genesis.hash}`,
      );
    }
    const tipOf = async (): Promise<BlockRecord | undefined> => {
      try {
        const { records } = await readLedger(ledgerPath);
        const last = records[records.length - 1];
        return last?.kind === "block" ? last : undefined;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    };
    const untilHeight = o.untilHeight ?? scenario.days.count;
    const dayAfter = (tip: BlockRecord | undefined): DayInfo => {
      const height = (tip?.height ?? 0) + 1;
      return {
        height,
        loadFactor: dayLoadFactor(scenario.seed, height),
        blacklistAtStart: tip?.blacklist ?? [],
        ...(scenario.days.rotateLeader && tip ? { startAfter: tip.leader } : {}),
      };
    };
    let day = dayAfter(await tipOf());
    const saved = await readState(statePath);
    const emit = (e: NodeEvent) => o.events(e);
    let round = 0;
    const place = () => ({ node: id, height: day.height, round, at: now() });

    // ---- the participant, in this process
    let ledgerHeight = day.height - 1;
    let state: NodeState = saved?.height === day.height
      ? saved
      : { height: day.height, evidence: [], ...(saved?.snapshot ? { snapshot: saved.snapshot } : {}) };
    let stateWrites = Promise.resolve();
    const persist = () => {
      const copy = { ...state };
      stateWrites = stateWrites.then(() => writeState(statePath, copy)).catch((e) =>
        emit({ type: "note", ...place(), text: `state not saved: ${(e as Error).message}` })
      );
    };
    let crashed: string | undefined;
    const crash = (why: string) => {
      crashed ??= why;
      emit({ type: "crash", ...place(), why });
      stop.abort();
    };
    let seq = 0;
    const answers = new Map<number, (m: Extract<FromWorker, { type: "effects" }>) => void>();
    let ready: (m: Extract<FromWorker, { type: "ready" }>) => void = () => {};
    let failed: (e: Error) => void = () => {};
    const readyP = new Promise<Extract<FromWorker, { type: "ready" }>>((res, rej) => {
      ready = res;
      failed = rej;
    });
    const onDelegate = (effects: DelegateEffect[]) => {
      for (const e of effects) {
        if (e.kind === "send") send(e.msg, e.delayMs);
        else if (e.kind === "persist") {
          state = { ...state, snapshot: e.snapshot };
          persist();
        } else if (e.kind === "evidence") {
          state = { ...state, evidence: [...state.evidence, e.evidence] };
          persist();
        } else if (e.kind === "crash") crash(`crashed as round ${e.round} started (crash_at_round)`);
      }
    };
    const participant: Participant = createParticipant((m) => {
      if (m.type === "ready") return ready(m);
      if (m.type === "startFailed") return failed(new NodeError(`${me.name} could not start: ${m.error}`));
      if (m.type === "dying") return crash(m.why);
      if (m.type === "failed") {
        return emit({
          type: "note",
          ...place(),
          text: `an input failed and was skipped: ${m.error.split("\n")[0]}`,
        });
      }
      onDelegate(m.delegate);
      for (const b of m.blocks ?? []) ledgerHeight = Math.max(ledgerHeight, b.height);
      emit({
        type: "effects",
        ...place(),
        delegate: m.delegate.filter((e) => e.kind !== "persist").map((e) => compactDelegate(e, envOf)),
        normal: m.normal.map(compactNormal),
        ...(m.unauthentic?.length ? { unauthentic: m.unauthentic } : {}),
        ...(m.blocks?.length ? { blocks: m.blocks } : {}),
        ...(m.refused ? { refused: m.refused } : {}),
        solveMs: m.solveMs,
        checkMs: m.checkMs,
        signMs: m.signMs,
      });
      if (m.final) answers.get(m.seq)?.(m);
    });
    /** Gives the participant an input; resolves with its last answer. */
    const ask = (input: ToWorker & { seq: number }) =>
      new Promise<Extract<FromWorker, { type: "effects" }>>((resolve) => {
        answers.set(input.seq, (m) => {
          answers.delete(input.seq);
          resolve(m);
        });
        participant.enqueue(input);
      });
    const event = (e: Extract<ToWorker, { type: "event" }>["event"]) =>
      ask({ type: "event", seq: ++seq, event: e });

    // The day's verifier, for the digests and costs in trace events (built like the participant's).
    // The first day's is the problem made while warming up.
    let envDay = firstHeight;
    let envCache: import("../consensus/types.ts").Verifier | undefined = firstProblem.verifier;
    const envOf = () => {
      if (envDay !== day.height || !envCache) {
        envCache = run.kind.problemFor(run.case, { height: day.height, loadFactor: day.loadFactor }).verifier;
        envDay = day.height;
      }
      return envCache;
    };

    // ---- the network
    const held: { height: number; round: number; msg: unknown }[] = [];
    const dropped = (reason: string, from?: NodeId) =>
      emit({ type: "dropped", ...place(), reason, ...(from === undefined ? {} : { from }) });
    const deliver = (msg: unknown) => void ask({ type: "deliver", seq: ++seq, msg });
    /** Takes a message now, or holds it until this node reaches its day and round. */
    const take = (msg: unknown) => {
      const at = placeOf(msg);
      if (at && (at.height > day.height || (at.height === day.height && at.round > round))) {
        if (held.length >= MAX_HELD_MESSAGES) return dropped(`more than ${MAX_HELD_MESSAGES} messages held`);
        held.push({ ...at, msg });
        return;
      }
      deliver(msg);
    };
    const release = () => {
      for (let i = 0; i < held.length;) {
        const h = held[i];
        if (h.height < day.height || (h.height === day.height && h.round <= round)) {
          held.splice(i, 1);
          deliver(h.msg);
        } else i++;
      }
    };
    const send = (msg: Message, delayMs = 0) => {
      const go = () => {
        if (msg.to === id) return take(msg);
        if (!peers.includes(msg.to)) return dropped(`${me.name} sent to unknown participant ${msg.to}`);
        transport?.send(msg.to, encodeWire(msg));
      };
      if (delayMs > 0) setTimeout(go, delayMs);
      else go();
    };
    const onMessage = (from: NodeId, data: Uint8Array) => {
      const decoded = decodeWire(data, MAX_MESSAGE_BYTES);
      if (!decoded.ok) return dropped(`from ${names[from] ?? from}: ${decoded.reason}`, from);
      const msg = decoded.value as Message;
      const signer = msg && typeof msg === "object" ? lastSigner(msg) : undefined;
      if (signer !== from) {
        return dropped(
          `arrived from ${names[from] ?? from} but its last signer is ${names[signer ?? -1] ?? signer}`,
          from,
        );
      }
      if (msg.to !== id) return dropped(`from ${names[from] ?? from}: addressed to ${msg.to}`, from);
      take(msg);
    };
    /** Serves blocks after a height from this node's own ledger (verified when they were appended). */
    const onRequest = async (_from: NodeId, data: Uint8Array): Promise<Uint8Array> => {
      const q = decodeWire(data, 1024);
      const after = q.ok ? (q.value as { after?: unknown })?.after : undefined;
      if (!Number.isSafeInteger(after) || (after as number) < 0) return encodeWire({ blocks: [] });
      const records: LedgerRecord[] = await readLedger(ledgerPath).then((l) => l.records, () => []);
      const blocks: BlockFields[] = [];
      for (const r of records) {
        if (r.kind === "block" && r.height > (after as number) && blocks.length < MAX_BLOCKS_PER_ANSWER) {
          blocks.push(blockFieldsOf(r));
        }
      }
      return encodeWire({ blocks });
    };
    handleRequest = onRequest;

    /**
     * Fetches the blocks after this node's tip from its peers (normal nodes first), each verified by
     * the participant before it is appended; a peer whose block is refused is passed over.
     */
    const catchUp = async (target: number) => {
      const order = [
        ...peers.filter((p) => normals.includes(p)),
        ...peers.filter((p) => !normals.includes(p)),
      ];
      for (const peer of order) {
        if (ledgerHeight >= target || stop.signal.aborted) return;
        for (let more = true; more && ledgerHeight < target;) {
          const answer = await transport!.request(
            peer,
            encodeWire({ after: ledgerHeight }),
            CATCH_UP_TIMEOUT_MS,
          );
          const decoded = answer ? decodeWire(answer, MAX_MESSAGE_BYTES * MAX_BLOCKS_PER_ANSWER) : undefined;
          const blocks = decoded?.ok ? (decoded.value as { blocks?: unknown })?.blocks : undefined;
          if (!Array.isArray(blocks) || blocks.length === 0) break;
          const before = ledgerHeight;
          const r = await ask({ type: "catchUp", seq: ++seq, blocks: blocks as BlockFields[] });
          emit({
            type: "catchUp",
            ...place(),
            from: peer,
            blocks: ledgerHeight - before,
            ...(r.refused ? { refused: r.refused } : {}),
          });
          more = !r.refused && ledgerHeight > before;
        }
      }
    };

    // ---- start the participant in the day its ledger and state say
    const resumed = saved?.height === day.height;
    const init = participantInit(scenario, me, {
      keys,
      publicKeys,
      genesis,
      problem: {
        kind: run.kind.name,
        case: run.case,
        ...(firstData !== undefined && day.height === firstHeight ? { data: firstData } : {}),
      },
      day,
      ledgerFile: ledgerPath,
      evidence: state.evidence,
      snapshot: resumed && saved.snapshot ? saved.snapshot : {
        id,
        round: 0,
        // Its own blacklist, and the chain's: it may have missed rounds while it was down.
        blacklist: [...new Set([...(saved?.snapshot?.blacklist ?? []), ...day.blacklistAtStart])],
        received: [],
      },
      // A node that resumes a day it crashed in does not crash again in it.
      alreadyCrashed: resumed && (saved.snapshot?.round ?? 0) > 0,
      armLedgerCrash: !resumed,
    });
    participant.enqueue(init);
    const started = await readyP;
    handleMessage = onMessage;
    for (const [from, data] of early.splice(0)) onMessage(from, data);
    if (earlyDropped) dropped(`${earlyDropped} messages came before the node started, more than it holds`);
    ledgerHeight = started.ledgerHeight;
    emit({
      type: "start",
      ...place(),
      name: me.name,
      ledgerHeight,
      truncatedBytes: started.truncatedBytes,
      schedule,
      chain: genesis.hash,
    });

    // ---- the clock
    const enterDay = async (tip: BlockRecord | undefined) => {
      day = dayAfter(tip);
      round = 0;
      state = { height: day.height, evidence: [], ...(state.snapshot ? { snapshot: state.snapshot } : {}) };
      await ask({ type: "day", seq: ++seq, day, withChainBlacklist: true });
      emit({ type: "day", ...place(), day });
    };
    // A node behind the schedule (it was down, or starts late) first takes the blocks it missed.
    if (heightAt(schedule, now()) > day.height) {
      await catchUp(heightAt(schedule, now()) - 1);
      if (ledgerHeight >= day.height) await enterDay(await tipOf());
    }
    let end: NodeResult["end"] = "done";
    days: while (day.height <= untilHeight) {
      const height = day.height;
      for (const tick of ticksOfDay(schedule, height)) {
        if (tick.kind !== "dayEnd" && ledgerHeight >= height) continue; // decided: no more rounds
        // A tick already past is fired at once only if it is the round in progress (a restart mid-round).
        if (tick.kind !== "dayEnd" && tick.at < now()) {
          const current = roundAt(schedule, height, now());
          if (tick.round < current || tick.kind !== "roundStart") continue;
        }
        if (!await sleepUntil(tick.at, now, stop.signal)) break days;
        if (tick.kind === "roundStart") {
          round = tick.round;
          emit({ type: "tick", ...place(), tick: "roundStart" });
          void event({ kind: "roundStart", round });
          release();
        } else if (tick.kind === "phase") void event({ kind: "phase", round: tick.round, phase: tick.phase });
        else if (tick.kind === "roundEnd") void event({ kind: "roundEnd", round: tick.round });
      }
      if (stop.signal.aborted) break;
      if (ledgerHeight < height) await catchUp(height);
      if (ledgerHeight < height) {
        emit({ type: "note", ...place(), text: `no block was decided for day ${height}; the node stops` });
        end = "stopped";
        break;
      }
      if (height >= untilHeight) break;
      await enterDay(await tipOf());
    }
    if (crashed) end = "crashed";
    else if (stop.signal.aborted) end = "stopped";
    await stateWrites;
    emit({ type: "stats", ...place(), stats: transport.stats() });
    emit({ type: "end", ...place(), end, ledgerHeight });
    return { height: ledgerHeight, end };
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    await transport?.stop().catch(() => {});
    lock.release();
  }
}

/** A delegate effect as a trace event holds it: a sent message as its digest and cost, not its certificate. */
function compactDelegate(
  e: DelegateEffect,
  env: () => import("../consensus/types.ts").Verifier,
): import("./events.ts").TracedDelegateEffect {
  if (e.kind === "send") {
    const msg = e.msg as Partial<Message>;
    const cert = msg?.proposal?.certificate;
    let digest: string | undefined, cost: number | undefined;
    try {
      if (cert) {
        digest = env().digest(cert);
        cost = env().costUsd(cert);
      }
    } catch {
      // junk (behaviour `junk`): no digest to learn
    }
    return {
      kind: "send",
      to: msg?.to as NodeId,
      round: msg?.round as number,
      ...(digest === undefined ? {} : { digest, cost }),
      ...(e.delayMs ? { delayMs: e.delayMs } : {}),
    };
  }
  if (e.kind === "drop") return { kind: "drop", reason: e.reason, msg: null };
  return e;
}

/** A normal-node effect as a trace event holds it (a drop without the dropped message). */
function compactNormal(e: NormalEffect): NormalEffect {
  return e.kind === "drop" ? { kind: "drop", reason: e.reason, msg: null } : e;
}
