/**
 * Runs the published price iteration on Worker actors: one Worker per
 * participant (actors/iteration_worker.ts), messages routed by this runner.
 *
 * Authentication: the runner stamps every message with the id of the Worker
 * that posted it (a Worker cannot speak for another: a message claiming another
 * sender is stamped with its real one, and noted), so the channel is
 * authenticated without per-message signatures (the iteration sends about a
 * hundred messages per community and delegate per round: 1.2 million for 120
 * communities, where an Ed25519 signature and check each would dominate).
 * Every message is size-checked ({@link MAX_ITERATION_MESSAGE_BYTES}) and sent
 * only to a participant of the run.
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
import type { IterationSetup } from "./iteration_runner.ts";
import { type IterationRun, type IterationStatus, IterationTally, nextTimeouts } from "./iteration_runner.ts";
import type { FromIterationWorker, ToIterationWorker, WorkerStatus } from "./iteration_worker.ts";

/** The Worker module of a participant. */
const WORKER_MODULE = new URL("./iteration_worker.ts", import.meta.url);
/** Largest message a Worker may send, as JSON, bytes (a price or demand vector is far smaller). */
export const MAX_ITERATION_MESSAGE_BYTES = 4096;
/** Default limit on a whole Worker run's wall time, ms. */
export const DEFAULT_ITERATION_WALL_LIMIT_MS = 600_000;
/** The message kinds of the iteration. */
const KINDS = new Set(["demand", "forward", "prices"]);

/** Options of {@link runMarketIterationOnWorkers}. */
export interface WorkerIterationOptions {
  /** Stop (and fail) when the run takes longer than this, ms (default {@link DEFAULT_ITERATION_WALL_LIMIT_MS}). */
  wallLimitMs?: number;
}

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
export function runIterationOnWorkers(
  job: WorkerIterationJob,
  runOptions: WorkerIterationOptions = {},
): Promise<IterationRun> {
  const t0 = performance.now();
  const setup = job.setup;
  const communityIds = setup.communities.map((c) => c.id);
  const delegateIds = setup.delegates.map((d) => d.id);
  const ids = [...new Set([...communityIds, ...delegateIds])].sort((a, b) => a - b);
  const maxRounds = setup.maxRounds;
  const workers = new Map<NodeId, Worker>();
  const statuses = new Map<NodeId, WorkerStatus>();
  const tally = new IterationTally(setup.delegates.map((d) => ({ id: d.id, startPrices: d.startPrices })));
  let inflight = 0, ready = 0;

  return new Promise<IterationRun>((resolve, reject) => {
    let over = false;
    const finish = (error?: Error) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      for (const w of workers.values()) w.terminate();
      if (error) reject(error);
      else resolve(tally.result(status(), performance.now() - t0));
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
    const route = (from: NodeId, effects: IterationEffect[]) => {
      const checked = checkOutgoing(from, effects, ids);
      tally.record(from, checked);
      for (const e of checked) if (e.type === "send") post(e.to, { type: "deliver", message: e.message });
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
          for (const c of communityIds) post(c, { type: "start" });
        }
        return;
      }
      inflight--;
      const c = msg.status.community;
      if (c) tally.started(id, c.prices, c.answer);
      route(id, msg.effects);
      settle();
    };
    const init = (id: NodeId): ToIterationWorker => ({
      type: "init",
      id,
      spec: job.spec,
      setupModule: job.setupModule.href,
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
 * What the runner does with a Worker's effects before routing them: a message to a non-participant, of
 * an unknown kind or larger than {@link MAX_ITERATION_MESSAGE_BYTES} becomes a note; every other message is
 * stamped with `from`, the Worker that posted it (a claim to be another sender is noted, not believed).
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
