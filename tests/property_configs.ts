/**
 * The random adversary configurations of the property tests (tests/property_test.ts) and the
 * property bench (bench/property_bench.ts), and the claims every simulated run must satisfy.
 *
 * A configuration: 5–7 delegates, fewer than half of them dishonest, each dishonest one with any
 * combination of the behaviours; 0–2 normal-only nodes, some of them dishonest too (they have no
 * behaviour of their own, but the adversary holds their keys: `coalition`, so a dishonest
 * delegate's `impersonate` copies put validly signed non-delegates on relay paths and on
 * decisions); random link delays, solve and check times, crashes with restarts inside the round,
 * and every message signed.
 *
 * Paper mode: the claims need every chain of relays to land before the round timeout T. A chain
 * has at most one hop per delegate (7), each at most link + check + delay_ms = 3 T/50, plus the
 * solve and up to three restarts of T/20 each (f <= 3): under 0.75 T. (With later relays paper
 * mode can split the honest delegates: see the weak-spot test in simulator_test.ts.)
 *
 * The published rules (`protocol: published`) are run with paper mode's timing.
 *
 * Strict mode: adversarial timing. A dishonest delegate's messages may be held back any time up
 * to 3 T (past the round's end), per addressee, and sent to any subset; it may also forge a
 * leader's proposal and replay old messages. Only honest hops are bounded (link + check within
 * one phase).
 *
 * @module
 */
import fc from "fast-check";
import type { ProposalBook, SimConfig, SimParticipant, SimResult } from "../actors/simulator.ts";
import { proposalDigest } from "../consensus/signing.ts";
import type { Misbehaviour, NodeId, ProtocolVariant } from "../consensus/types.ts";
import { proposalOf } from "./consensus_fixture.ts";

/** Round timeout of every run, virtual ms. */
export const T = 1000;
/** Strict mode: longest hold-back of a dishonest delegate's message, ms (three rounds' timeouts). */
const ADVERSARIAL_DELAY_MAX_MS = 3 * T;
/** First id of the normal-only nodes (6, 7); delegates are 8 onwards. */
const FIRST_NORMAL_ONLY = 6;
/** First delegate id (C). */
const FIRST_DELEGATE = 8;

/** A run's configuration, with who is dishonest. */
export type PropertyConfig = SimConfig & {
  /** The dishonest delegates. */
  dishonest: NodeId[];
  /** Every participant whose key the adversary holds: the dishonest delegates and normal-only nodes. */
  coalition: NodeId[];
};

/** A random subset of `ids`. */
const subset = (ids: NodeId[]) => fc.subarray(ids);

/** A dishonest delegate's behaviour: any combination of the keys of {@link Misbehaviour}. */
function misbehaviour(
  delegates: NodeId[],
  normals: NodeId[],
  everyone: NodeId[],
  f: number,
  adversarialTiming: boolean,
): fc.Arbitrary<Misbehaviour> {
  const delay = fc.integer({ min: 1, max: adversarialTiming ? ADVERSARIAL_DELAY_MAX_MS : T / 50 });
  const timing: { [K in keyof Misbehaviour]: fc.Arbitrary<Misbehaviour[K]> } = adversarialTiming
    ? {
      delay_to: fc.dictionary(fc.constantFrom(...delegates.map(String)), delay, { maxKeys: delegates.length })
        .map((d): Record<NodeId, number> =>
          Object.fromEntries(Object.entries(d).map(([k, v]) => [Number(k), v]))
        ),
      forge_leader: subset(delegates),
      replay_old: fc.boolean(),
    }
    : {};
  return fc.record({
    follower_ignore: subset(delegates),
    follower_error: subset(delegates),
    follower_feasible: subset(delegates),
    equivocate: subset(delegates),
    equivocate_metadata: subset(delegates),
    follower_collusion: subset(delegates),
    follower_trick_ignore: subset(delegates),
    follower_trick_error: subset([...new Set([...delegates, ...normals])]),
    oversize: subset(delegates),
    impersonate: subset(everyone),
    junk: fc.boolean(),
    delay_ms: delay,
    crash_at_round: fc.integer({ min: 1, max: f + 1 }),
    ...timing,
  }, { requiredKeys: [] });
}

/**
 * A whole run: participants, which delegates (and normal-only nodes) are dishonest, timings and seed.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * const [config] = fc.sample(runArb("strict"), { numRuns: 1, seed: 1 });
 * console.log(config.protocol, config.dishonest.length < config.participants.length); // strict true
 * ```
 */
