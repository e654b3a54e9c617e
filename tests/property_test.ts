/**
 * POSO.md's safety and liveness claims, checked by the deterministic
 * simulator over thousands of random adversary configurations: 5–7
 * delegates, fewer than half of them dishonest, every behaviour, random link
 * delays, crashes with restarts inside the round, every message signed.
 *
 * Paper mode: the claims need every chain of relays to land before the round
 * timeout T. A chain has at most one hop per delegate (7), each at most
 * link + check + delay_ms = 3 T/50, plus the solve and up to three restarts
 * of T/20 each (f <= 3): under 0.75 T. (With later relays paper mode can
 * split the honest delegates: see the weak-spot test in simulator_test.ts.)
 *
 * Strict mode: adversarial timing. A dishonest delegate's messages may be
 * held back any time up to 3 T (past the round's end), per addressee, and
 * sent to any subset; it may also forge a leader's proposal and replay old
 * messages. Only honest hops are bounded (link + check within one phase).
 *
 * A failure prints fast-check's seed and path (replay with them) and the
 * simulator seed and participants of the failing run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type SimConfig, type SimParticipant, simulate } from "../actors/simulator.ts";
import type { Misbehaviour, NodeId } from "../consensus/types.ts";
import { consensusFixture } from "./consensus_fixture.ts";

const T = 1000;
const RUNS = 2000;
/** Strict mode: longest hold-back of a dishonest delegate's message, ms (three rounds' timeouts). */
const ADVERSARIAL_DELAY_MAX_MS = 3 * T;

/** A random non-empty-or-empty subset of `ids`. */
const subset = (ids: NodeId[]) => fc.subarray(ids);

/** A dishonest participant's behaviour: any combination of the keys of {@link Misbehaviour}. */
function misbehaviour(
  delegates: NodeId[],
  normals: NodeId[],
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
    follower_collusion: subset(delegates),
    follower_trick_ignore: subset(delegates),
    follower_trick_error: subset([...new Set([...delegates, ...normals])]),
    delay_ms: delay,
    crash_at_round: fc.integer({ min: 1, max: f + 1 }),
    ...timing,
  }, { requiredKeys: [] });
}

/** A whole run: participants, which delegates are dishonest, timings and seed. */
const runArb = (protocol: "paper" | "strict") =>
  fc.integer({ min: 5, max: 7 }).chain((n) => {
    const delegates = Array.from({ length: n }, (_, i) => 8 + i);
    return fc.record({
      // Half the time the dishonest ones hold the lowest ids, so they lead the first rounds.
      dishonest: fc.oneof(
        fc.shuffledSubarray(delegates, { maxLength: Math.floor((n - 1) / 2) }),
        fc.integer({ min: 1, max: Math.floor((n - 1) / 2) }).map((f) => delegates.slice(0, f)),
      ),
      delegateIsNormal: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      normalOnly: fc.integer({ min: 0, max: 2 }),
    }).chain(({ dishonest, delegateIsNormal, normalOnly }) => {
      const normals = [
        ...Array.from({ length: normalOnly }, (_, i) => 6 + i),
        ...delegates.filter((_, i) => delegateIsNormal[i]),
      ];
      const f = dishonest.length;
      return fc.record({
        behaviours: fc.tuple(
          ...dishonest.map(() => misbehaviour(delegates, normals, f, protocol === "strict")),
        ),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        maxDelayMs: fc.integer({ min: 1, max: T / 50 }),
        solveMs: fc.integer({ min: 1, max: T / 20 }),
        checkMs: fc.integer({ min: 0, max: T / 50 }),
        restartMs: fc.integer({ min: 1, max: T / 20 }),
        normalVerify: fc.boolean(),
      }).map((r): SimConfig & { dishonest: NodeId[] } => {
        const participants: SimParticipant[] = [
          ...Array.from(
            { length: normalOnly },
            (_, i) => ({ id: 6 + i, name: `N${i}`, delegate: false, normal: true }),
          ),
          ...delegates.map((id, i) => ({
            id,
            name: String.fromCharCode(67 + i), // C, D, E, ...
            delegate: true,
            normal: delegateIsNormal[i],
            ...(dishonest.includes(id) ? { misbehaviour: r.behaviours[dishonest.indexOf(id)] } : {}),
          })),
        ];
        const { behaviours: _, ...timing } = r;
        return { participants, dishonest, roundTimeoutMs: T, minDelayMs: 1, protocol, ...timing };
      });
    });
  });

