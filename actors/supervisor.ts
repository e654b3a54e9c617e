/**
 * The supervisor of the Worker runtime: it prepares the keys and the chain
 * (genesis), starts one Worker per participant, drives time (days, round
 * start, strict-mode relay phases, round timeout) and leader rotation,
 * routes every message (and so records the trace), restarts a Worker that
 * crashed from the state it last persisted, and moves to the next day when
 * every normal node has accepted (and written) the day's block.
 *
 * Messages to a Worker that is down wait in its mailbox here and are
 * delivered after the restart: nothing is lost. A restarted normal node is
 * given again every decision of the day it had received (its ledger is its
 * durable state; the tally before a block is rebuilt from them).
 *
 * A rerun on the same data directory continues the chain: the day after the
 * last block of the ledgers, with the blacklist and rotation it left.
 *
 * @module
 */
import { blacklistAfter, defaultFaults, leaderOf } from "../consensus/delegate.ts";
import {
  blockFieldsOf,
  type BlockRecord,
  type GenesisRecord,
  type GenesisSchedule,
  makeGenesis,
} from "../consensus/ledger.ts";
import { Recorder } from "../consensus/recorder.ts";
import type { RunReport, RunTimings } from "../consensus/report.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  DelegateSnapshot,
  EquivocationEvidence,
  Message,
  NodeId,
} from "../consensus/types.ts";
import { problemKind, readCaseFile } from "../problems/registry.ts";
import { type CaseFile, type Problem, problemData } from "../problems/types.ts";
import { DAILY_LOAD_VARIATION, dayLoadFactor } from "../problems/schedule.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { type KeySource, publicKeysOf } from "./keys.ts";
import { makeChainChecker } from "./chain_check.ts";
import { DataDirBusyError, lockDataDir } from "./data_lock.ts";
import { LedgerError, ledgerFileName, readLedger } from "./ledger_file.ts";
import type { BlockWritten, DayInfo, FromWorker, ToWorker, WorkerInit } from "./protocol.ts";
import { participantInit } from "./init.ts";
import { type LiveEvent, liveOfDelegate, liveOfNormal, liveRunEvent } from "./live_event.ts";

/** The Worker module every participant runs (listed for `deno compile --include`). */
export const WORKER_MODULE: URL = new URL("./worker.ts", import.meta.url);

/** The folder under which each scenario's default data directory lies (ledgers, and keys when the scenario names none). */
export const DEFAULT_DATA_DIR = "poso-data";

/**
 * The data directory a run of `scenario` uses when none is named: `poso-data/<file stem>`, the
 * scenario file's name without its `.yaml`/`.yml` extension (`scenarios/scenario1.yaml` →
 * `poso-data/scenario1`), so that runs of different scenarios never share a chain.
 *
 * @example
 * ```ts
 * import { defaultDataDir } from "./supervisor.ts";
 * console.log(defaultDataDir({ file: "scenarios/scenario1.yaml" })); // "poso-data/scenario1"
 * ```
 */
export function defaultDataDir(scenario: Pick<Scenario, "file">): string {
  const stem = (scenario.file.split(/[\\/]/).pop() ?? "").replace(/\.ya?ml$/i, "");
  // A stem that cannot name a folder of its own (a file named ".yaml", a path ending in "..").
  return `${DEFAULT_DATA_DIR}/${stem === "" || stem === "." || stem === ".." ? "scenario" : stem}`;
}

/**
 * Options of a Worker run.
 *
 * @example
 * ```ts
 * import type { SupervisorOptions } from "../mod.ts";
 * const options: SupervisorOptions = { dataDir: "out/data", days: 3, progress: (line) => console.error(line) };
 * ```
 */
export interface SupervisorOptions {
  /** Overrides the scenario's round timeout, ms. */
  roundTimeoutMs?: number;
  /** Called with a one-line progress note (round started, decided, ...). */
  progress?: (line: string) => void;
  /**
   * Data directory: one ledger per normal node, and `keys/` unless the scenario says otherwise.
   * Default: {@link defaultDataDir}, `poso-data/<scenario file stem>`.
   */
  dataDir?: string;
  /** Days (blocks) to dispatch; overrides the scenario's `days.count`. */
  days?: number;
  /**
   * Dispatch until the chain holds the block of this height (day), whatever it holds already: a
   * rerun after a crash finishes the same plan. Overrides `days`; 0 days when the chain is there
   * (the run then only catches lagging ledgers up).
   */
  untilHeight?: number;
  /**
   * Called with each day's trace as soon as the day is decided (before the next day starts), so that
   * a caller can print it at once; the run waits for the promise it returns.
   */
  onDay?: (report: RunReport) => void | Promise<void>;
  /**
   * Stops the run when aborted (Ctrl-C): every Worker is terminated, the data directory's lock
   * released, and runDays throws a {@link RunInterruptedError} naming the day it stopped at. Days
   * already decided were given to `onDay`; their blocks are in the ledgers.
   */
  signal?: AbortSignal;
  /**
   * Wait out every round timeout and relay phase on the wall clock, as participants on separate
   * machines would (default false: once every Worker is idle and no held-back message is due before
   * the deadline, nothing can change before it, so the supervisor moves the clock to the deadline
   * at once; decisions and the trace are the same either way).
   */
  fullRounds?: boolean;
  /**
   * Observer of the run as it goes on (the live page, cli/live.ts): called synchronously with each
   * small event (no certificates); it must return at once (queue, never wait).
   */
  onEvent?: (e: LiveEvent) => void;
}

