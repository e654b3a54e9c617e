/**
 * The supervisor of the Worker runtime: it starts one Worker per
 * participant, drives time (round start, round timeout), routes every
 * message (and so records the trace), restarts a Worker that crashed from
 * the state it last persisted, and ends the run when every normal node has
 * accepted a block or the rounds run out.
 *
 * Messages to a Worker that is down wait in its mailbox here and are
 * delivered after the restart: nothing is lost.
 *
 * @module
 */
import { makeVerifier } from "../consensus/digest.ts";
import { Recorder } from "../consensus/recorder.ts";
import type { RunReport, RunTimings } from "../consensus/report.ts";
import type { DelegateEffect, DelegateEvent, DelegateSnapshot, Message, NodeId } from "../consensus/types.ts";
import { loadUomCase } from "../models/case.ts";
import { buildDispatchModel } from "../models/dispatch.ts";
import type { Scenario } from "../scenarios/loader.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.ts";

/** The Worker module every participant runs (listed for `deno compile --include`). */
export const WORKER_MODULE: URL = new URL("./worker.ts", import.meta.url);

/** Options of a Worker run. */
export interface SupervisorOptions {
  /** Overrides the scenario's round timeout, ms. */
  roundTimeoutMs?: number;
  /** Called with a one-line progress note (round started, decided, ...). */
  progress?: (line: string) => void;
}

interface Slot {
  id: NodeId;
  init: WorkerInit;
  worker?: Worker;
  up: boolean;
  /** Inputs waiting while the Worker is down or starting. */
  mailbox: ToWorker[];
  /** Inputs posted to the Worker and not finished yet, by sequence number (redelivered after a crash). */
  posted: Map<number, ToWorker>;
  snapshot?: DelegateSnapshot;
  crashed: boolean;
  ready?: () => void;
}

/** Leader most delegates follow: the lowest id that no majority has blacklisted. */
function consensusLeader(delegates: NodeId[], blacklists: Map<NodeId, Set<NodeId>>): NodeId | undefined {
  return delegates.find((d) => {
    let votes = 0;
    for (const b of blacklists.values()) if (b.has(d)) votes++;
    return 2 * votes <= delegates.length;
  });
}

/**
 * Runs a scenario on Worker actors and returns its trace.
 *
 * @example
 * ```ts
 * import { loadScenarioFile } from "../scenarios/loader.ts";
 * import { runScenario } from "./supervisor.ts";
 * const report = await runScenario(await loadScenarioFile("scenarios/scenario1.yaml"));
 * console.log(report.outcome); // { round: 2, leader: "D", costUsd: 744 }
 * ```
 */
