/**
 * Runs the published price iteration on Worker actors: one Worker per
 * participant (actors/iteration_worker.ts), messages routed by this runner.
 *
 * Authentication: every message is signed by its sender inside its own Worker
 * (Ed25519, the run's keys: {@link WorkerIterationOptions.keys}) and verified by
 * its receiver before it is taken (actors/iteration_auth.ts); the runner is only
 * the network between them, and a forged or altered message is dropped by the
 * receiver, counted ({@link IterationRun.signatures}) and noted. The runner
 * itself routes only what a Worker sealed, size-checked
 * ({@link MAX_ITERATION_MESSAGE_BYTES}) and only to a participant of the run.
 * The cost: a signature and a check per message, about a hundred messages per
 * community per round (docs/market.md has the figures).
 *
 * Rounds end as in the simulator: as soon as every expected message arrived;
 * when no message is in flight and no Worker is busy while some machine still
 * waits, the runner fires the timeouts of actors/iteration_runner.ts's lockstep
 * rule ({@link nextTimeouts}); so no round waits on the wall clock.
 *
 * @module
 */
import type { IterationEffect, IterationMessage } from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import type { IterationObserver, IterationSetup } from "./iteration_runner.ts";
import { type IterationRun, type IterationStatus, IterationTally, nextTimeouts } from "./iteration_runner.ts";
import type {
  FromIterationWorker,
  IterationAuth,
  ToIterationWorker,
  WireMessage,
  WorkerStatus,
} from "./iteration_worker.ts";
import { MAX_SIGNED_BODY_CHARS, type SignedIterationMessage } from "./iteration_auth.ts";
import { type KeySource, publicKeysOf } from "./keys.ts";

/** The Worker module of a participant. */
const WORKER_MODULE = new URL("./iteration_worker.ts", import.meta.url);
/** Largest message a Worker may send, as JSON, bytes (a price or demand vector is far smaller). */
export const MAX_ITERATION_MESSAGE_BYTES = 4096;
/** Default limit on a whole Worker run's wall time, ms. */
export const DEFAULT_ITERATION_WALL_LIMIT_MS = 600_000;
/** Longest signature text the runner routes, characters (an Ed25519 signature in base64url is 86). */
export const MAX_SIG_TEXT_CHARS = 128;
/** The message kinds of the iteration. */
const KINDS = new Set(["demand", "forward", "prices"]);

/** Options of {@link runMarketIterationOnWorkers}. */
export interface WorkerIterationOptions {
  /** Stop (and fail) when the run takes longer than this, ms (default {@link DEFAULT_ITERATION_WALL_LIMIT_MS}). */
  wallLimitMs?: number;
  /** Where the participants' keys come from (default {@link DEFAULT_ITERATION_KEYS}). */
  keys?: KeySource;
  /** The run's id, which every signature covers (default: a random UUID, so no signature outlives its run). */
  runId?: string;
  /** Participants' names by id (their key files' names in a key directory; default `P<id>`). */
  names?: Readonly<Record<NodeId, string>>;
  /**
   * The network between the Workers, for tests of attacks on it: called with every sealed message
   * on its way, it returns what arrives instead (a forged or altered message), or the message itself.
   */
  tamper?: (from: NodeId, to: NodeId, envelope: SignedIterationMessage) => SignedIterationMessage;
  /** Told of every round's prices and every blacklisting as the run goes on (the live page). */
  observer?: IterationObserver;
}

/** Default keys of a Worker iteration: derived from seed 1 (reproducible; the seed reveals every key). */
export const DEFAULT_ITERATION_KEYS: KeySource = { kind: "seed", seed: 1 };

/**
 * An iteration for the Workers: the setup (built by the caller, who knows the problem), and the data and
 * module from which each Worker builds the same setup (functions cannot be sent to a Worker): the module
 * exports `iterationSetupOf(spec)`.
 */