/**
 * A run that cannot start (ledgers of another chain in the data directory, ...).
 *
 * @example
 * ```ts ignore
 * import { loadScenarioFile, runDays, RunError } from "../mod.ts";
 * try {
 *   await runDays(await loadScenarioFile("scenarios/scenario1.yaml"), { dataDir: "poso-data" });
 * } catch (e) {
 *   if (e instanceof RunError) console.error(e.message); // e.g. "poso-data/A.ledger.jsonl belongs to another chain ..."
 *   else throw e;
 * }
 * ```
 */
export class RunError extends Error {
  /** An error whose message says why the run cannot start. */
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * A run stopped by its abort signal (Ctrl-C) before it finished: the message says at which day.
 *
 * @example
 * ```ts
 * import { RunInterruptedError } from "./supervisor.ts";
 * const e = new RunInterruptedError("poso-data/scenario1", 3, 2, 7);
 * console.log(e.message);
 * // interrupted while deciding block 3; blocks up to 2 are decided and in the ledgers of poso-data/scenario1
 * ```
 */
export class RunInterruptedError extends Error {
  /**
   * An error whose message says which block the run was deciding and which blocks are decided.
   *
   * @param dataDir the run's data directory
   * @param height the block (day) being decided when the run stopped, or 0 before the first day started
   * @param lastDecided the last block the chain held for certain when the run stopped (0: none)
   * @param planned the last block the run meant to dispatch (0: not known yet)
   */
  constructor(
    readonly dataDir: string,
    readonly height: number,
    readonly lastDecided: number,
    readonly planned: number,
  ) {
    super(
      (height > 0
        ? `interrupted while deciding block ${height}`
        : "interrupted before the first day started") +
        (lastDecided > 0
          ? `; blocks up to ${lastDecided} are decided and in the ledgers of ${dataDir}`
          : `; no block of this run was decided`),
    );
    this.name = "RunInterruptedError";
  }
}

/** A message a dishonest node holds back, delivered when it is due. */
interface Held {
  /** When it is due, ms on the performance clock. */
  dueAt: number;
  /** Hands it to its receiver. */
  deliver: () => void;
  timer?: ReturnType<typeof setTimeout>;
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
  /** Decisions delivered to this participant during the current day (redelivered after a crash). */
  dayDecisions: ToWorker[];
  /** Equivocation evidence its delegate reported during the current day (given back after a crash). */
  dayEvidence: EquivocationEvidence[];
  snapshot?: DelegateSnapshot;
  ready?: () => void;
  /** Times its Worker was restarted in this run. */
  restarts: number;
  /** Height of the last block in its ledger (0: none, or it keeps none). */
  ledgerHeight: number;
  /** The day whose problem its current Worker was given ahead (`prepare`), if any. */
  preparedHeight?: number;
}

/**
 * The leader most delegates follow: the first (after `startAfter`) that no majority of delegates
 * has blacklisted. The trace names it for each round.
 *
 * @example
 * ```ts
 * import { consensusLeader } from "../mod.ts";
 * const blacklists = new Map([[9, new Set([8])], [10, new Set([8])], [11, new Set<number>()]]);
 * console.log(consensusLeader([8, 9, 10, 11], blacklists)); // 9
 * ```
 */
export function consensusLeader(
  delegates: NodeId[],
  blacklists: Map<NodeId, Set<NodeId>>,
  startAfter?: NodeId,
): NodeId | undefined {
  const majority = delegates.filter((d) => {
    let votes = 0;
    for (const b of blacklists.values()) if (b.has(d)) votes++;
    return 2 * votes > delegates.length;
  });
  return leaderOf({ delegates, startAfter }, majority);
}

/**
 * The key source a scenario asks for: its seed, its key directory, or `<dataDir>/keys`.
 *
 * @example
 * ```ts
 * import { keySourceOf, loadScenarioFile } from "../mod.ts";
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * console.log(keySourceOf(scenario, "poso-data")); // { kind: "dir", dir: "poso-data/keys" }
 * ```
 */
export function keySourceOf(scenario: Scenario, dataDir: string): KeySource {
  const k = scenario.keys;
  if (k.kind === "seed") return { kind: "seed", seed: k.seed };
  return { kind: "dir", dir: k.kind === "dir" ? k.dir : `${dataDir}/keys` };
}

/**
 * The genesis record of a scenario's chain (the same for every participant and every rerun),
 * given every participant's public key (base64url) by id.
 *
 * @example
 * ```ts
 * import { genesisOf, loadScenarioFile, publicKeysOf } from "../mod.ts";
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * const keys = await publicKeysOf({ kind: "seed", seed: 1 }, scenario.participants);
 * const genesis = await genesisOf(scenario, keys);
 * console.log(genesis.participants.length, genesis.hash.startsWith("sha256:")); // 7 true
 * ```
 */
export async function genesisOf(
  scenario: Scenario,
  publicKeys: Record<NodeId, string>,
  problem?: RunProblem,
  schedule?: GenesisSchedule,
): Promise<GenesisRecord> {
  const { kind, case: theCase, digest } = problem ?? await runProblemOf(scenario);
  return makeGenesis({
    scenario: scenario.name,
    seed: scenario.seed,
    problem: kind.name,
    caseName: kind.caseName(theCase),
    caseDigest: digest,
    loadVariation: DAILY_LOAD_VARIATION,
    protocol: scenario.protocol,
    rotateLeader: scenario.days.rotateLeader,
    participants: scenario.participants.map((p) => ({
      id: p.id,
      name: p.name,
      delegate: p.delegate,
      normal: p.normal,
      publicKey: publicKeys[p.id],
    })),
    ...(schedule ? { schedule } : {}),
  });
}

/**
 * The problem a run solves every day: its kind, its validated case, the SHA-256 of the case
 * file's bytes (what the genesis records) and the file it was read from.
 */
export type RunProblem = CaseFile;

/**
 * The problem a scenario runs: its kind (`problem:`) with its case (`case:`, or `poso run --case`,
 * else the kind's bundled case), read once, digested and validated (problems/registry.ts readCaseFile).
 *
 * @example
 * ```ts
 * import { loadScenarioFile, runProblemOf } from "../mod.ts";
 * const { kind } = await runProblemOf(await loadScenarioFile("scenarios/scenario1.yaml"));
 * console.log(kind.name); // ies-dispatch
 * ```
 */
export function runProblemOf(scenario: Pick<Scenario, "problem" | "casePath">): Promise<RunProblem> {
  const kind = problemKind(scenario.problem);
  return readCaseFile(kind, scenario.casePath ?? kind.defaultCase);
}

/** What the ledgers of a data directory hold when a run starts. */
interface Survey {
  /** The last block of the longest ledger (undefined: no block anywhere yet). */
  tip?: BlockRecord;
  /** Blocks 1..tip of the longest ledger, each verified: what a lagging ledger catches up from. */
  blocks: BlockRecord[];
  /** Which participant's ledger that is. */
  source?: string;
}

/**
 * Reads and verifies every normal participant's ledger in `dataDir` before a
 * run builds on them: each must be a regular file (never a link to another
 * participant's ledger), of this chain, and every block must verify (links,
 * digests, signatures, derived blacklist: actors/chain_check.ts). A run never
 * starts from a block it has not verified; a bad ledger stops it with the
 * file, line and reason. Ledgers that merely lag behind the longest are
 * caught up by their Workers once they start.
 */
async function surveyLedgers(
  scenario: Scenario,
  dataDir: string,
  genesis: GenesisRecord,
): Promise<Survey> {
  const checker = makeChainChecker(genesis, { certificates: false });
  const survey: Survey = { blocks: [] };
  const decisions = new Map<number, { key: string; who: string }>();
  for (const p of scenario.participants.filter((p) => p.normal)) {
    const file = ledgerFileName(dataDir, p.name);
    const info = await Deno.lstat(file).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw new RunError(`${file}: ${(e as Error).message}`);
    });
    if (!info) continue;
    if (!info.isFile) {
      const what = info.isSymlink
        ? "a symbolic link"
        : info.isDirectory
        ? "a directory"
        : "not a regular file";
      throw new RunError(`${file} is ${what}; a ledger must be a regular file of its own`);
    }
    let records;
    try {
      records = (await readLedger(file)).records;
    } catch (e) {
      throw new RunError(`${e instanceof LedgerError ? "" : `${file}: `}${(e as Error).message}`);
    }
    const first = records[0];
    if (first && first.hash !== genesis.hash) {
      throw anotherChain(file, first as GenesisRecord, genesis, scenario);
    }
    for (let h = 1; h < records.length; h++) {
      const b = records[h] as BlockRecord;
      const reason = await checker.check(b, records[h - 1]);
      if (reason) {
        throw new RunError(
          `${file}:${h + 1} (height ${h}): ${reason}; the run does not build on a block it cannot verify ` +
            `(see 'poso ledger verify ${dataDir}')`,
        );
      }
      const key = `round ${b.round}, leader ${b.leader}, proposal ${b.proposal}`;
      const seen = decisions.get(h);
      if (seen && seen.key !== key) {
        throw new RunError(
          `ledgers fork at height ${h}: ${seen.who} holds ${seen.key}; ${p.name} holds ${key}`,
        );
      }
      decisions.set(h, { key, who: p.name });
    }
    if (records.length - 1 > survey.blocks.length) {
      survey.blocks = records.slice(1) as BlockRecord[];
      survey.tip = survey.blocks[survey.blocks.length - 1];
      survey.source = p.name;
    }
  }
  return survey;
}

