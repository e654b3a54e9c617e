/**
 * The deterministic in-process simulator (TigerBeetle/FoundationDB style):
 * the same delegate and normal-node machines as the Worker runtime, with the
 * same behaviour layers, driven by a virtual clock and one seeded PRNG. A
 * seed fixes every link delay, drop and interleaving, so a failing run
 * replays exactly. Proposals come from a {@link ProposalBook} solved once per
 * process, so thousands of runs never call the solver.
 *
 * Rounds go on until more than half of the delegates committed the same
 * dispatch (the block is then decided), up to `maxRounds`.
 *
 * Crashes: a node that emits `crash` is down for `restartMs`; messages sent
 * to it meanwhile are queued (not lost). It then resumes from its last
 * persisted snapshot, is given the current `roundStart`, and receives the
 * queued messages. Its normal-node state is kept (treated as durable).
 *
 * Keys: by default each participant signs with its own key only, as a Worker
 * does. With `coalition`, the listed participants share their keys (the
 * textbook Byzantine adversary, who holds every corrupted participant's key):
 * an `impersonate` copy in the name of a coalition member then carries a
 * valid signature, which is how the property tests put validly signed
 * non-delegates on relay paths.
 *
 * @module
 */
import type { Certificate } from "../lp/certificate.ts";
import type { SolverName } from "../lp/solver.ts";
import type { Problem } from "../problems/types.ts";
import { type DelegateStep, withMisbehaviour } from "../consensus/behaviours.ts";
import {
  defaultFaults,
  type DelegateConfig,
  type DelegateState,
  initDelegate,
  leaderOf,
  stepDelegate,
} from "../consensus/delegate.ts";
import type { MessageShape } from "../consensus/messages.ts";
import { initNormal, type NormalState, stepNormal } from "../consensus/normal.ts";
import { Recorder } from "../consensus/recorder.ts";
import type { RunReport } from "../consensus/report.ts";
import type {
  DelegateEvent,
  DelegateSnapshot,
  Message,
  Misbehaviour,
  NodeId,
  Proposal,
  ProposalVariant,
  ProtocolVariant,
  Verifier,
} from "../consensus/types.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { Authenticator } from "./auth.ts";
import { type KeyPair, seedKeyPair } from "./keys.ts";

/** A solved variant without its round and leader (those are filled in per proposal). */
export interface BookEntry {
  /** The variant's dispatch and certificate (one object for the whole process). */
  certificate: Certificate;
  /** True cost, in the problem kind's cost unit (what the leader claims). */
  costUsd: number;
}

/** Every proposal variant, solved once. */
export type ProposalBook = Record<ProposalVariant, BookEntry>;

/**
 * Solves every variant of a problem (for the dispatch, GLPK runs four times, cached per model).
 *
 * @example
 * ```ts
 * import { buildDispatchModel, dispatchProblem, loadProposalBook, loadUomCase } from "../mod.ts";
 * const book = await loadProposalBook(dispatchProblem(buildDispatchModel(await loadUomCase())));
 * console.log(Math.round(book.optimal.costUsd), Math.round(book.selfish.costUsd)); // 744 904
 * ```
 */
export async function loadProposalBook(
  problem: Problem,
  options: { solver?: SolverName } = {},
): Promise<ProposalBook> {
  const entries = await Promise.all(problem.variants.map(async (v) => {
    const s = await problem.solve(v, options);
    return [v, { certificate: s.certificate, costUsd: s.costUsd }] as const;
  }));
  return Object.fromEntries(entries) as ProposalBook;
}

/** A participant of a simulated run. */
export interface SimParticipant {
  /** Node id (u32). */
  id: NodeId;
  /** Short name used in the trace. */
  name: string;
  /** Takes part in the delegate phase. */
  delegate: boolean;
  /** Receives decisions in the normal-node phase. */
  normal: boolean;
  /** Its behaviours (default honest). */
  misbehaviour?: Misbehaviour;
}

/**
 * A simulated run. Times are virtual milliseconds.
 *
 * @example
 * ```ts
 * import type { SimConfig } from "../mod.ts";
 * const config: SimConfig = {
 *   scenario: "three honest delegates",
 *   participants: [8, 9, 10].map((id) => ({ id, name: String(id), delegate: true, normal: true })),
 *   seed: 7,
 *   dropRate: 0.01,
 * };
 * ```
 */