export interface WorkerIterationJob {
  /** The setup, for the runner (ids, starting prices, round guard). */
  setup: IterationSetup;
  /** What the Workers build it from (structured-cloneable). */
  spec: unknown;
  /** The module exporting `iterationSetupOf(spec): IterationSetup`. */
  setupModule: URL;
}

/**
 * Runs an iteration on Workers (see the module documentation); the same outcome as the simulator's
 * {@link simulateIteration} for the same setup.
 */
export async function runIterationOnWorkers(
  job: WorkerIterationJob,
  runOptions: WorkerIterationOptions = {},
): Promise<IterationRun> {
  const t0 = performance.now();
  const setup = job.setup;
  const communityIds = setup.communities.map((c) => c.id);
  const delegateIds = setup.delegates.map((d) => d.id);
  const ids = [...new Set([...communityIds, ...delegateIds])].sort((a, b) => a - b);
  const keys = runOptions.keys ?? DEFAULT_ITERATION_KEYS;
  const nameOf = (id: NodeId) => runOptions.names?.[id] ?? `P${id}`;
  const publicKeys = await publicKeysOf(keys, ids.map((id) => ({ id, name: nameOf(id) })));
  const run = runOptions.runId ?? crypto.randomUUID();
  const tamper = runOptions.tamper;
  const maxRounds = setup.maxRounds;
  const workers = new Map<NodeId, Worker>();
  const statuses = new Map<NodeId, WorkerStatus>();
  const tally = new IterationTally(
    setup.delegates.map((d) => ({ id: d.id, startPrices: d.startPrices })),
    runOptions.observer,
  );
  let inflight = 0, ready = 0, startupMs = 0;

  return new Promise<IterationRun>((resolve, reject) => {
    let over = false;
    const finish = (error?: Error) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      for (const w of workers.values()) w.terminate();
      if (error) return reject(error);
      const signatures = { verified: 0, rejected: 0 };
      for (const st of statuses.values()) {
        signatures.verified += st.signatures?.verified ?? 0;
        signatures.rejected += st.signatures?.rejected ?? 0;
      }
      resolve({ ...tally.result(status(), performance.now() - t0), startupMs, signatures });
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `the iteration took longer than ${runOptions.wallLimitMs ?? DEFAULT_ITERATION_WALL_LIMIT_MS} ms`,
          ),
        ),
      runOptions.wallLimitMs ?? DEFAULT_ITERATION_WALL_LIMIT_MS,
    );
    const status = (): IterationStatus => ({
      communities: communityIds.map((id) => ({
        id,
        round: statuses.get(id)?.community?.round ?? 0,
        finished: statuses.get(id)?.community?.finished ?? false,
      })),
      delegates: delegateIds.map((id) => ({
        id,
        round: statuses.get(id)?.delegate?.round ?? 0,
        finished: statuses.get(id)?.delegate?.finished ?? false,
      })),
    });
    const post = (id: NodeId, input: ToIterationWorker) => {
      inflight++;
      workers.get(id)!.postMessage(input);
    };
    const route = (from: NodeId, effects: IterationEffect[], wire: WireMessage[]) => {
      const { routed, notes } = checkWire(from, wire, ids);
      tally.record(from, [...checkOutgoing(from, effects, ids), ...notes]);
      for (const w of routed) {
        post(w.to, { type: "deliver", envelope: tamper ? tamper(from, w.to, w.envelope) : w.envelope });
      }
    };
    const settle = () => {
      if (inflight > 0 || over) return;
      const next = nextTimeouts(status(), maxRounds);
      if (next === "stop") return finish();
      for (const id of next.communities) {
        tally.record(id, [], true);
        post(id, { type: "timeout", role: "community" });
      }
      for (const id of next.delegates) {
        tally.record(id, [], true);
        post(id, { type: "timeout", role: "delegate" });
      }
    };
    const onMessage = (id: NodeId, msg: FromIterationWorker) => {
      if (over) return;
      if (msg.type === "error") return finish(new Error(`participant ${id}: ${msg.message}`));
      statuses.set(id, msg.status);
      if (msg.type === "ready") {
        if (++ready === ids.length) {
          startupMs = performance.now() - t0;
          for (const c of communityIds) post(c, { type: "start" });
        }
        return;
      }
      inflight--;
      const c = msg.status.community;
      if (c) tally.started(id, c.prices, c.answer);
      route(id, msg.effects, msg.wire);
      settle();
    };
    const init = (id: NodeId): ToIterationWorker => ({
      type: "init",
      id,
      spec: job.spec,
      setupModule: job.setupModule.href,
      auth: { run, keys, name: nameOf(id), publicKeys } satisfies IterationAuth,
    });
    for (const id of ids) {
      const w = new Worker(WORKER_MODULE, { type: "module", name: `participant ${id}` });
      w.onmessage = (e: MessageEvent<FromIterationWorker>) => onMessage(id, e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        finish(new Error(`participant ${id}'s Worker failed: ${e.message}`));
      };
      workers.set(id, w);
      w.postMessage(init(id));
    }
  });
}