export async function runScenario(scenario: Scenario, options: SupervisorOptions = {}): Promise<RunReport> {
  const tStart = performance.now();
  const progress = options.progress ?? (() => {});
  const timeoutMs = options.roundTimeoutMs ?? scenario.roundTimeoutMs;
  const names = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  const normals = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const model = buildDispatchModel(await loadUomCase());
  const recorder = new Recorder({
    scenario: scenario.name,
    runtime: "workers",
    seed: scenario.seed,
    names,
    delegates,
    normals,
    env: makeVerifier(model),
    notices: scenario.notices,
  });

  const slots = new Map<NodeId, Slot>();
  const blacklists = new Map<NodeId, Set<NodeId>>(delegates.map((d) => [d, new Set()]));
  const accepted = new Set<NodeId>();
  const inFlight = new Set<number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let seq = 0, round = 0, solvingMs = 0, roundCheckMs = 0;
  let quiet: (() => void) | undefined;
  let lastBusy = performance.now();

  const settle = () => {
    if (inFlight.size === 0 && timers.size === 0) {
      lastBusy = performance.now();
      quiet?.();
    }
  };

  const post = (slot: Slot, input: ToWorker) => {
    if ("seq" in input) slot.posted.set(input.seq, input);
    slot.worker!.postMessage(input);
  };
  const send = (slot: Slot, input: ToWorker) => {
    if ("seq" in input) inFlight.add(input.seq);
    if (slot.up && slot.worker) post(slot, input);
    else slot.mailbox.push(input);
  };

  const route = (from: NodeId, msg: Message, delayMs = 0) => {
    const target = slots.get(msg.to);
    if (!target) {
      recorder.dropped(msg.to, `${names[from] ?? from} sent to unknown participant ${msg.to}`);
      return;
    }
    if (delayMs <= 0) return send(target, { type: "deliver", seq: ++seq, msg });
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(target, { type: "deliver", seq: ++seq, msg });
      settle();
    }, delayMs);
    timers.add(timer);
  };

  const onDelegateEffects = (slot: Slot, effects: DelegateEffect[]) => {
    for (const e of effects) {
      recorder.delegateEffect(slot.id, e);
      if (e.kind === "send") route(slot.id, e.msg, e.delayMs);
      else if (e.kind === "persist") slot.snapshot = e.snapshot;
      else if (e.kind === "blacklist") blacklists.get(slot.id)?.add(e.leader);
      else if (e.kind === "crash") crash(slot, `crashed as round ${e.round} started (crash_at_round)`);
      else if (e.kind === "commit") progress(`round ${e.round}: ${names[slot.id]} commits`);
    }
  };

  const onMessage = (slot: Slot, m: FromWorker) => {
    if (m.type === "ready") {
      slot.up = true;
      for (const input of slot.mailbox.splice(0)) post(slot, input);
      slot.ready?.();
      return;
    }
    if (m.type === "failed") {
      recorder.note(`${names[slot.id]}: an input failed and was skipped: ${m.error.split("\n")[0]}`);
      return;
    }
    solvingMs += m.solveMs;
    roundCheckMs = Math.max(roundCheckMs, m.checkMs);
    if (m.final) {
      slot.posted.delete(m.seq);
      inFlight.delete(m.seq);
    }
    onDelegateEffects(slot, m.delegate);
    for (const e of m.normal) {
      recorder.normalEffect(slot.id, e);
      if (e.kind === "accept") accepted.add(slot.id);
    }
    settle();
  };

  const spawn = (slot: Slot): Promise<void> => {
    const worker = new Worker(WORKER_MODULE, { type: "module", name: names[slot.id] });
    slot.worker = worker;
    slot.up = false;
    // A terminated Worker's late messages are ignored: only the current one speaks for the slot.
    worker.onmessage = (e: MessageEvent<FromWorker>) => slot.worker === worker && onMessage(slot, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (slot.worker === worker) crash(slot, `failed: ${e.message}`);
    };
    const ready = new Promise<void>((resolve) => (slot.ready = resolve));
    worker.postMessage(slot.init);
    return ready;
  };

  /** Kills a Worker (as a crash would) and starts a new one from its last persisted state. */
  const crash = (slot: Slot, why: string) => {
    slot.worker?.terminate();
    slot.up = false;
    slot.crashed = true;
    // The recorder already notes a `crash` effect; this note says what the supervisor did about it.
    recorder.note(`${names[slot.id]} restarted from its last persisted state (it ${why})`);
    progress(`${names[slot.id]} ${why}; restarting`);
    // Inputs it had not finished are redelivered to the new Worker, which starts from the snapshot.
    slot.mailbox.unshift(...slot.posted.values());
    slot.posted.clear();
    if (slot.init.delegate) {
      slot.init = {
        ...slot.init,
        delegate: { ...slot.init.delegate, snapshot: slot.snapshot, alreadyCrashed: true },
      };
      // Catch the restarted delegate up with the round in progress.
      if (round > 0 && (slot.snapshot?.round ?? 0) < round) {
        slot.mailbox.unshift({ type: "event", seq: ++seq, event: { kind: "roundStart", round } });
        inFlight.add(seq);
      }
    }
    void spawn(slot);
  };

  for (const p of scenario.participants) {
    const init: WorkerInit = {
      type: "init",
      id: p.id,
      names,
      ...(p.delegate
        ? { delegate: { delegates, normals, misbehaviour: p.misbehaviour, alreadyCrashed: false } }
        : {}),
      ...(p.normal ? { normal: { delegates, verifyCertificates: scenario.normalVerify } } : {}),
    };
    slots.set(p.id, { id: p.id, init, up: false, mailbox: [], posted: new Map(), crashed: false });
  }
  progress(`starting ${slots.size} Workers`);
  await Promise.all([...slots.values()].map(spawn));
  const startup = performance.now() - tStart;

  const timings = { solving: 0, checking: 0, waiting: 0 };
  const toDelegates = (event: DelegateEvent) => {
    for (const d of delegates) send(slots.get(d)!, { type: "event", seq: ++seq, event });
  };
  const whenQuiet = () =>
    new Promise<void>((resolve) => {
      quiet = resolve;
      settle();
    });

  try {
    for (round = 1; round <= scenario.maxRounds && accepted.size < normals.length; round++) {
      const leader = consensusLeader(delegates, blacklists);
      if (leader === undefined) break;
      recorder.roundStart(round, names[leader]);
      progress(`round ${round}: leader ${names[leader]}`);
      solvingMs = 0;
      roundCheckMs = 0;
      toDelegates({ kind: "roundStart", round });
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      // Idle time: from the moment the round went quiet until its timeout.
      if (inFlight.size === 0 && timers.size === 0) timings.waiting += performance.now() - lastBusy;
      timings.solving += solvingMs;
      timings.checking += roundCheckMs;
      roundCheckMs = 0;
      toDelegates({ kind: "roundEnd", round });
      await whenQuiet();
      timings.checking += roundCheckMs;
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const s of slots.values()) s.worker?.terminate();
  }
  const report = recorder.finish();
  const total = performance.now() - tStart;
  const runTimings: RunTimings = {
    total,
    startup,
    solving: timings.solving,
    checking: timings.checking,
    waiting: timings.waiting,
    other: total - startup - timings.solving - timings.checking - timings.waiting,
  };
  return { ...report, timings: runTimings };
}