export interface SimConfig {
  /** Scenario name, for the report (default "simulated"). */
  scenario?: string;
  /** Called with every message as it is sent (sealed, when messages are signed): e.g. to count messages and bytes. */
  onSend?: (msg: unknown) => void;
  /** Every participant. */
  participants: SimParticipant[];
  /** Seed of the PRNG (u32): fixes every link delay, drop and interleaving. */
  seed: number;
  /** Normal nodes check decisions' certificates (default false). */
  normalVerify?: boolean;
  /** Shortest link delay, drawn per message (default 1). */
  minDelayMs?: number;
  /** Longest link delay, drawn per message (default 20). */
  maxDelayMs?: number;
  /** Probability that a message is lost on its link, in [0, 1] (default 0). */
  dropRate?: number;
  /** Virtual time a leader's solve takes (default 50). */
  solveMs?: number;
  /**
   * Virtual time a delegate's check of a received proposal takes: its relays leave this
   * much later (default 20, as long as the default link delay spread, so a leader's direct
   * copy reaches every follower before any relay of it does).
   */
  checkMs?: number;
  /** Round length (default 1000). */
  roundTimeoutMs?: number;
  /** Last round the simulator starts (default: the number of delegates). */
  maxRounds?: number;
  /** Downtime after a crash (default 100). */
  restartMs?: number;
  /** `paper` (default), `strict` (Dolev-Strong relay phases) or `published` (the published code's rules); consensus/delegate.ts. */
  protocol?: ProtocolVariant;
  /** Strict mode: dishonest delegates tolerated (default: the largest number below half of the delegates). */
  f?: number;
  /**
   * Strict mode: length of relay phases 2..f+1 (phase 1 lasts `roundTimeoutMs`, which covers
   * the solve). Default {@link STRICT_PHASE_MARGIN} × (maxDelayMs + checkMs): an honest relay,
   * checked and sent on, always lands within one phase.
   */
  phaseMs?: number;
  /** Block height (default 1). */
  height?: number;
  /** Sign and verify every message with Ed25519 keys derived from this seed (default 1); `false`: no signatures. */
  keySeed?: number | false;
  /** Chain id the signatures bind to (default "sim"). */
  chain?: string;
  /** Describes the accepted dispatch in the report (see consensus/recorder.ts). */
  dispatchOf?: (proposal: Proposal) => RunReport["dispatch"];
  /** The scenario's notices (loader warnings), carried into the report's `notices` (default none). */
  notices?: string[];
  /**
   * Participants whose keys the adversary holds: each of them can sign as any of them (default
   * none: every participant signs with its own key only, as on Workers). Delegates or not.
   */
  coalition?: NodeId[];
}

/** Strict mode's default phase length, as a multiple of the longest honest hop (link + check). */
export const STRICT_PHASE_MARGIN = 2;

/** What a run established, for property tests. */
export interface SimFacts {
  /**
   * By delegate id: its commit (round, leader, dispatch digest, and whether the certificate
   * passes the check), its blacklist at the end, and how often it crashed.
   */
  delegates: Record<NodeId, {
    commit?: {
      round: number;
      leader: NodeId;
      digest: string;
      proposalDigest: string;
      certificateValid: boolean;
    };
    blacklist: NodeId[];
    crashes: number;
  }>;
  /** By normal node id: the block it accepted (round, leader, dispatch digest, proposal digest), if any. */
  normals: Record<
    NodeId,
    { accepted?: { round: number; leader: NodeId; digest: string; proposalDigest: string } }
  >;
  /** Rounds started. */
  rounds: number;
  /** Virtual time of the last event, ms. */
  endMs: number;
}

/** Result of {@link simulate}. */
export interface SimResult {
  /** The trace, as the Worker runtime reports it too. */
  report: RunReport;
  /** What the run established, by participant. */
  facts: SimFacts;
}

/**
 * The simulator's configuration for a loaded scenario file: its participants,
 * seed, link delays, round timeout, rounds and normal-node checking, with
 * any field overridden by `overrides`.
 *
 * @example
 * ```ts
 * import { loadScenarioFile, simConfigFor } from "../mod.ts";
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * const config = simConfigFor(scenario, { seed: 42 });
 * console.log(config.seed, config.roundTimeoutMs, config.participants.length); // 42 3000 7
 * ```
 */
