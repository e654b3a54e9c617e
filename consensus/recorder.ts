/**
 * Turns what a shell observes (the effects of every machine, its own drops
 * and notes) into a {@link RunReport}. Both shells use it, so the Worker
 * runtime and the simulator print the same trace.
 *
 * @module
 */
import { costCell } from "../problems/types.ts";
import { parseMessage } from "./messages.ts";
import type { Outcome, RoundReport, RunReport } from "./report.ts";
import type {
  DelegateEffect,
  EquivocationEvidence,
  NodeId,
  NormalEffect,
  Proposal,
  Verifier,
} from "./types.ts";

/** Hex digits of a digest shown where delegates committed different proposals. */
const SHORT_DIGEST_CHARS = 8;

/** Decimals of the $ per day costs shown there: two optima can differ by a tenth of a cent. */
const SPLIT_COST_DECIMALS = 4;

/** What a {@link Recorder} needs to know about a run. */
export interface RecorderOptions {
  /** Scenario name, for the report. */
  scenario: string;
  /** Which shell runs it. */
  runtime: RunReport["runtime"];
  /** The run's seed (u32), for the report. */
  seed: number;
  /** Participant id → name. */
  names: Record<NodeId, string>;
  /** Every delegate's id (a row each in the delegate phase). */
  delegates: NodeId[];
  /** Every normal node's id. */
  normals: NodeId[];
  /** For digests and true costs of the proposals seen. */
  env: Verifier;
  /** Notices about the scenario, copied into the report (default none). */
  notices?: string[];
  /** Describes the accepted solution for the report (the kind's series, cost, gap); omitted when not given. */
  dispatchOf?: (proposal: Proposal) => RunReport["dispatch"];
}

/** The fields every outcome has: a kind's own outcome fields never replace them. */
const OUTCOME_FIELDS: readonly string[] = ["round", "leader", "costUsd"];

/** A kind's own outcome fields (ProblemSummary.outcome), without any that would replace {@link OUTCOME_FIELDS}. */
function kindOutcome(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !OUTCOME_FIELDS.includes(k)));
}

/**
 * Builds a run's trace from observations; call {@link Recorder.finish} at the end.
 *
 * @example
 * ```ts
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // consulted only for the proposals it learns
 * const rec = new Recorder({
 *   scenario: "demo", runtime: "simulator", seed: 1, names: { 6: "A", 8: "C", 9: "D" },
 *   delegates: [8, 9], normals: [6], env,
 * });
 * rec.roundStart(1, "C");
 * rec.delegateEffect(9, { kind: "blacklist", round: 1, leader: 8, reason: "no valid proposal" });
 * const report = rec.finish();
 * console.log(report.rounds[0].decision, report.outcome); // { C: "none", D: "blacklist" } null
 * ```
 */
export class Recorder {
  private readonly rounds: RoundReport[] = [];
  private readonly costByDigest = new Map<string, number>();
  private readonly blacklists = new Map<NodeId, NodeId[]>();
  private readonly normalReceived: Record<string, string[]> = {};
  /** Normal node → what it accepted: round, leader, dispatch digest (for the cost), proposal digest. */
  private readonly accepted = new Map<
    NodeId,
    { round: number; leader: NodeId; digest: string; proposalDigest: string }
  >();
  private readonly evidence: EquivocationEvidence[] = [];
  /** Accepted proposals by proposal digest. */
  private readonly proposals = new Map<string, Proposal>();
  private readonly evidenceKeys = new Set<string>();
  /** Round → the delegates' commits in it: who, the dispatch digest, the proposal digest, true and claimed cost. */
  private readonly commits = new Map<
    number,
    { who: string; digest: string; proposalDigest: string; costUsd: number; claimedUsd: number }[]
  >();

  /** A recorder with no observation yet. */
  constructor(private readonly o: RecorderOptions) {
    for (const n of o.normals) this.normalReceived[this.name(n)] = [];
  }

  /** A participant's name (its id when it has none). */
  private name(id: NodeId): string {
    return this.o.names[id] ?? String(id);
  }

  /** The latest round, round 1 (leader unknown) when none started yet. */
  private current(): RoundReport {
    if (!this.rounds.length) this.roundStart(1, "?");
    return this.rounds[this.rounds.length - 1];
  }

  /** Round `r`, or the current one when `r` has not started. */
  private round(r: number): RoundReport {
    return this.rounds.find((x) => x.round === r) ?? this.current();
  }