export const runArb = (protocol: ProtocolVariant): fc.Arbitrary<PropertyConfig> =>
  fc.integer({ min: 5, max: 7 }).chain((n) => {
    const delegates = Array.from({ length: n }, (_, i) => FIRST_DELEGATE + i);
    return fc.record({
      // Half the time the dishonest ones hold the lowest ids, so they lead the first rounds.
      dishonest: fc.oneof(
        fc.shuffledSubarray(delegates, { maxLength: Math.floor((n - 1) / 2) }),
        fc.integer({ min: 1, max: Math.floor((n - 1) / 2) }).map((f) => delegates.slice(0, f)),
      ),
      delegateIsNormal: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      normalOnly: fc.integer({ min: 0, max: 2 }),
      // Which normal-only nodes are dishonest (by position; those beyond `normalOnly` do not exist).
      normalOnlyDishonest: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    }).chain(({ dishonest, delegateIsNormal, normalOnly, normalOnlyDishonest }) => {
      const normalOnlyIds = Array.from({ length: normalOnly }, (_, i) => FIRST_NORMAL_ONLY + i);
      const normals = [...normalOnlyIds, ...delegates.filter((_, i) => delegateIsNormal[i])];
      const everyone = [...normalOnlyIds, ...delegates];
      const coalition = [...normalOnlyIds.filter((_, i) => normalOnlyDishonest[i]), ...dishonest];
      const f = dishonest.length;
      return fc.record({
        behaviours: fc.tuple(
          ...dishonest.map(() => misbehaviour(delegates, normals, everyone, f, protocol === "strict")),
        ),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        maxDelayMs: fc.integer({ min: 1, max: T / 50 }),
        solveMs: fc.integer({ min: 1, max: T / 20 }),
        checkMs: fc.integer({ min: 0, max: T / 50 }),
        restartMs: fc.integer({ min: 1, max: T / 20 }),
        normalVerify: fc.boolean(),
      }).map((r): PropertyConfig => {
        const participants: SimParticipant[] = [
          ...normalOnlyIds.map((id, i) => ({ id, name: `N${i}`, delegate: false, normal: true })),
          ...delegates.map((id, i) => ({
            id,
            name: String.fromCharCode(67 + i), // C, D, E, ...
            delegate: true,
            normal: delegateIsNormal[i],
            ...(dishonest.includes(id) ? { misbehaviour: r.behaviours[dishonest.indexOf(id)] } : {}),
          })),
        ];
        const { behaviours: _, ...timing } = r;
        return { participants, dishonest, coalition, roundTimeoutMs: T, minDelayMs: 1, protocol, ...timing };
      });
    });
  });

/** What one run showed, for the counts of the test and the bench. */
export interface RunFacts {
  /** The honest delegates committed after round 1. */
  multiRound: boolean;
  /** Crashes of dishonest delegates. */
  crashes: number;
  /** Messages dropped for a failing signature and blamed on a (dishonest) signer. */
  attributed: number;
  /** Validly signed copies dropped because a non-delegate is on their path. */
  outsiderDrops: number;
  /** Proposals refused before any signature check for an x longer than the problem's (behaviour `oversize`). */
  oversizeRefusals: number;
  /** Equivocation evidence recorded. */
  evidence: number;
}

/** A drop reason saying a certificate's x was longer than the problem's, found before any signature check. */
function isOversizeRefusal(reason: string): boolean {
  const m =
    /^refused before any signature check: proposal\.certificate\.x has (\d+) entries, the problem has (\d+)/
      .exec(reason);
  return !!m && Number(m[1]) > Number(m[2]);
}

/**
 * The claims a run must satisfy, as messages saying which broke (none when it satisfies all),
 * and what the run exercised.
 */
export function violations(
  book: ProposalBook,
  config: PropertyConfig,
  result: SimResult,
): { broken: string[]; facts: RunFacts } {
  const { facts, report } = result;
  const broken: string[] = [];
  const honest = config.participants.filter((p) => p.delegate && !config.dishonest.includes(p.id)).map((p) =>
    p.id
  );
  const f = config.dishonest.length;
  const commits = honest.map((id) => facts.delegates[id].commit);
  // Safety: no honest delegate commits a dispatch whose certificate fails.
  for (const [i, c] of commits.entries()) {
    if (c && !c.certificateValid) broken.push(`${honest[i]}: invalid commit`);
  }
  // Agreement and liveness: every honest delegate commits the same proposal in the same round, by round f+1.
  const first = commits[0];
  if (!first) broken.push(`honest delegate ${honest[0]} did not commit`);
  for (const [i, c] of commits.entries()) {
    if (first && (c?.round !== first.round || c?.proposalDigest !== first.proposalDigest)) {
      broken.push(`delegate ${honest[i]} differs from ${honest[0]}`);
    }
  }
  if (first && first.round > f + 1) broken.push(`commit in round ${first.round} with f = ${f}`);
  // A proposal of an honest leader is exactly its optimum, claimed at its true cost.
  if (first && honest.includes(first.leader)) {
    const expected = proposalDigest(proposalOf(book, "optimal", first.round, first.leader));
    if (first.proposalDigest !== expected) broken.push("an honest leader's commit is not its optimum");
  }
  // Every honest normal node accepts what the honest delegates committed.
  for (const p of config.participants.filter((p) => p.normal && !config.coalition.includes(p.id))) {
    if (first && facts.normals[p.id].accepted?.proposalDigest !== first.proposalDigest) {
      broken.push(`normal node ${p.name} accepted otherwise`);
    }
  }
  // A message whose signature fails is blamed on its signer only when that signer is dishonest.
  let attributed = 0;
  for (const r of report.rounds) {
    for (const s of r.signatureFailures ?? []) {
      if (s.blame === undefined) continue;
      const blamed = config.participants.find((p) => p.name === s.blame)!;
      if (!config.coalition.includes(blamed.id)) broken.push(`${s.blame} blamed but honest`);
      attributed++;
    }
  }
  const dropped = report.rounds.flatMap((r) => r.dropped.map((d) => d.reason));
  return {
    broken,
    facts: {
      multiRound: !!first && first.round > 1,
      crashes: config.dishonest.reduce((n, id) => n + facts.delegates[id].crashes, 0),
      attributed,
      outsiderDrops: dropped.filter((d) => /^relayed through .*, which is not a delegate/.test(d)).length,
      oversizeRefusals: dropped.filter(isOversizeRefusal).length,
      evidence: report.evidence?.length ?? 0,
    },
  };
}