export function simConfigFor(scenario: Scenario, overrides: Partial<SimConfig> = {}): SimConfig {
  return {
    scenario: scenario.name,
    participants: scenario.participants,
    seed: scenario.seed,
    normalVerify: scenario.normalVerify,
    minDelayMs: scenario.linkDelayMs[0],
    maxDelayMs: scenario.linkDelayMs[1],
    roundTimeoutMs: scenario.roundTimeoutMs,
    maxRounds: scenario.maxRounds,
    protocol: scenario.protocol,
    phaseMs: scenario.phaseMs,
    notices: scenario.notices,
    ...(scenario.faultTolerance === undefined ? {} : { f: scenario.faultTolerance }),
    ...overrides,
  };
}

/**
 * mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1).
 *
 * @example
 * ```ts
 * const a = mulberry32(1), b = mulberry32(1);
 * console.log(a() === b(), a() < 1); // true true
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type SimEvent =
  | { kind: "roundStart" | "roundEnd"; round: number }
  | { kind: "phase"; round: number; phase: number }
  | { kind: "deliver"; msg: Message }
  | { kind: "solved"; node: NodeId; incarnation: number; round: number; variants: ProposalVariant[] }
  | { kind: "restart"; node: NodeId };

/** A binary min-heap of events by (time, insertion order). */
class Agenda {
  private readonly heap: { at: number; seq: number; ev: SimEvent }[] = [];
  private seq = 0;
  push(at: number, ev: SimEvent): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, ev });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): { at: number; ev: SimEvent } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

interface DelegateNode {
  config: DelegateConfig;
  misbehaviour: Misbehaviour;
  step: DelegateStep;
  state: DelegateState;
  snapshot?: DelegateSnapshot;
  incarnation: number;
}

/**
 * Runs one simulated consensus. Pure given its inputs: the same config gives the same result.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadProposalBook, loadScenarioFile, loadUomCase, makeVerifier } from "../mod.ts";
 * import { simConfigFor, simulate } from "./simulator.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const book = await loadProposalBook(model);
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * const { report } = await simulate(makeVerifier(model), book, simConfigFor(scenario));
 * console.log(report.outcome); // { round: 2, leader: "D", costUsd: 744 }
 * ```
 */