  /** Learns the cost of a proposal (done automatically for every proposal a machine sends). */
  learn(proposal: Proposal): void {
    const d = this.o.env.digest(proposal.certificate);
    if (!this.costByDigest.has(d)) {
      this.costByDigest.set(d, Math.round(this.o.env.costUsd(proposal.certificate)));
    }
  }

  /** The cost (rounded to a whole number) of the solution with this digest, when it was learnt. */
  costOf(digest: string): number | undefined {
    return this.costByDigest.get(digest);
  }

  /**
   * Learns the cost of a solution by its digest, as another process measured it (a shell that
   * gathers the traces of separate processes passes each sent proposal's digest and cost, not the
   * proposal).
   */
  learnCost(digest: string, cost: number): void {
    if (!this.costByDigest.has(digest)) this.costByDigest.set(digest, Math.round(cost));
  }

  /**
   * A trace cell `<$OBJ>PATH` (problems/types.ts costCell: the symbol and the grouping of the
   * problem's cost unit) for a solution digest received along `path`.
   */
  private cell(digest: string, path: NodeId[]): string {
    return costCell(this.o.env.cost, this.costByDigest.get(digest), path.map((id) => this.name(id)).join(""));
  }

  /** Round `round` starts; `leader` is the leader most delegates follow. */
  roundStart(round: number, leader: string): void {
    const existing = this.rounds.find((r) => r.round === round);
    if (existing) {
      if (existing.leader === "?") existing.leader = leader;
      return;
    }
    const each = <T>(v: () => T) => Object.fromEntries(this.o.delegates.map((d) => [this.name(d), v()]));
    this.rounds.push({
      round,
      leader,
      received: each(() => [] as string[]),
      decision: each(() => "none" as const),
      rejected: each(() => [] as string[]),
      blacklist: each(() => [] as string[]),
      dropped: [],
      notes: [],
    });
    for (const d of this.o.delegates) this.current().blacklist[this.name(d)] = this.blacklistOf(d);
  }

  /** Delegate `d`'s blacklist, as names. */
  private blacklistOf(d: NodeId): string[] {
    return (this.blacklists.get(d) ?? []).map((id) => this.name(id));
  }

  /** An effect of delegate `id`'s (possibly wrapped) machine. */
  delegateEffect(id: NodeId, e: DelegateEffect): void {
    const me = this.name(id);
    switch (e.kind) {
      case "send":
        // Junk (behaviour `junk`) is sent too; only well-formed proposals have a cost to learn.
        if (parseMessage(e.msg).ok) this.learn(e.msg.proposal);
        break;
      case "received": {
        const r = this.round(e.round), cell = this.cell(e.digest, e.path);
        r.received[me]?.push(cell);
        if (e.verdict !== "accepted") r.rejected[me]?.push(`${cell} ${e.reason ?? e.verdict}`);
        if (e.unchecked) r.notes.push(`${me} took ${cell} unchecked`);
        break;
      }
      case "commit": {
        this.learn(e.proposal);
        this.round(e.round).decision[me] = "commit";
        const list = this.commits.get(e.round) ?? [];
        this.commits.set(e.round, list);
        list.push({
          who: me,
          digest: e.digest,
          proposalDigest: e.proposalDigest,
          costUsd: this.o.env.costUsd(e.proposal.certificate),
          claimedUsd: e.proposal.claimedCostUsd,
        });
        break;
      }
      case "blacklist": {
        const list = [...(this.blacklists.get(id) ?? []), e.leader];
        this.blacklists.set(id, list);
        const r = this.round(e.round);
        r.decision[me] = "blacklist";
        r.blacklist[me] = this.blacklistOf(id);
        if (e.reason === "equivocation") r.notes.push(`${me} saw ${this.name(e.leader)} equivocate`);
        break;
      }
      case "drop":
        this.current().dropped.push({ to: me, reason: e.reason });
        break;
      case "crash":
        this.current().notes.push(`${me} crashed`);
        break;
      case "evidence": {
        const ev = e.evidence;
        const key = [ev.height, ev.round, ev.leader, ...[ev.a.proposal, ev.b.proposal].sort()].join("/");
        if (this.evidenceKeys.has(key)) break;
        this.evidenceKeys.add(key);
        this.evidence.push(ev);
        this.round(ev.round).notes.push(
          `${me} holds evidence: ${this.name(ev.leader)} signed two proposals for round ${ev.round}`,
        );
        break;
      }
    }
  }