/**
 * Why a ledger of another chain cannot be continued: another problem kind, another case (both
 * named, with their digests: two cases may share a name), or else another scenario, seed, protocol
 * or keys.
 */
function anotherChain(
  file: string,
  theirs: GenesisRecord,
  ours: GenesisRecord,
  scenario: Pick<Scenario, "casePath">,
): RunError {
  const remedy = "use another --data directory or remove it";
  if (theirs.problem !== ours.problem) {
    return new RunError(
      `${file} was written for problem kind ${JSON.stringify(theirs.problem)}, this run poses ` +
        `${JSON.stringify(ours.problem)}; ${remedy}`,
    );
  }
  if (theirs.caseDigest !== ours.caseDigest) {
    const source = scenario.casePath ?? "the bundled case";
    return new RunError(
      `${file} was written for another case: its chain's case is ${JSON.stringify(theirs.caseName)} ` +
        `(${theirs.caseDigest}), this run's is ${JSON.stringify(ours.caseName)} (${ours.caseDigest}, ` +
        `${source}); run it with the chain's case (--case), or ${remedy}`,
    );
  }
  return new RunError(
    `${file} belongs to another chain (another scenario, seed, protocol or keys); ${remedy}`,
  );
}

/**
 * Runs a scenario on Worker actors, one block per day, and returns the trace
 * of every day.
 *
 * @example
 * ```ts ignore
 * import { loadScenarioFile } from "../scenarios/loader.ts";
 * const [day1] = await runDays(await loadScenarioFile("scenarios/scenario1.yaml"), { dataDir: "out/data" });
 * console.log(day1.outcome); // { round: 2, leader: "D", costUsd: 744 }
 * ```
 */
