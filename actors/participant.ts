/**
 * A participant, whatever runs it: the transport-agnostic core that a Deno
 * Worker (actors/worker.ts) and a process of its own (net/node.ts) both
 * drive. Its mailbox takes one input at a time; it runs the delegate machine
 * (wrapped by its configured behaviours) and/or the normal-node machine,
 * solves when it leads (in its own thread or process), signs what it sends and
 * verifies what it receives (its private key never leaves it),
 * appends every block it accepts to its own ledger (fsync before it
 * reports), and reports every effect to its shell through `emit` (the
 * supervisor routes them between Workers; a node process sends them over
 * the network).
 *
 * Nothing an input carries can crash it: machines never throw on junk, and
 * any error while handling one input is reported and the mailbox goes on.
 *
 * @module
 */
import { withMisbehaviour } from "../consensus/behaviours.ts";
import {
  blacklistAfter,
  delegateSnapshot,
  type DelegateState,
  initDelegate,
  stepDelegate,
} from "../consensus/delegate.ts";

import {
  type BlockFields,
  type BlockRecord,
  encodeCertificate,
  encodeRecord,
  makeBlock,
} from "../consensus/ledger.ts";
import { initNormal, type NormalState, stepNormal } from "../consensus/normal.ts";
import { proposalDigest } from "../consensus/signing.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  EquivocationEvidence,
  NormalEffect,
  Proposal,
  ProposalVariant,
  Verifier,
} from "../consensus/types.ts";
import { DEFAULT_SOLVER, isSolverName, loadSolver, SOLVERS } from "../lp/solver.ts";
import { problemKind } from "../problems/registry.ts";
import type { Certificate } from "../lp/certificate.ts";
import type { DayParams, Problem, ProblemKind, Settlement } from "../problems/types.ts";
import { Authenticator } from "./auth.ts";
import { type ChainChecker, makeChainChecker } from "./chain_check.ts";
import { type KeyPair, ownKeyPair } from "./keys.ts";
import { LedgerFile } from "./ledger_file.ts";
import type {
  BlockWritten,
  DayInfo,
  FromWorker,
  SignatureFailure,
  ToWorker,
  WorkerInit,
} from "./protocol.ts";

interface Actor {
  init: WorkerInit;
  day: DayInfo;
  /** The day's problem (built once per day from the case the supervisor sent). */
  problem: Problem;
  env: Verifier;
  /** This participant's own key pair (it never leaves the Worker). */
  pair: KeyPair;
  auth: Authenticator;
  ledger?: LedgerFile;
  /** Equivocation evidence this participant's delegate gathered for the current block. */
  evidence: EquivocationEvidence[];
  delegate?: {
    state: DelegateState;
    step: (e: Verifier, s: DelegateState, ev: DelegateEvent) => DelegateEffect[];
  };
  normal?: NormalState;
  /** Verifies blocks taken from other ledgers (built on the first catch-up). */
  checker?: ChainChecker;
}

/** `crash_in_ledger_write` writes this fraction of the block's line before the Worker dies. */
const TORN_WRITE_FRACTION = 0.5;

/** A participant's mailbox: what its shell gives it (actors/protocol.ts ToWorker). */
export interface Participant {
  /** Queues one input; inputs are handled one at a time, in order, and each is answered through `emit`. */
  enqueue(input: ToWorker): void;
}

/**
 * A participant that tells its shell everything it does through `emit` (actors/protocol.ts
 * FromWorker): the Worker shell posts it to the supervisor, a node process acts on it itself.
 *
 * @example
 * ```ts ignore
 * const p = createParticipant((m) => console.log(m.type));
 * p.enqueue(init); // "ready" once it started
 * ```
 */