/**
 * What the runner counts of a Worker's effects (messages, bytes, notes; what it routes are the sealed
 * messages, {@link checkWire}): a message to a non-participant, of an unknown kind or larger than
 * {@link MAX_ITERATION_MESSAGE_BYTES} becomes a note; every other message is stamped with `from`, the
 * Worker that posted it (a claim to be another sender is noted, not believed).
 */
export function checkOutgoing(
  from: NodeId,
  effects: IterationEffect[],
  participants: readonly NodeId[],
): IterationEffect[] {
  const checked: IterationEffect[] = [];
  for (const e of effects) {
    if (e.type !== "send") {
      checked.push(e);
      continue;
    }
    let m = e.message as Partial<IterationMessage> | null;
    let size: number;
    try {
      size = JSON.stringify(m ?? null).length;
    } catch {
      m = null;
      size = Infinity;
    }
    if (
      !participants.includes(e.to) || !m || !KINDS.has(m.kind as string) || size > MAX_ITERATION_MESSAGE_BYTES
    ) {
      checked.push({
        type: "note",
        round: typeof m?.round === "number" ? m.round : -1,
        text: `the runner dropped a message of ${from} to ${e.to}: ${
          !participants.includes(e.to)
            ? "not a participant"
            : size > MAX_ITERATION_MESSAGE_BYTES
            ? `${size} bytes, more than ${MAX_ITERATION_MESSAGE_BYTES}`
            : "not a message of the iteration"
        }`,
      });
      continue;
    }
    if (m.from !== from) {
      checked.push({
        type: "note",
        round: m.round ?? -1,
        text: `${from} sent a message claiming to be ${m.from}`,
      });
    }
    checked.push({ ...e, message: { ...m, from } as IterationMessage });
  }
  return checked;
}

/**
 * What the runner routes of a Worker's sealed messages: those to a participant whose body (at most
 * {@link MAX_SIGNED_BODY_CHARS}) and signature (at most {@link MAX_SIG_TEXT_CHARS}) are strings; every
 * other one becomes a note.
 */
export function checkWire(
  from: NodeId,
  wire: readonly WireMessage[],
  participants: readonly NodeId[],
): { routed: WireMessage[]; notes: IterationEffect[] } {
  const routed: WireMessage[] = [], notes: IterationEffect[] = [];
  for (const w of Array.isArray(wire) ? wire : []) {
    const e = w?.envelope;
    if (
      !participants.includes(w?.to) || typeof e?.body !== "string" || typeof e.sig !== "string" ||
      e.body.length > MAX_SIGNED_BODY_CHARS || e.sig.length > MAX_SIG_TEXT_CHARS
    ) {
      notes.push({
        type: "note",
        round: -1,
        text: `the runner dropped a sealed message of ${from} to ${w?.to}: ${
          participants.includes(w?.to) ? "malformed or too large" : "not a participant"
        }`,
      });
      continue;
    }
    routed.push(w);
  }
  return { routed, notes };
}