for (const protocol of ["paper", "strict"] as const) {
  Deno.test(`${protocol} mode: safety, agreement and liveness over ${RUNS} random adversary configurations`, async () => {
    const { env, book } = await consensusFixture();
    const optimal = env.digest(book.optimal.certificate);
    const t0 = performance.now();
    let commitsAfterRound1 = 0, crashes = 0, attributed = 0;
    await fc.assert(
      fc.asyncProperty(runArb(protocol), async (config) => {
        const { facts, report } = await simulate(env, book, config);
        const why = `seed ${config.seed}, config ${JSON.stringify(config)}`;
        const honest = config.participants.filter((p) => p.delegate && !config.dishonest.includes(p.id)).map((
          p,
        ) => p.id);
        const f = config.dishonest.length;
        const commits = honest.map((id) => facts.delegates[id].commit);
        // Safety: no honest delegate commits a dispatch whose certificate fails.
        for (const c of commits) if (c) assert.ok(c.certificateValid, `an invalid commit; ${why}`);
        // Agreement and liveness: every honest delegate commits, the same digest in the same round, by round f+1.
        const first = commits[0];
        assert.ok(first, `honest delegate ${honest[0]} did not commit; ${why}`);
        for (const [i, c] of commits.entries()) {
          assert.deepEqual(
            [c?.round, c?.digest],
            [first.round, first.digest],
            `delegate ${honest[i]} differs; ${why}`,
          );
        }
        assert.ok(first.round <= f + 1, `commit in round ${first.round} with f = ${f}; ${why}`);
        // A dispatch led by an honest leader is exactly the optimum (a dishonest one may commit another valid optimum).
        if (honest.includes(first.leader)) assert.equal(first.digest, optimal, `honest leader; ${why}`);
        // Every honest normal node accepts what the honest delegates committed.
        for (const p of config.participants.filter((p) => p.normal && !config.dishonest.includes(p.id))) {
          assert.equal(facts.normals[p.id].accepted?.digest, first.digest, `normal node ${p.name}; ${why}`);
        }
        // A message whose signature fails is blamed on its signer only when that signer is dishonest.
        for (const r of report.rounds) {
          for (const s of r.signatureFailures ?? []) {
            if (s.blame === undefined) continue;
            const blamed = config.participants.find((p) => p.name === s.blame)!;
            assert.ok(config.dishonest.includes(blamed.id), `${s.blame} blamed but honest; ${why}`);
            attributed++;
          }
        }
        if (first.round > 1) commitsAfterRound1++;
        for (const id of config.dishonest) crashes += facts.delegates[id].crashes;
      }),
      { numRuns: RUNS, seed: 20250601 },
    );
    const ms = performance.now() - t0;
    // The generator must actually exercise the adversaries, or the test proves nothing.
    assert.ok(commitsAfterRound1 > RUNS / 20, `only ${commitsAfterRound1} runs needed a second round`);
    assert.ok(crashes > RUNS / 20, `only ${crashes} crashes`);
    if (protocol === "strict") assert.ok(attributed > RUNS / 20, `only ${attributed} attributed forgeries`);
    console.log(
      `${protocol}: ${RUNS} runs in ${
        ms.toFixed(0)
      } ms; ${commitsAfterRound1} needed more than one round; ${crashes} crashes; ${attributed} attributed drops`,
    );
  });
}