  /**
   * A message a shell dropped because a signature failed; `blame` changed or forged it. One the
   * shell refused before checking any signature (`unverified`: wrong size) is only a dropped message.
   */
  unauthentic(to: NodeId, r: { reason: string; signer: NodeId; blame?: NodeId; unverified?: boolean }): void {
    const round = this.current();
    round.dropped.push({ to: this.name(to), reason: r.reason });
    if (r.unverified) return;
    (round.signatureFailures ??= []).push({
      to: this.name(to),
      signer: this.name(r.signer),
      ...(r.blame === undefined ? {} : { blame: this.name(r.blame) }),
    });
  }

  /** An effect of normal node `id`'s machine. */
  normalEffect(id: NodeId, e: NormalEffect): void {
    const me = this.name(id);
    if (e.kind === "decisionReceived") (this.normalReceived[me] ??= []).push(this.cell(e.digest, [e.from]));
    else if (e.kind === "accept") {
      this.learn(e.proposal);
      if (!this.proposals.has(e.proposalDigest)) this.proposals.set(e.proposalDigest, e.proposal);
      this.accepted.set(id, {
        round: e.round,
        leader: e.leader,
        digest: e.digest,
        proposalDigest: e.proposalDigest,
      });
    } else this.current().dropped.push({ to: me, reason: e.reason });
  }

  /** A message the shell itself dropped (link loss, unknown addressee, ...). */
  dropped(to: NodeId, reason: string): void {
    this.current().dropped.push({ to: this.name(to), reason });
  }

  /** A note for the current round (restart, ...). */
  note(text: string): void {
    this.current().notes.push(text);
  }

  /**
   * A note when delegates committed different proposals in round `round` (whole dollars cannot tell
   * two optima apart in the trace): who committed which dispatch, at what true and claimed cost.
   */
  private splitNote(round: number): string | undefined {
    const groups = new Map<string, NonNullable<ReturnType<typeof this.commits.get>>>();
    for (const c of this.commits.get(round) ?? []) {
      groups.set(c.proposalDigest, [...groups.get(c.proposalDigest) ?? [], c]);
    }
    if (groups.size < 2) return undefined;
    const short = (d: string) => d.replace(/^sha256:/, "").slice(0, SHORT_DIGEST_CHARS);
    const parts = [...groups.values()].map((g) =>
      `${g.map((c) => c.who).join(", ")}: dispatch ${short(g[0].digest)} at $${
        g[0].costUsd.toFixed(SPLIT_COST_DECIMALS)
      } (claimed $${g[0].claimedUsd.toFixed(SPLIT_COST_DECIMALS)})`
    );
    return `delegates committed ${groups.size} different proposals: ${parts.join("; ")}`;
  }

  /**
   * The report: the outcome is the proposal (by proposal digest) more than half of the normal
   * nodes accepted, or null.
   */
  finish(): RunReport {
    const accepted: Record<string, number | null> = {};
    for (const n of this.o.normals) {
      const a = this.accepted.get(n);
      accepted[this.name(n)] = a ? this.costByDigest.get(a.digest) ?? null : null;
    }
    const votes = new Map<string, { n: number; round: number; leader: NodeId; digest: string }>();
    for (const a of this.accepted.values()) {
      const v = votes.get(a.proposalDigest) ?? { n: 0, round: a.round, leader: a.leader, digest: a.digest };
      votes.set(a.proposalDigest, { ...v, n: v.n + 1 });
    }
    let outcome: Outcome | null = null;
    let dispatch: RunReport["dispatch"];
    for (const [proposalDigest, v] of votes) {
      if (2 * v.n > this.o.normals.length) {
        const p = this.proposals.get(proposalDigest);
        if (p && this.o.dispatchOf) dispatch = this.o.dispatchOf(p);
        outcome = {
          round: v.round,
          leader: this.name(v.leader),
          costUsd: this.costByDigest.get(v.digest) ?? NaN,
          ...kindOutcome(dispatch?.outcome),
        };
      }
    }
    return {
      scenario: this.o.scenario,
      runtime: this.o.runtime,
      seed: this.o.seed,
      rounds: this.rounds.map((r) => {
        const split = this.splitNote(r.round);
        return split ? { ...r, notes: [...r.notes, split] } : r;
      }),
      normal: { received: this.normalReceived, accepted },
      outcome,
      notices: this.o.notices ?? [],
      evidence: this.evidence,
      // A verifier made for a doc example may lack a unit; every problem kind's has one.
      ...(this.o.env.cost ? { costUnit: this.o.env.cost } : {}),
      ...(dispatch ? { dispatch } : {}),
    };
  }
}