export async function simulate(env: Verifier, book: ProposalBook, config: SimConfig): Promise<SimResult> {
  const {
    participants,
    seed,
    minDelayMs = 1,
    maxDelayMs = 20,
    dropRate = 0,
    solveMs = 50,
    checkMs = 20,
    roundTimeoutMs = 1000,
    restartMs = 100,
    protocol = "paper",
    height = 1,
  } = config;
  const strict = protocol === "strict";
  const phaseMs = config.phaseMs ?? STRICT_PHASE_MARGIN * (maxDelayMs + checkMs);
  const names = Object.fromEntries(participants.map((p) => [p.id, p.name]));
  const delegateIds = participants.filter((p) => p.delegate).map((p) => p.id).sort((a, b) => a - b);
  const normalIds = participants.filter((p) => p.normal).map((p) => p.id).sort((a, b) => a - b);
  const maxRounds = config.maxRounds ?? delegateIds.length;
  const random = mulberry32(seed);
  const agenda = new Agenda();
  const recorder = new Recorder({
    scenario: config.scenario ?? "simulated",
    runtime: "simulator",
    seed,
    names,
    delegates: delegateIds,
    normals: normalIds,
    env,
    ...(config.dispatchOf ? { dispatchOf: config.dispatchOf } : {}),
    ...(config.notices ? { notices: config.notices } : {}),
  });
  const facts: SimFacts = { delegates: {}, normals: {}, rounds: 0, endMs: 0 };
  const keySeed = config.keySeed ?? 1;
  // The problem's message shape: every certificate of the book is one of the LP's.
  const shape: MessageShape = { x: book.optimal.certificate.x.length, y: book.optimal.certificate.y.length };
  const auth = keySeed === false
    ? undefined
    : await simAuthenticators(keySeed, config.chain ?? "sim", names, shape, config.coalition ?? []);
  const f = config.f ?? defaultFaults(delegateIds.length);

  const delegates = new Map<NodeId, DelegateNode>();
  for (const p of participants.filter((p) => p.delegate)) {
    const cfg: DelegateConfig = {
      id: p.id,
      names,
      delegates: delegateIds,
      normals: normalIds,
      height,
      protocol,
      shape,
      ...(config.f === undefined ? {} : { f: config.f }),
    };
    const m = p.misbehaviour ?? {};
    delegates.set(p.id, {
      config: cfg,
      misbehaviour: m,
      step: withMisbehaviour(m, p.id, stepDelegate),
      state: initDelegate(cfg),
      incarnation: 0,
    });
    facts.delegates[p.id] = { blacklist: [], crashes: 0 };
  }
  const normals = new Map<NodeId, NormalState>();
  for (const id of normalIds) {
    normals.set(
      id,
      initNormal({
        id,
        delegates: delegateIds,
        names,
        verifyCertificates: config.normalVerify,
        height,
        shape,
      }),
    );
    facts.normals[id] = {};
  }
  /** Messages held for participants that are down. */
  const held = new Map<NodeId, Message[]>();
  let now = 0, round = 0, roundOpen = false, phase = 1;

  const send = async (from: NodeId, msg: Message, delayMs = 0) => {
    if (dropRate > 0 && random() < dropRate) return recorder.dropped(msg.to, "lost on the link");
    const link = minDelayMs + Math.floor(random() * (maxDelayMs - minDelayMs + 1));
    const sealed = auth ? await auth.sealer(from).seal(msg) : msg;
    config.onSend?.(sealed);
    agenda.push(now + link + delayMs, { kind: "deliver", msg: sealed });
  };

  const run = async (node: DelegateNode, event: DelegateEvent) => {
    const id = node.config.id;
    const busyMs = event.kind === "receive" ? checkMs : 0;
    for (const e of node.step(env, node.state, event)) {
      recorder.delegateEffect(id, e);
      switch (e.kind) {
        case "persist":
          node.snapshot = e.snapshot;
          break;
        case "send":
          await send(id, e.msg, busyMs + (e.delayMs ?? 0));
          break;
        case "solve":
          agenda.push(now + solveMs, {
            kind: "solved",
            node: id,
            incarnation: node.incarnation,
            round: e.round,
            variants: e.variants,
          });
          break;
        case "commit":
          facts.delegates[id].commit = {
            round: e.round,
            leader: e.leader,
            digest: e.digest,
            proposalDigest: e.proposalDigest,
            certificateValid: env.verify(e.proposal.certificate).verdict === "accepted",
          };
          break;
        case "blacklist":
          facts.delegates[id].blacklist.push(e.leader);
          break;
        case "crash":
          held.set(id, []);
          node.incarnation++;
          facts.delegates[id].crashes++;
          agenda.push(now + restartMs, { kind: "restart", node: id });
          return; // the Worker is gone: the rest of its effects never happen
      }
    }
  };

  const deliver = async (msg: Message) => {
    const queue = held.get(msg.to);
    if (queue) return void queue.push(msg);
    const checked = auth ? await auth.checker.check(msg) : { ok: true as const };
    if (!checked.ok) return recorder.unauthentic(msg.to, checked);
    if (msg.kind === "proposal") {
      const node = delegates.get(msg.to);
      if (!node) return recorder.dropped(msg.to, "not a delegate");
      return await run(node, { kind: "receive", msg });
    }
    const state = normals.get(msg.to);
    if (!state) return recorder.dropped(msg.to, "not a normal node");
    for (const e of stepNormal(env, state, { kind: "receive", msg })) {
      recorder.normalEffect(msg.to, e);
      if (e.kind === "accept") {
        facts.normals[msg.to].accepted = {
          round: e.round,
          leader: e.leader,
          digest: e.digest,
          proposalDigest: e.proposalDigest,
        };
      }
    }
  };

  const majorityLeader = (): string => {
    const votes = new Map<NodeId, number>();
    for (const [id, n] of delegates) {
      if (held.has(id) || n.state.committed) continue;
      const l = leaderOf(n.config, n.state.blacklist);
      if (l !== undefined) votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    const best = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    return best ? names[best[0]] ?? String(best[0]) : "-";
  };

  const handle = async (ev: SimEvent) => {
    switch (ev.kind) {
      case "roundStart":
        round = ev.round;
        roundOpen = true;
        phase = 1;
        facts.rounds = round;
        recorder.roundStart(round, majorityLeader());
        for (const [id, node] of delegates) if (!held.has(id)) await run(node, ev);
        if (strict) {
          for (let k = 2; k <= f + 1; k++) {
            agenda.push(now + roundTimeoutMs + (k - 2) * phaseMs, { kind: "phase", round, phase: k });
          }
        }
        agenda.push(now + roundTimeoutMs + (strict ? f * phaseMs : 0), { kind: "roundEnd", round });
        break;
      case "phase":
        phase = ev.phase;
        for (const [id, node] of delegates) if (!held.has(id)) await run(node, ev);
        break;
      case "roundEnd": {
        roundOpen = false;
        for (const [id, node] of delegates) if (!held.has(id)) await run(node, ev);
        // Go on until more than half of the delegates committed the same proposal (then
        // every normal node accepts it and nothing later can change that), while some
        // delegate has not committed and still has a leader to follow.
        const all = [...delegates.values()];
        const tally = new Map<string, number>();
        for (const n of all) {
          const d = n.state.committed?.proposalDigest;
          if (d) tally.set(d, (tally.get(d) ?? 0) + 1);
        }
        const decided = [...tally.values()].some((k) => 2 * k > delegateIds.length);
        const waiting = all.some((n) =>
          !n.state.committed && leaderOf(n.config, n.state.blacklist) !== undefined
        );
        if (!decided && waiting && round < maxRounds) {
          agenda.push(now, { kind: "roundStart", round: round + 1 });
        }
        break;
      }
      case "deliver":
        await deliver(ev.msg);
        break;
      case "solved": {
        const node = delegates.get(ev.node);
        if (!node || node.incarnation !== ev.incarnation || held.has(ev.node)) break;
        const proposals: Partial<Record<ProposalVariant, Proposal>> = {};
        for (const v of ev.variants) {
          const b = book[v];
          if (b) {
            proposals[v] = {
              height,
              round: ev.round,
              leader: ev.node,
              certificate: b.certificate,
              claimedCostUsd: b.costUsd,
            };
          }
        }
        await run(node, { kind: "solved", round: ev.round, proposals });
        break;
      }
      case "restart": {
        const node = delegates.get(ev.node)!;
        const queue = held.get(ev.node) ?? [];
        held.delete(ev.node);
        node.state = initDelegate(node.config, node.snapshot);
        node.step = withMisbehaviour(node.misbehaviour, ev.node, stepDelegate, { alreadyCrashed: true });
        recorder.note(`${names[ev.node]} restarted from its round-${node.snapshot?.round ?? 0} snapshot`);
        if (roundOpen) {
          await run(node, { kind: "roundStart", round });
          if (phase > 1) await run(node, { kind: "phase", round, phase });
        }
        for (const msg of queue) await deliver(msg);
        break;
      }
    }
  };

  agenda.push(0, { kind: "roundStart", round: 1 });
  for (let item = agenda.pop(); item; item = agenda.pop()) {
    now = item.at;
    await handle(item.ev);
  }
  facts.endMs = now;
  return { report: recorder.finish(), facts };
}

const simKeys = new Map<string, Promise<KeyPair>>();

/** Who checks received messages (public keys only) and who signs for each sender. */
interface SimAuth {
  checker: Authenticator;
  sealer(from: NodeId): Authenticator;
}

/**
 * Authenticators over seed-derived keys (pairs cached per process): one checker, and per sender
 * one holding its own key, or every coalition key when the sender is in the coalition.
 */
async function simAuthenticators(
  keySeed: number,
  chain: string,
  names: Record<NodeId, string>,
  shape: MessageShape,
  coalition: NodeId[],
): Promise<SimAuth> {
  const ids = Object.keys(names).map(Number);
  const pairs = await Promise.all(ids.map((id) => {
    const key = `${keySeed}/${id}`;
    let p = simKeys.get(key);
    if (!p) simKeys.set(key, p = seedKeyPair(keySeed, id));
    return p;
  }));
  const context = {
    chain,
    names,
    shape,
    publicKeys: Object.fromEntries(pairs.map((k) => [k.id, k.publicKey])),
  };
  const pairOf = new Map(pairs.map((k) => [k.id, k]));
  const shared = new Authenticator(
    context,
    new Map(coalition.flatMap((id) => pairOf.has(id) ? [[id, pairOf.get(id)!]] : [])),
  );
  const own = new Map(
    pairs.map((
      k,
    ) => [k.id, coalition.includes(k.id) ? shared : new Authenticator(context, new Map([[k.id, k]]))]),
  );
  const checker = new Authenticator(context);
  return { checker, sealer: (from) => own.get(from) ?? checker };
}