export async function runDays(scenario: Scenario, options: SupervisorOptions = {}): Promise<RunReport[]> {
  const dataDir = options.dataDir ?? defaultDataDir(scenario);
  if (options.signal?.aborted) throw new RunInterruptedError(dataDir, 0, 0, 0);
  let lock;
  try {
    lock = await lockDataDir(dataDir);
  } catch (e) {
    throw e instanceof DataDirBusyError ? new RunError(e.message) : e;
  }
  try {
    return await runLocked(scenario, options, dataDir);
  } finally {
    lock.release();
  }
}

/**
 * The next day's problem is built while a round waits for its timeout only when the time left is at
 * least this multiple of the last build's duration, so that building never delays a round's end.
 */
const PREPARE_MARGIN = 2;

/** Restarts of one participant's Worker a run allows before it gives up (a crash that repeats is a bug). */
const MAX_RESTARTS = 5;

/** {@link runDays} once the data directory is locked. */
async function runLocked(
  scenario: Scenario,
  options: SupervisorOptions,
  dataDir: string,
): Promise<RunReport[]> {
  const tStart = performance.now();
  const progress = options.progress ?? (() => {});
  const timeoutMs = options.roundTimeoutMs ?? scenario.roundTimeoutMs;
  const names = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  const normals = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const strict = scenario.protocol === "strict";
  const f = scenario.faultTolerance ?? defaultFaults(delegates.length);

  const keys = keySourceOf(scenario, dataDir);
  const publicKeys = await publicKeysOf(keys, scenario.participants);
  const run = await runProblemOf(scenario);
  const genesis = await genesisOf(scenario, publicKeys, run);
  const survey = await surveyLedgers(scenario, dataDir, genesis);
  const tip = survey.tip;
  const firstHeight = (tip?.height ?? 0) + 1;
  const dayCount = options.untilHeight !== undefined
    ? Math.max(0, options.untilHeight - (firstHeight - 1))
    : options.days ?? scenario.days.count;
  const dayInfo = (height: number, blacklistAtStart: NodeId[], startAfter?: NodeId): DayInfo => ({
    height,
    loadFactor: dayLoadFactor(scenario.seed, height),
    blacklistAtStart,
    ...(startAfter === undefined ? {} : { startAfter }),
  });
  let day = dayInfo(
    firstHeight,
    tip?.blacklist ?? [],
    scenario.days.rotateLeader ? tip?.leader : undefined,
  );
  if (tip) progress(`continuing the chain in ${dataDir} after block ${tip.height}`);

  const slots = new Map<NodeId, Slot>();
  const inFlight = new Set<number>();
  /** Messages a dishonest node holds back (`delay_ms`, `delay_to`), with when each is due. */
  const held = new Set<Held>();
  /** Idle time the clock skipped ({@link SupervisorOptions.fullRounds}), ms. */
  let skippedMs = 0;
  let seq = 0, round = 0;
  let recorder: Recorder | undefined;
  let blacklists = new Map<NodeId, Set<NodeId>>();
  let accepted = new Set<NodeId>();
  let blocks: BlockWritten[] = [];
  // Per-round figures: solving summed, checking/signing the busiest Worker's.
  let solvingMs = 0;
  const checkBy = new Map<NodeId, number>(), signBy = new Map<NodeId, number>();
  let quiet: (() => void) | undefined;
  let lastBusy = performance.now();
  const notes: string[] = [];
  const live = options.onEvent;
  const nameOf = (id: NodeId) => names[id] ?? String(id);
  const costOf = (digest: string) => recorder?.costOf(digest);
  const note = (text: string) => {
    live?.({ kind: "note", height: day.height, round, text });
    return recorder ? recorder.note(text) : notes.push(text);
  };

  // Quiet means every input posted to a Worker was handled. Messages a dishonest node holds back
  // (delay_ms, delay_to) are not waited for: they arrive when their timer fires, or never, and
  // never stretch a day past its schedule.
  const settle = () => {
    if (inFlight.size === 0) {
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
      recorder?.dropped(msg.to, `${names[from] ?? from} sent to unknown participant ${msg.to}`);
      live?.({
        kind: "dropped",
        height: day.height,
        round,
        to: String(msg.to),
        reason: `${names[from] ?? from} sent to unknown participant ${msg.to}`,
      });
      return;
    }
    const deliver = () => {
      const input: ToWorker = { type: "deliver", seq: ++seq, msg };
      if (msg.kind === "decision") target.dayDecisions.push(input);
      send(target, input);
    };
    if (delayMs <= 0) return deliver();
    hold({ dueAt: performance.now() + delayMs, deliver });
  };

  /** Starts (or restarts) the timer of a held-back message; it is delivered when its time comes. */
  const hold = (h: Held) => {
    h.timer = setTimeout(() => {
      held.delete(h);
      h.deliver();
      settle();
    }, Math.max(0, h.dueAt - performance.now()));
    held.add(h);
  };
  /** When the next held-back message is due (ms on the performance clock), or Infinity. */
  const nextDue = () => Math.min(Infinity, ...[...held].map((h) => h.dueAt));
  /**
   * Moves the clock forward by `ms` for what is scheduled: every held-back message comes `ms` sooner,
   * as it would if the skipped idle time had passed.
   */
  const advanceClock = (ms: number) => {
    for (const h of [...held]) {
      clearTimeout(h.timer);
      held.delete(h);
      hold({ ...h, dueAt: h.dueAt - ms });
    }
    skippedMs += ms;
  };

  // The last round whose end was announced, and how long rounds last (for the note on a late leader).
  let endedRound = 0;
  const roundMs = timeoutMs + (strict ? f * scenario.phaseMs : 0);
  /** A leader whose own proposal leaves after its round ended (its solve overran): say so plainly. */
  const noteLateLeader = (slot: Slot, effects: DelegateEffect[], solveMs: number) => {
    const late = effects.find((e) =>
      e.kind === "send" && e.msg.kind === "proposal" && e.msg.path.length === 1 &&
      e.msg.path[0] === slot.id && e.msg.round <= endedRound
    );
    if (late?.kind !== "send") return;
    const length = strict
      ? `round ${roundMs} ms: timeout ${timeoutMs} ms and ${f} relay phases of ${scenario.phaseMs} ms`
      : `timeout ${timeoutMs} ms`;
    note(
      `leader ${names[slot.id]}'s proposal arrived after round ${late.msg.round} ended ` +
        `(solve took ${Math.round(solveMs)} ms, ${length})`,
    );
  };

  const onDelegateEffects = (slot: Slot, effects: DelegateEffect[]) => {
    for (const e of effects) {
      recorder?.delegateEffect(slot.id, e);
      if (live) {
        for (const x of liveOfDelegate(names[slot.id], e, { height: day.height, round }, nameOf, costOf)) {
          live(x);
        }
      }
      if (e.kind === "send") route(slot.id, e.msg, e.delayMs);
      else if (e.kind === "persist") slot.snapshot = e.snapshot;
      else if (e.kind === "evidence") slot.dayEvidence.push(e.evidence);
      else if (e.kind === "blacklist") blacklists.get(slot.id)?.add(e.leader);
      else if (e.kind === "crash") crash(slot, `crashed as round ${e.round} started (crash_at_round)`);
      else if (e.kind === "commit") {
        progress(`day ${day.height}, round ${e.round}: ${names[slot.id]} commits`);
      }
    }
  };

  // A failure the run cannot recover from (a Worker that cannot start, a crash that repeats):
  // every wait of the main loop races against it, so the run ends with the error instead of hanging.
  let abort: (e: Error) => void = () => {};
  const aborted = new Promise<never>((_, reject) => (abort = reject));
  aborted.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);
  const refusals: string[] = [];
  // Ctrl-C (the caller's signal) ends the run like a failure: every wait ends, the Workers are
  // terminated below, and the caller's lock is released. `decidedHeight` is the last block decided.
  let decidedHeight = tip?.height ?? 0;
  let dayStarted = false;
  const plannedHeight = firstHeight - 1 + dayCount;
  // The block being decided: the day's, or the next one once the day's block is decided.
  const interrupt = () =>
    abort(
      new RunInterruptedError(
        dataDir,
        dayStarted ? Math.max(day.height, decidedHeight + 1) : 0,
        decidedHeight,
        plannedHeight,
      ),
    );
  options.signal?.addEventListener("abort", interrupt, { once: true });
  if (options.signal?.aborted) interrupt();

  const onMessage = (slot: Slot, m: FromWorker) => {
    if (m.type === "startFailed") {
      return abort(new RunError(`${names[slot.id]} could not start: ${m.error}`));
    }
    if (m.type === "ready") {
      slot.up = true;
      slot.ledgerHeight = m.ledgerHeight;
      if (m.ledgerHeight > 0) {
        live?.({ kind: "block", node: names[slot.id], height: m.ledgerHeight, bytes: 0 });
      }
      if (m.truncatedBytes > 0) {
        note(
          `${names[slot.id]}'s ledger: a torn last record (${m.truncatedBytes} bytes) was cut off on restart`,
        );
      }
      for (const input of slot.mailbox.splice(0)) post(slot, input);
      slot.ready?.();
      return;
    }
    if (m.type === "dying") return crash(slot, m.why, true);
    if (m.type === "failed") {
      note(`${names[slot.id]}: an input failed and was skipped: ${m.error.split("\n")[0]}`);
      return;
    }
    solvingMs += m.solveMs;
    checkBy.set(slot.id, (checkBy.get(slot.id) ?? 0) + m.checkMs);
    signBy.set(slot.id, (signBy.get(slot.id) ?? 0) + m.signMs);
    if (m.final) {
      slot.posted.delete(m.seq);
      inFlight.delete(m.seq);
    }
    for (const u of m.unauthentic ?? []) {
      recorder?.unauthentic(slot.id, u);
      live?.({ kind: "dropped", height: day.height, round, to: names[slot.id], reason: u.reason });
    }
    if (m.solveMs > 0) noteLateLeader(slot, m.delegate, m.solveMs);
    onDelegateEffects(slot, m.delegate);
    for (const e of m.normal) {
      recorder?.normalEffect(slot.id, e);
      if (live) {
        for (const x of liveOfNormal(names[slot.id], e, { height: day.height, round }, nameOf, costOf)) {
          live(x);
        }
      }
      if (e.kind === "accept") accepted.add(slot.id);
    }
    if (m.refused) {
      refusals.push(`${names[slot.id]} refused block ${m.refused.height}: ${m.refused.reason}`);
    }
    for (const b of m.blocks ?? []) {
      slot.ledgerHeight = b.height;
      blocks.push(b);
      live?.({ kind: "block", node: names[slot.id], height: b.height, bytes: b.bytes });
      progress(`day ${b.height}: ${names[slot.id]} wrote block ${b.height} (${b.bytes} bytes)`);
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
      if (slot.worker !== worker) return;
      // A Worker that dies before it is ready would die again on every restart: end the run instead.
      if (!slot.up) abort(new RunError(`${names[slot.id]} could not start: ${e.message}`));
      else crash(slot, `failed: ${e.message}`);
    };
    const ready = new Promise<void>((resolve) => (slot.ready = resolve));
    worker.postMessage(slot.init);
    return ready;
  };

  /** Kills a Worker (as a crash would) and starts a new one from its last persisted state. */
  const crash = (slot: Slot, why: string, inLedgerWrite = false) => {
    slot.worker?.terminate();
    slot.up = false;
    if (++slot.restarts > MAX_RESTARTS) {
      return abort(new RunError(`${names[slot.id]} ${why}, and has crashed ${MAX_RESTARTS} times already`));
    }
    if (inLedgerWrite) note(`${names[slot.id]} crashed`);
    // The recorder already notes a `crash` effect; this note says what the supervisor did about it.
    note(`${names[slot.id]} restarted from its last persisted state (it ${why})`);
    progress(`${names[slot.id]} ${why}; restarting`);
    // Inputs it had not finished are redelivered to the new Worker, which starts from the snapshot,
    // and so is every decision of the day it had finished (its normal-node tally was in memory).
    const unfinished = [...slot.posted.values()];
    const finishedDecisions = slot.dayDecisions.filter((d) => "seq" in d && !slot.posted.has(d.seq));
    for (const d of finishedDecisions) if ("seq" in d) inFlight.add(d.seq);
    slot.mailbox.unshift(...finishedDecisions, ...unfinished);
    slot.posted.clear();
    slot.init = {
      ...slot.init,
      day,
      evidence: [...slot.dayEvidence],
      ...(inLedgerWrite ? { crashInLedgerWrite: undefined } : {}),
    };
    if (slot.init.delegate) {
      slot.init = {
        ...slot.init,
        delegate: {
          ...slot.init.delegate,
          snapshot: slot.snapshot,
          alreadyCrashed: slot.init.delegate.alreadyCrashed || !inLedgerWrite,
        },
      };
      // Catch the restarted delegate up with the round in progress.
      if (round > 0 && (slot.snapshot?.round ?? 0) < round) {
        slot.mailbox.unshift({ type: "event", seq: ++seq, event: { kind: "roundStart", round } });
        inFlight.add(seq);
      }
    }
    slot.preparedHeight = undefined; // the new Worker holds no prepared problem
    void spawn(slot);
  };

  // The next day's problem, built once a round of this day went quiet (every Worker idle) and before
  // it ends, so that the next day starts without the build; `buildMs` is how long the last build took,
  // `buildingMs` all builds of the run.
  let prepared: { height: number; problem: Problem } | undefined;
  let buildMs = 0, buildingMs = 0;
  const buildProblem = (height: number): Problem => {
    const t0 = performance.now();
    const problem = run.kind.problemFor(run.case, {
      height,
      loadFactor: dayLoadFactor(scenario.seed, height),
    });
    buildMs = performance.now() - t0;
    buildingMs += buildMs;
    return problem;
  };
  const problemOfDay = (height: number): Problem => {
    const problem = prepared?.height === height ? prepared.problem : buildProblem(height);
    prepared = undefined;
    return problem;
  };
  // The day's problem is built here once, for the trace and the report, and its data sent to every
  // Worker, which makes its own Problem from it instead of rebuilding it (problems/types.ts).
  const firstProblem = buildProblem(day.height);
  let dayData = problemData(run.kind, firstProblem);
  const firstSnapshot = (id: NodeId): DelegateSnapshot => ({
    id,
    round: 0,
    blacklist: [...day.blacklistAtStart],
    received: [],
  });
  for (const p of scenario.participants) {
    const init = participantInit(scenario, p, {
      keys,
      publicKeys,
      genesis,
      problem: { kind: run.kind.name, case: run.case, data: dayData },
      day,
      ...(p.normal ? { ledgerFile: ledgerFileName(dataDir, p.name) } : {}),
      snapshot: firstSnapshot(p.id),
      alreadyCrashed: false,
      armLedgerCrash: true,
    });
    slots.set(p.id, {
      id: p.id,
      init,
      up: false,
      mailbox: [],
      posted: new Map(),
      dayDecisions: [],
      dayEvidence: [],
      restarts: 0,
      ledgerHeight: 0,
    });
  }
  const whenQuiet = () =>
    guard(
      new Promise<void>((resolve) => {
        quiet = resolve;
        settle();
      }),
    );

  /**
   * Lets `ms` of round time pass. Returns early, with the clock moved to the deadline
   * ({@link advanceClock}), once every Worker is idle and no held-back message is due before the
   * deadline: nothing can happen until then, so waiting would change no decision. With
   * {@link SupervisorOptions.fullRounds} it waits on the wall clock instead.
   */
  const pass = async (ms: number) => {
    const end = performance.now() + ms;
    for (let left = ms; left > 0; left = end - performance.now()) {
      const due = nextDue();
      if (inFlight.size === 0 && due >= end && !options.fullRounds) return advanceClock(left);
      // Busy, or a held-back message comes before the deadline: wait for quiet, that message or the end.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const until = inFlight.size > 0 ? left : Math.min(left, due - performance.now());
      const waits = [guard(new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, until)))))];
      if (inFlight.size > 0) waits.push(whenQuiet());
      try {
        await Promise.race(waits);
      } finally {
        clearTimeout(timer); // also when the run aborts (Ctrl-C): no timer outlives it
      }
    }
  };

  /**
   * Waits out a round's timeout ({@link pass}) and returns when the round's work was done (the moment
   * it went quiet), or undefined if it was still going. Once quiet with at least PREPARE_MARGIN times
   * the last build's duration left, it builds day `next`'s problem meanwhile and sends every Worker
   * its data (`prepare`), so that the next day starts without the build and without the copies
   * (never delaying the round's end). The build is work, not waiting: the idle time is counted from
   * its end.
   */
  const roundWait = async (ms: number, next?: number): Promise<number | undefined> => {
    const end = performance.now() + ms;
    let doneAt: number | undefined;
    if (next !== undefined && prepared?.height !== next) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([guard(new Promise<void>((r) => (timer = setTimeout(r, ms)))), whenQuiet()]);
      } finally {
        clearTimeout(timer);
      }
      if (inFlight.size === 0) doneAt = lastBusy;
      if (inFlight.size === 0 && end - performance.now() > PREPARE_MARGIN * buildMs) prepare(next);
    }
    await pass(end - performance.now());
    return doneAt ?? (inFlight.size === 0 ? lastBusy : undefined);
  };
  /** Builds day `height`'s problem and gives every Worker its data ahead of the day. */
  const prepare = (height: number) => {
    const problem = buildProblem(height);
    prepared = { height, problem };
    lastBusy = performance.now();
    const data = problemData(run.kind, problem);
    if (data === undefined) return;
    const loadFactor = dayLoadFactor(scenario.seed, height);
    for (const slot of slots.values()) {
      send(slot, { type: "prepare", seq: ++seq, height, loadFactor, problem: data });
      slot.preparedHeight = height;
    }
  };

  /**
   * Ledgers that lag behind the longest (a crash while the day's block was being written leaves some
   * ledgers with it and some without) take the missing blocks from it; each Worker verifies every
   * block before it appends it. A run starts its first day only when every ledger holds the tip.
   */
  const catchUpLaggards = async () => {
    const tipHeight = survey.tip?.height ?? 0;
    for (const slot of slots.values()) {
      if (!slot.init.ledgerFile || slot.ledgerHeight >= tipHeight) continue;
      progress(
        `${names[slot.id]}'s ledger ends at block ${slot.ledgerHeight}: catching up blocks ` +
          `${slot.ledgerHeight + 1}..${tipHeight} from ${survey.source}'s ledger`,
      );
      note(
        `${names[slot.id]}'s ledger caught up blocks ${slot.ledgerHeight + 1}..${tipHeight} ` +
          `from ${survey.source}'s (each verified before it was appended)`,
      );
      send(slot, {
        type: "catchUp",
        seq: ++seq,
        blocks: survey.blocks.slice(slot.ledgerHeight).map(blockFieldsOf),
      });
    }
    await whenQuiet();
    if (refusals.length) throw new RunError(refusals.join("; "));
    const behind = [...slots.values()].filter((s) => s.init.ledgerFile && s.ledgerHeight < tipHeight);
    if (behind.length) {
      throw new RunError(
        `ledgers still behind block ${tipHeight}: ${behind.map((s) => names[s.id]).join(", ")}`,
      );
    }
  };

  live?.(liveRunEvent(scenario, "workers", run.kind.name, firstProblem.verifier.cost, dayCount));
  progress(`starting ${slots.size} Workers`);
  const reports: RunReport[] = [];
  let startup = 0;
  try {
    await guard(Promise.all([...slots.values()].map(spawn)));
    startup = performance.now() - tStart;
    await catchUpLaggards();
    // The chain's blocks were read for the catch-up only: a continued long chain is not kept in memory.
    survey.blocks = [];

    const toDelegates = (event: DelegateEvent) => {
      for (const d of delegates) send(slots.get(d)!, { type: "event", seq: ++seq, event });
    };

    for (let n = 0; n < dayCount; n++) {
      dayStarted = true;
      const tDay = performance.now();
      const skippedBefore = skippedMs, buildingBefore = buildingMs;
      const problem = n === 0 ? firstProblem : problemOfDay(day.height);
      if (n > 0) {
        dayData = problemData(run.kind, problem);
        for (const slot of slots.values()) {
          slot.dayDecisions = [];
          slot.dayEvidence = [];
          // A Worker restarted later in the day starts from this day and its problem.
          slot.init = { ...slot.init, day, problem: { ...slot.init.problem, data: dayData } };
          // A Worker that has the day's problem prepared needs no second copy of its data.
          const data = dayData === undefined || slot.preparedHeight === day.height
            ? {}
            : { problem: dayData };
          send(slot, { type: "day", seq: ++seq, day, ...data });
        }
        await whenQuiet();
      }
      recorder = new Recorder({
        scenario: scenario.name,
        runtime: "workers",
        seed: scenario.seed,
        names,
        delegates,
        normals,
        env: problem.verifier,
        notices: n === 0 ? scenario.notices : [],
        dispatchOf: (p) => problem.summary(p.certificate),
      });
      for (const text of notes.splice(0)) recorder.note(text);
      blacklists = new Map(delegates.map((d) => [d, new Set(day.blacklistAtStart)]));
      accepted = new Set();
      blocks = [];
      const timings = { solving: 0, checking: 0, signing: 0, waiting: 0 };
      const takeRound = () => {
        timings.solving += solvingMs;
        timings.checking += Math.max(0, ...checkBy.values());
        timings.signing += Math.max(0, ...signBy.values());
        solvingMs = 0;
        checkBy.clear();
        signBy.clear();
      };
      progress(`day ${day.height} (load factor ${day.loadFactor})`);
      live?.({ kind: "day", height: day.height, loadFactor: day.loadFactor });
      for (round = 1; round <= scenario.maxRounds && accepted.size < normals.length; round++) {
        const leader = consensusLeader(delegates, blacklists, day.startAfter);
        if (leader === undefined) break;
        recorder.roundStart(round, names[leader]);
        live?.({ kind: "round", height: day.height, round, leader: names[leader] });
        progress(`day ${day.height}, round ${round}: leader ${names[leader]}`);
        const tRound = performance.now();
        toDelegates({ kind: "roundStart", round });
        const doneAt = await roundWait(timeoutMs, n + 1 < dayCount ? day.height + 1 : undefined);
        for (let k = 2; strict && k <= f + 1; k++) {
          toDelegates({ kind: "phase", round, phase: k });
          live?.({ kind: "phase", height: day.height, round, phase: k });
          await pass(scenario.phaseMs);
        }
        // Idle time: from the moment the round went quiet (or the next day was prepared) until its end.
        if (inFlight.size === 0) timings.waiting += performance.now() - lastBusy;
        if (doneAt !== undefined) {
          // How long the round's work took (solve, relays, checks): what a round timeout must cover.
          progress(
            `day ${day.height}, round ${round}: all done ${
              Math.round(doneAt - tRound)
            } ms after it started ` +
              `(timeout ${timeoutMs} ms)`,
          );
        }
        takeRound();
        endedRound = round;
        toDelegates({ kind: "roundEnd", round });
        await whenQuiet();
        takeRound();
      }
      const report = recorder.finish();
      const total = performance.now() - tDay + (n === 0 ? startup : 0);
      const dayStartup = n === 0 ? startup : 0;
      const writeMs = Math.max(0, ...blocks.map((b) => b.writeMs));
      const runTimings: RunTimings = {
        total,
        startup: dayStartup,
        solving: timings.solving,
        checking: timings.checking,
        signing: timings.signing,
        ledger: writeMs,
        waiting: timings.waiting,
        building: buildingMs - buildingBefore,
        other: total - dayStartup - timings.solving - timings.checking - timings.signing - timings.waiting -
          writeMs - (buildingMs - buildingBefore),
        skipped: skippedMs - skippedBefore,
      };
      const bytes = blocks.length ? Math.max(...blocks.map((b) => b.bytes)) : 0;
      reports.push({
        ...report,
        day: {
          height: day.height,
          loadFactor: day.loadFactor,
          blocksWritten: blocks.length,
          blockBytes: bytes,
        },
        timings: runTimings,
      });
      const outcome = report.outcome;
      if (outcome) decidedHeight = day.height;
      // The day's trace goes out before the next day starts (a piped run prints it at once).
      await guard(Promise.resolve(options.onDay?.(reports[reports.length - 1])));
      if (!outcome) {
        progress(`day ${day.height}: no block was accepted; the run stops`);
        break;
      }
      const winner = delegates.find((d) => names[d] === outcome.leader)!;
      day = dayInfo(
        day.height + 1,
        blacklistAfter({ delegates, startAfter: day.startAfter }, day.blacklistAtStart, outcome.round),
        scenario.days.rotateLeader ? winner : undefined,
      );
      round = 0;
      endedRound = 0;
    }
  } finally {
    options.signal?.removeEventListener("abort", interrupt);
    for (const h of held) clearTimeout(h.timer);
    for (const s of slots.values()) s.worker?.terminate();
  }
  return reports;
}

/**
 * Runs one day of a scenario on Worker actors and returns its trace (see
 * {@link runDays} for several).
 *
 * @example
 * ```ts ignore
 * import { loadScenarioFile } from "../scenarios/loader.ts";
 * const report = await runScenario(await loadScenarioFile("scenarios/scenario1.yaml"), { dataDir: "out/data" });
 * console.log(report.outcome); // { round: 2, leader: "D", costUsd: 744 }
 * ```
 */
export async function runScenario(scenario: Scenario, options: SupervisorOptions = {}): Promise<RunReport> {
  const [report] = await runDays(scenario, { ...options, days: 1 });
  return report;
}