export function createParticipant(emit: (msg: FromWorker) => void): Participant {
  let actor: Actor | undefined;
  const mailbox: ToWorker[] = [];
  let busy = false;
  let checkMs = 0;

  function post(msg: FromWorker): void {
    emit(msg);
  }

  /** The verifier with its checking time measured. */
  function timed(env: Verifier): Verifier {
    return {
      ...env,
      verify(cert) {
        const t0 = performance.now();
        try {
          return env.verify(cert);
        } finally {
          checkMs += performance.now() - t0;
        }
      },
    };
  }

  /** The run's problem kind and its case, validated on first use (a Worker given each day's problem data never needs it). */
  let run: { kind: ProblemKind; case?: unknown } | undefined;
  /** The day's problem and the load factor it is for (one day at a time: memory stays flat over long runs). */
  let current: { loadFactor: number; problem: Problem } | undefined;
  /** The next day's problem, made ahead from the data of a `prepare` input. */
  let next: { loadFactor: number; problem: Problem } | undefined;

  function runKind(init: WorkerInit): { kind: ProblemKind; case?: unknown } {
    return run ??= { kind: problemKind(init.problem.kind) };
  }

  /** The run's case, validated once, on first use. */
  function runCase(init: WorkerInit): unknown {
    const r = runKind(init);
    return r.case ??= r.kind.parseCase(init.problem.case);
  }

  /**
   * The day's problem: made from the data the supervisor sent for it (with the day, or ahead of it),
   * which it built once for every Worker, else built from the run's case; kept for the day.
   */
  function problemFor(init: WorkerInit, day: DayParams, data?: unknown): Problem {
    if (current?.loadFactor === day.loadFactor) return current.problem;
    current = undefined; // the previous day's problem can go before the new one is made
    const { kind } = runKind(init);
    const problem = data !== undefined && kind.fromData
      ? kind.fromData(data)
      : next?.loadFactor === day.loadFactor
      ? next.problem
      : kind.problemFor(runCase(init), day);
    next = undefined;
    current = { loadFactor: day.loadFactor, problem };
    return problem;
  }

  /** Makes the next day's problem from its data now, while the Worker would wait anyway. */
  function prepare(init: WorkerInit, loadFactor: unknown, data: unknown): void {
    const { kind } = runKind(init);
    if (typeof loadFactor !== "number" || !kind.fromData) return;
    next = undefined; // an earlier one can go before this one is made
    next = { loadFactor, problem: kind.fromData(data) };
  }

  /** Delegate and normal machines for block `day.height`; the delegate keeps `blacklist`. */
  function enterDay(a: Actor, day: DayInfo, snapshot = a.init.delegate?.snapshot): void {
    const { init } = a;
    a.day = day;
    a.evidence = [];
    if (init.delegate) {
      const d = init.delegate;
      const config = {
        id: init.id,
        names: init.names,
        delegates: d.delegates,
        normals: d.normals,
        height: day.height,
        protocol: d.protocol,
        shape: a.problem.shape,
        ...(d.f === undefined ? {} : { f: d.f }),
        ...(day.startAfter === undefined ? {} : { startAfter: day.startAfter }),
      };
      const state = initDelegate(config, snapshot);
      if (a.delegate) a.delegate.state = state;
      else {
        a.delegate = {
          state,
          step: withMisbehaviour(d.misbehaviour, init.id, stepDelegate, { alreadyCrashed: d.alreadyCrashed }),
        };
      }
    }
    if (init.normal) {
      a.normal = initNormal({
        id: init.id,
        names: init.names,
        delegates: init.normal.delegates,
        verifyCertificates: init.normal.verifyCertificates,
        height: day.height,
        shape: a.problem.shape,
      });
    }
  }

  /**
   * The participant's authenticator for a day's problem: it signs with the participant's own key and
   * refuses, before hashing anything, a message whose certificate is not of the problem's size.
   */
  function authenticator(init: WorkerInit, pair: KeyPair, problem: Problem): Authenticator {
    return new Authenticator(
      {
        chain: init.genesis.hash,
        publicKeys: init.publicKeys,
        names: init.names,
        shape: problem.shape,
      },
      new Map([[init.id, pair]]),
    );
  }

  /** The delegate's solver, loading since start-up (a leader's solve awaits it). */
  let solverLoaded: Promise<void> | undefined;

  /**
   * A delegate may lead: its solver (the scenario's; an unknown name stops the start here) starts
   * loading now, not inside the first round, and the Worker reports ready without waiting for it
   * (measured: 50-100 ms less start-up, the first round no slower). A load that fails ends the run
   * with its error. Participants that are not delegates never load one, nor do delegates of a problem
   * that is no LP ({@link Problem.lp} absent: the market).
   */
  function preloadSolver(init: WorkerInit): void {
    const name = init.solver ?? DEFAULT_SOLVER;
    if (!isSolverName(name)) {
      throw new Error(`unknown solver ${JSON.stringify(name)}: expected one of ${SOLVERS.join(", ")}`);
    }
    solverLoaded = loadSolver(name).catch((e) => {
      post({ type: "startFailed", id: init.id, error: `solver ${name}: ${(e as Error)?.message ?? e}` });
      throw e;
    });
    solverLoaded.catch(() => {}); // reported above; a solve that awaits it fails with it too
  }

  async function start(sent: WorkerInit): Promise<void> {
    const t0 = performance.now();
    const problem = problemFor(sent, sent.day, sent.problem.data);
    // A problem posed as no LP (the market) needs no solver.
    if (sent.delegate && problem.lp) preloadSolver(sent);
    // The first day's problem data is not kept once the problem is made from it.
    const init: WorkerInit = { ...sent, problem: { kind: sent.problem.kind, case: sent.problem.case } };
    // No checker warm-up here: measured, it cost 0.2-0.3 s of start-up (seven Workers booting on two
    // cores) to save about 60 ms on each Worker's first real check, which the round timeout covers.
    const env = timed(problem.verifier);
    const pair = await ownKeyPair(init.keys, init.id, init.names[init.id] ?? String(init.id));
    const auth = authenticator(init, pair, problem);
    let truncatedBytes = 0, ledger: LedgerFile | undefined;
    if (init.ledgerFile) {
      const opened = await LedgerFile.open(init.ledgerFile, init.genesis);
      ledger = opened.ledger;
      truncatedBytes = opened.truncatedBytes;
    }
    const a: Actor = { init, day: init.day, problem, env, pair, auth, ledger, evidence: [] };
    enterDay(a, init.day);
    a.evidence = (init.evidence ?? []).filter((e) => e.height === init.day.height);
    actor = a;
    post({
      type: "ready",
      id: init.id,
      startupMs: performance.now() - t0,
      truncatedBytes,
      ledgerHeight: ledger?.tip.height ?? 0,
    });
  }

  async function solve(a: Actor, round: number, variants: ProposalVariant[]): Promise<DelegateEvent> {
    const proposals: Partial<Record<ProposalVariant, Proposal>> = {};
    for (const v of variants) {
      await solverLoaded;
      const s = await a.problem.solve(v, { solver: a.init.solver ?? DEFAULT_SOLVER });
      // Typed arrays cross Worker boundaries as one memory copy, not element by element.
      const certificate = {
        ...s.certificate,
        x: Float64Array.from(s.certificate.x),
        y: Float64Array.from(s.certificate.y),
      };
      proposals[v] = {
        height: a.day.height,
        round,
        leader: a.init.id,
        certificate,
        claimedCostUsd: s.costUsd,
      };
    }
    return { kind: "solved", round, proposals };
  }

  /** Signs every message the effects send (the sender's own signature). */
  async function sealAll(a: Actor, effects: DelegateEffect[]): Promise<DelegateEffect[]> {
    const out: DelegateEffect[] = [];
    for (const e of effects) {
      out.push(e.kind === "send" ? { ...e, msg: await a.auth.seal(e.msg) } : e);
      if (e.kind === "evidence") a.evidence.push(e.evidence);
    }
    return out;
  }

  interface Reply {
    delegate?: DelegateEffect[];
    normal?: NormalEffect[];
    unauthentic?: SignatureFailure[];
    blocks?: BlockWritten[];
    refused?: { height: number; reason: string };
    solveMs?: number;
  }

  function reply(a: Actor | undefined, seq: number, final: boolean, r: Reply = {}): void {
    const { signMs, verifyMs } = a?.auth.takeTimes() ?? { signMs: 0, verifyMs: 0 };
    post({
      type: "effects",
      id: a?.init.id ?? -1,
      seq,
      final,
      delegate: r.delegate ?? [],
      normal: r.normal ?? [],
      ...(r.unauthentic?.length ? { unauthentic: r.unauthentic } : {}),
      ...(r.blocks?.length ? { blocks: r.blocks } : {}),
      ...(r.refused ? { refused: r.refused } : {}),
      solveMs: r.solveMs ?? 0,
      checkMs,
      signMs: signMs + verifyMs,
    });
    checkMs = 0;
  }

  /** Steps the delegate, carrying out its solves in place; posts effects as they come. */
  async function runDelegate(a: Actor, seq: number, event: DelegateEvent): Promise<void> {
    const d = a.delegate!;
    let pending: DelegateEvent | undefined = event;
    let solveMs = 0;
    do {
      const effects = await sealAll(a, d.step(a.env, d.state, pending!));
      pending = undefined;
      const solveEffect = effects.find((e) => e.kind === "solve");
      reply(a, seq, !solveEffect, { delegate: effects, solveMs });
      solveMs = 0;
      if (solveEffect?.kind === "solve") {
        const t0 = performance.now();
        pending = await solve(a, solveEffect.round, solveEffect.variants);
        solveMs = performance.now() - t0;
      }
    } while (pending);
  }

  /** The ledger block for an accepted decision, as this participant saw it. */
  function blockFields(a: Actor, e: Extract<NormalEffect, { kind: "accept" }>): BlockFields | string {
    const p = e.proposal;
    if (!e.leaderSig) return "no leader signature came with the decisions";
    // The same for every participant: leaders follow from the day's blacklist and the rotation.
    const delegates = a.init.normal?.delegates ?? a.init.delegate?.delegates ?? [];
    const blacklist = blacklistAfter(
      { delegates, startAfter: a.day.startAfter },
      a.day.blacklistAtStart,
      e.round,
    );
    return {
      day: a.day.height,
      loadFactor: a.day.loadFactor,
      round: e.round,
      leader: e.leader,
      dispatch: e.digest,
      proposal: proposalDigest(p),
      costUsd: a.env.costUsd(p.certificate),
      claimedCostUsd: p.claimedCostUsd,
      leaderSig: e.leaderSig,
      quorum: e.signatures,
      blacklist,
      evidence: a.evidence.filter((ev) => ev.height === a.day.height),
      certificate: encodeCertificate(p.certificate),
      ...settlementOf(a.problem, p.certificate),
    };
  }

  /** The block's settlement field, when the day's problem settles (problems/types.ts Problem.settlement). */
  function settlementOf(problem: Problem, cert: Certificate): { settlement?: Settlement } {
    return problem.settlement ? { settlement: problem.settlement(cert) } : {};
  }

  /** Appends the accepted block to the ledger (durably) before the accept is reported. */
  async function writeBlock(
    a: Actor,
    e: Extract<NormalEffect, { kind: "accept" }>,
  ): Promise<BlockWritten | string> {
    const ledger = a.ledger!;
    const tip = ledger.tip;
    if (tip.height >= a.day.height) {
      // After a crash between a record and its newline, reopening kept the block: the same decision
      // delivered again is already written.
      const same = tip.kind === "block" && tip.height === a.day.height && tip.round === e.round &&
        tip.leader === e.leader && tip.proposal === proposalDigest(e.proposal);
      if (!same) return `ledger already holds block ${a.day.height}`;
      return {
        height: tip.height,
        round: tip.round,
        leader: tip.leader,
        hash: tip.hash,
        bytes: 0,
        writeMs: 0,
      };
    }
    if (tip.height < a.day.height - 1) {
      return `ledger ends at block ${tip.height}: blocks ${tip.height + 1}..${
        a.day.height - 1
      } are missing here`;
    }
    const fields = blockFields(a, e);
    if (typeof fields === "string") return fields;
    const t0 = performance.now();
    if (a.init.crashInLedgerWrite === a.day.height) {
      // Behaviour crash_in_ledger_write: write part of the line, then die as a killed process would.
      const bytes = new TextEncoder().encode(encodeRecord(makeBlock(tip, fields))).length;
      await ledger.append(fields, { stopAfterBytes: Math.floor(bytes * TORN_WRITE_FRACTION) });
      post({
        type: "dying",
        id: a.init.id,
        why: `died writing ledger block ${a.day.height} (crash_in_ledger_write)`,
      });
      await new Promise<never>(() => {}); // the supervisor terminates this Worker now
    }
    return appended(ledger, await ledger.append(fields), t0);
  }

  /** What the supervisor is told of a block just appended (started at `t0`, ms). */
  function appended(ledger: LedgerFile, block: BlockRecord, t0: number): BlockWritten {
    return {
      height: block.height,
      round: block.round,
      leader: block.leader,
      hash: block.hash,
      bytes: ledger.lastLineBytes,
      writeMs: performance.now() - t0,
    };
  }

  /**
   * Adopts the blocks this ledger lacks, in height order, each only after it verified as the block
   * that follows this ledger's own tip (link, signatures, derived blacklist, certificate against the
   * day's problem); stops at the first that fails.
   */
  async function catchUp(a: Actor, blocks: unknown): Promise<Reply> {
    const ledger = a.ledger;
    const written: BlockWritten[] = [];
    if (!ledger) return { refused: { height: 0, reason: "this participant keeps no ledger" } };
    if (!Array.isArray(blocks)) return { refused: { height: 0, reason: "catch-up blocks are not a list" } };
    // `recheck`: a block's unsigned figures (its true cost) are recomputed too, not taken from the peer.
    a.checker ??= makeChainChecker(a.init.genesis, {
      problem: { kind: runKind(a.init).kind, case: runCase(a.init) },
      recheck: true,
    });
    for (const fields of blocks) {
      const tip = ledger.tip;
      // Its own tip was verified when it was appended; the new block is checked against it.
      if (tip.kind === "block") a.checker.assume(tip);
      const height = tip.height + 1;
      let candidate: BlockRecord;
      try {
        candidate = makeBlock(tip, fields as BlockFields);
      } catch (e) {
        return { blocks: written, refused: { height, reason: (e as Error).message } };
      }
      const reason = await a.checker.check(candidate, tip);
      if (reason) return { blocks: written, refused: { height, reason } };
      const t0 = performance.now();
      written.push(appended(ledger, await ledger.append(fields as BlockFields), t0));
    }
    return { blocks: written };
  }

  async function deliver(a: Actor, seq: number, msg: unknown): Promise<void> {
    const checked = await a.auth.check(msg);
    if (!checked.ok) return reply(a, seq, true, { unauthentic: [checked] });
    const kind = (msg as { kind?: unknown } | null)?.kind;
    let delegate: DelegateEffect[] = [], normal: NormalEffect[] = [];
    const blocks: BlockWritten[] = [];
    if (kind === "decision" && a.normal) normal = stepNormal(a.env, a.normal, { kind: "receive", msg });
    else if (a.delegate) {
      delegate = await sealAll(a, a.delegate.step(a.env, a.delegate.state, { kind: "receive", msg }));
    } else if (a.normal) normal = stepNormal(a.env, a.normal, { kind: "receive", msg });
    // A block counts as accepted here only once it is in this participant's ledger.
    const reported: NormalEffect[] = [];
    for (const e of normal) {
      if (e.kind !== "accept" || !a.ledger) {
        reported.push(e);
        continue;
      }
      const written = await writeBlock(a, e);
      if (typeof written === "string") {
        reported.push({ kind: "drop", reason: `ledger: ${written}`, msg: null });
      } else {
        reported.push(e);
        blocks.push(written);
      }
    }
    reply(a, seq, true, { delegate, normal: reported, blocks });
  }

  async function handle(input: ToWorker): Promise<void> {
    if (input?.type === "init") {
      try {
        return await start(input);
      } catch (e) {
        // A participant that cannot start cannot take part: the supervisor ends the run with this error.
        return post({ type: "startFailed", id: input.id, error: (e as Error)?.message ?? String(e) });
      }
    }
    const a = actor;
    const seq = typeof (input as { seq?: unknown })?.seq === "number" ? (input as { seq: number }).seq : -1;
    if (!a) return reply(a, seq, true);
    if (input?.type === "day") {
      const day = input.day;
      const own = a.delegate?.state.blacklist ?? [];
      // A node that took the last blocks from its peers adopts their blacklist too (it missed the rounds).
      const blacklist = input.withChainBlacklist
        ? [...own, ...day.blacklistAtStart.filter((d) => !own.includes(d))]
        : own;
      a.problem = problemFor(a.init, day, input.problem);
      a.env = timed(a.problem.verifier);
      a.auth = authenticator(a.init, a.pair, a.problem);
      const id = a.init.id;
      enterDay(
        a,
        day,
        a.init.delegate ? { id, round: 0, blacklist: [...blacklist], received: [] } : undefined,
      );
      const persist: DelegateEffect[] = a.delegate
        ? [{ kind: "persist", snapshot: delegateSnapshot(a.delegate.state) }]
        : [];
      return reply(a, seq, true, { delegate: persist });
    }
    if (input?.type === "event" && a.delegate) return await runDelegate(a, seq, input.event);
    if (input?.type === "deliver") return await deliver(a, seq, input.msg);
    if (input?.type === "catchUp") return reply(a, seq, true, await catchUp(a, input.blocks));
    if (input?.type === "prepare") {
      prepare(a.init, input.loadFactor, input.problem);
      return reply(a, seq, true);
    }
    reply(a, seq, true);
  }

  async function drain(): Promise<void> {
    if (busy) return;
    busy = true;
    while (mailbox.length) {
      const input = mailbox.shift()!;
      try {
        await handle(input);
      } catch (e) {
        // One bad input never takes the actor down: say what happened and go on.
        post({ type: "failed", id: actor?.init.id ?? -1, error: (e as Error)?.stack ?? String(e) });
        const seq = (input as { seq?: unknown })?.seq;
        if (typeof seq === "number") reply(actor, seq, true);
      }
    }
    busy = false;
  }

  return {
    enqueue(input: ToWorker): void {
      mailbox.push(input);
      void drain();
    },
  };
}
