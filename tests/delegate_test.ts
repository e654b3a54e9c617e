/**
 * The pure protocol core as specification: the honest delegate (docs/protocol.md
 * "One dispatch decision"), the normal-node majority rule, each behaviour
 * layer on its own, and the structural message check on junk.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { CLAIM_TOLERANCE_USD, claimProblem, dispatchDigest } from "../consensus/digest.ts";
import { initDelegate, stepDelegate } from "../consensus/delegate.ts";
import { parseMessage } from "../consensus/messages.ts";
import { proposalDigest } from "../consensus/signing.ts";
import { initNormal, stepNormal } from "../consensus/normal.ts";
import {
  crashAtRound,
  delayRelays,
  type DelegateStep,
  equivocateMetadata,
  followerCollusion,
  followerIgnore,
  followerTrickError,
  followerTrickIgnore,
  impersonate,
  junk,
  leaderSends,
  METADATA_CLAIM_OFFSET_USD,
  oversize,
  OVERSIZE_FACTOR,
  withMisbehaviour,
} from "../consensus/behaviours.ts";
import type {
  DecisionMessage,
  DelegateEffect,
  DelegateSnapshot,
  Message,
  NodeId,
  Proposal,
  Verifier,
} from "../consensus/types.ts";
import { type Certificate, DISPATCH_COST } from "../mod.ts";
import { consensusFixture, proposalMsg, proposalOf } from "./consensus_fixture.ts";

const DELEGATES = [8, 9, 10, 11, 12];
const NORMALS = [6, 7, 8, 9, 10, 11, 12];
const cfg = (id: NodeId) => ({ id, delegates: DELEGATES, normals: NORMALS });

type Send = Extract<DelegateEffect, { kind: "send" }>;
const sends = (fx: DelegateEffect[]): Send[] => fx.filter((e): e is Send => e.kind === "send");
const sentTo = (fx: DelegateEffect[]) => sends(fx).map((e) => e.msg.to).sort((a, b) => a - b);
const ofKind = <K extends DelegateEffect["kind"]>(fx: DelegateEffect[], kind: K) =>
  fx.filter((e): e is Extract<DelegateEffect, { kind: K }> => e.kind === kind);
const drops = (fx: DelegateEffect[]) => ofKind(fx, "drop").map((e) => e.reason);

/** A delegate that has started round `round` (with an optional blacklist). */
function started(id: NodeId, round = 1, blacklist: NodeId[] = []) {
  const snap: DelegateSnapshot = { id, round: round - 1, blacklist, received: [] };
  const s = initDelegate(cfg(id), snap);
  return { s, fx: stepDelegate(nullEnv, s, { kind: "roundStart", round }) };
}

/** A verifier that must not be called (for steps that never verify). */
const nullEnv: Verifier = {
  verify: () => assert.fail("verify called"),
  digest: () => assert.fail("digest called"),
  costUsd: () => 0,
  tamper: (c) => c,
  cost: DISPATCH_COST,
};

// ---------------------------------------------------------------------------
// Digest and verifier

Deno.test("digest is stable, memoised and tells dispatches apart; tamper is infeasible and memoised", async () => {
  const { env, book } = await consensusFixture();
  const opt = book.optimal.certificate;
  assert.equal(dispatchDigest(opt), dispatchDigest({ ...opt, x: Array.from(opt.x) }));
  assert.match(dispatchDigest(opt), /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(env.digest(opt), env.digest(book.alternative.certificate));
  assert.equal(env.verify(opt).verdict, "accepted");
  assert.equal(env.verify(opt), env.verify(opt), "the verdict object is memoised");
  const t = env.tamper(opt);
  assert.equal(env.tamper(opt), t);
  assert.equal(env.verify(t).verdict, "infeasible");
  assert.notEqual(env.digest(t), env.digest(opt));
  assert.equal(Math.round(env.costUsd(opt)), 744);
});

// ---------------------------------------------------------------------------
// Leader election and proposing

Deno.test("the leader is the lowest delegate not on the local blacklist, and only it solves", () => {
  assert.deepEqual(ofKind(started(8).fx, "solve"), [{ kind: "solve", round: 1, variants: ["optimal"] }]);
  assert.deepEqual(ofKind(started(9).fx, "solve"), []);
  assert.deepEqual(ofKind(started(9, 2, [8]).fx, "solve"), [{
    kind: "solve",
    round: 2,
    variants: ["optimal"],
  }]);
  assert.deepEqual(ofKind(started(10, 3, [8, 9]).fx, "solve").length, 1);
  assert.deepEqual(ofKind(started(10, 3, [8]).fx, "solve").length, 0);
});

Deno.test("a leader sends its optimum to itself and every other non-blacklisted delegate", async () => {
  const { book } = await consensusFixture();
  const { s } = started(9, 2, [8]);
  const p = proposalOf(book, "optimal", 2, 9);
  const fx = stepDelegate(nullEnv, s, { kind: "solved", round: 2, proposals: { optimal: p } });
  assert.deepEqual(sentTo(fx), [9, 10, 11, 12]);
  for (const e of sends(fx)) {
    assert.deepEqual(e.msg, { kind: "proposal", round: 2, to: e.msg.to, path: [9], sigs: [], proposal: p });
  }
  assert.deepEqual(stepDelegate(nullEnv, s, { kind: "solved", round: 1, proposals: { optimal: p } }), []);
});

// ---------------------------------------------------------------------------
// Relay

Deno.test("a follower verifies, relays a valid proposal once to those not on its path, and records it", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(10);
  const fx = stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8]) });
  const [rec] = ofKind(fx, "received");
  assert.deepEqual(rec, {
    kind: "received",
    round: 1,
    path: [8],
    digest: env.digest(book.optimal.certificate),
    proposalDigest: proposalDigest(proposalOf(book, "optimal", 1, 8)),
    verdict: "accepted",
  });
  assert.deepEqual(sentTo(fx), [9, 11, 12]);
  for (const e of sends(fx)) assert.deepEqual((e.msg as { path: NodeId[] }).path, [8, 10]);
  assert.equal(fx[0].kind, "persist", "persist comes first");
  // The same proposal relayed by another delegate: recorded, not relayed again.
  const again = stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8, 9]) });
  assert.equal(ofKind(again, "received").length, 1);
  assert.deepEqual(sends(again), []);
});

Deno.test("an invalid proposal is recorded with its verdict and not relayed", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(11);
  const fx = stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "selfish", 1, 11, [8]) });
  assert.equal(ofKind(fx, "received")[0].verdict, "suboptimal");
  assert.deepEqual(sends(fx), []);
  const end = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  assert.deepEqual(ofKind(end, "blacklist"), [{
    kind: "blacklist",
    round: 1,
    leader: 8,
    reason: "no valid proposal",
  }]);
});

Deno.test("a delegate relays at most two distinct valid proposals per round", async () => {
  const { env, book } = await consensusFixture();
  const third: Certificate = { ...book.optimal.certificate, x: Array.from(book.optimal.certificate.x) };
  (third.x as number[])[0] += 1; // a distinct dispatch the (stubbed) check calls valid
  const stub: Verifier = {
    ...env,
    verify: (c) => c === third ? env.verify(book.optimal.certificate) : env.verify(c),
  };
  const { s } = started(10);
  const relays = (p: Proposal) =>
    sends(
      stepDelegate(stub, s, {
        kind: "receive",
        msg: { kind: "proposal", round: 1, to: 10, path: [8], proposal: p },
      }),
    )
      .length;
  assert.equal(relays(proposalOf(book, "optimal", 1, 8)), 3);
  assert.equal(relays(proposalOf(book, "alternative", 1, 8)), 3);
  assert.equal(relays({ ...proposalOf(book, "optimal", 1, 8), certificate: third }), 0);
});

// ---------------------------------------------------------------------------
// Round end

Deno.test("exactly one valid proposal: commit and send the decision to every normal node, itself included", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(10);
  stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8]) });
  stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8, 9]) });
  const fx = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  const [commit] = ofKind(fx, "commit");
  assert.equal(commit.digest, env.digest(book.optimal.certificate));
  assert.deepEqual([commit.round, commit.leader], [1, 8]);
  assert.deepEqual(sentTo(fx), NORMALS);
  for (const e of sends(fx)) assert.equal((e.msg as DecisionMessage).from, 10);
  assert.equal(commit.proposalDigest, proposalDigest(proposalOf(book, "optimal", 1, 8)));
  assert.deepEqual(ofKind(fx, "persist")[0].snapshot.committed, {
    round: 1,
    leader: 8,
    digest: commit.digest,
    proposalDigest: commit.proposalDigest,
  });
  // Committed: takes no further part.
  assert.deepEqual(stepDelegate(env, s, { kind: "roundStart", round: 2 }), []);
  const late = stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8, 11]) });
  assert.deepEqual(drops(late), ["already committed"]);
});

Deno.test("no valid proposal: blacklist the leader, and the next round has the next leader", async () => {
  const { env } = await consensusFixture();
  const { s } = started(9);
  const fx = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  assert.deepEqual(ofKind(fx, "blacklist"), [{
    kind: "blacklist",
    round: 1,
    leader: 8,
    reason: "no valid proposal",
  }]);
  assert.deepEqual(ofKind(fx, "persist")[0].snapshot.blacklist, [8]);
  assert.deepEqual(ofKind(stepDelegate(env, s, { kind: "roundStart", round: 2 }), "solve"), [
    { kind: "solve", round: 2, variants: ["optimal"] },
  ]);
});

Deno.test("two distinct valid proposals of the leader: blacklist it for equivocation", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(12);
  stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 12, [8]) });
  stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "alternative", 1, 12, [8, 10]) });
  const fx = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  assert.deepEqual(ofKind(fx, "blacklist"), [{
    kind: "blacklist",
    round: 1,
    leader: 8,
    reason: "equivocation",
  }]);
  assert.deepEqual(ofKind(fx, "commit"), []);
});

// ---------------------------------------------------------------------------
// Dropped input

Deno.test("stale, future, misaddressed, not-from-leader and junk messages are dropped with a reason", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(10, 2, [8]);
  const reason = (msg: unknown) => drops(stepDelegate(env, s, { kind: "receive", msg }));
  assert.deepEqual(reason(proposalMsg(book, "optimal", 1, 10, [8])), ["stale round 1 (replay)"]);
  const otherBlock = proposalMsg(book, "optimal", 2, 10, [9]);
  const nextBlock = { ...otherBlock, proposal: { ...otherBlock.proposal, height: 2 } };
  assert.deepEqual(reason(nextBlock), ["a proposal for block 2 (this is block 1)"]);
  assert.deepEqual(reason(proposalMsg(book, "optimal", 3, 10, [9])), ["future round"]);
  assert.match(reason(proposalMsg(book, "optimal", 2, 11, [9]))[0], /addressed to 11/);
  assert.match(reason(proposalMsg(book, "optimal", 2, 10, [11]))[0], /not from this round's leader/);
  for (const junk of [null, undefined, "hello", 42, {}, [], { kind: "proposal" }]) {
    assert.match(reason(junk)[0], /^malformed: /, JSON.stringify(junk));
  }
  const looped = { ...proposalMsg(book, "optimal", 2, 10, [9, 11]), path: [9, 11, 9] };
  assert.match(reason(looped)[0], /path repeats node 9/);
  const decision: Message = {
    kind: "decision",
    round: 2,
    from: 9,
    to: 10,
    proposal: proposalOf(book, "optimal", 2, 9),
  };
  assert.match(reason(decision)[0], /normal-node machine/);
  // After the round's end, its proposals are dropped too.
  stepDelegate(env, s, { kind: "roundEnd", round: 2 });
  assert.deepEqual(reason(proposalMsg(book, "optimal", 2, 10, [9])), ["round already decided"]);
});

Deno.test("no event of any shape makes the delegate or the normal node throw", async () => {
  const { env, book } = await consensusFixture();
  const valid = proposalMsg(book, "optimal", 1, 10, [8]);
  const anything = fc.oneof(
    fc.anything(),
    fc.record({ kind: fc.constantFrom("roundStart", "roundEnd", "solved", "receive"), round: fc.anything() }),
    fc.record({ kind: fc.constant("receive"), msg: fc.anything() }),
    fc.record({
      kind: fc.constant("receive"),
      msg: fc.record({ path: fc.anything(), round: fc.anything() }).map((r) => ({ ...valid, ...r })),
    }),
  );
  fc.assert(
    fc.property(fc.array(anything, { maxLength: 8 }), (events) => {
      const d = initDelegate(cfg(10)), n = initNormal({ id: 6, delegates: DELEGATES });
      for (const ev of events) {
        // deno-lint-ignore no-explicit-any
        assert.ok(Array.isArray(stepDelegate(env, d, ev as any)));
        // deno-lint-ignore no-explicit-any
        assert.ok(Array.isArray(stepNormal(env, n, ev as any)));
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseMessage never throws on anything and rejects junk with a reason", () => {
  fc.assert(
    fc.property(
      fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }),
      (raw) => {
        const r = parseMessage(raw);
        assert.ok(r.ok || (typeof r.reason === "string" && r.reason.length > 0));
      },
    ),
    { numRuns: 2000 },
  );
  const hostile = {
    get kind() {
      throw new Error("boom");
    },
  };
  assert.deepEqual(parseMessage(hostile), { ok: false, reason: "unreadable message: boom" });
  const bigPath = { kind: "proposal", round: 1, to: 1, path: Array.from({ length: 100 }, (_, i) => i) };
  assert.equal(parseMessage(bigPath).ok, false);
});

Deno.test("parseMessage checks ids, rounds and the certificate's shape", async () => {
  const { book } = await consensusFixture();
  const good = proposalMsg(book, "optimal", 1, 10, [8, 9]);
  assert.equal(parseMessage(good).ok, true);
  const bad = (patch: Record<string, unknown>) => parseMessage({ ...good, ...patch });
  const reasonOf = (r: ReturnType<typeof parseMessage>) => r.ok ? "ok" : r.reason;
  assert.match(reasonOf(bad({ round: 0 })), /round/);
  assert.match(reasonOf(bad({ round: 1.5 })), /round/);
  assert.match(reasonOf(bad({ to: -1 })), /to is not a u32/);
  assert.match(reasonOf(bad({ to: 2 ** 32 })), /to is not a u32/);
  assert.match(reasonOf(bad({ path: [] })), /path is empty/);
  assert.match(reasonOf(bad({ path: [9, 8] })), /path starts at 9/);
  assert.match(reasonOf(bad({ path: [8, "9"] })), /not a u32/);
  assert.match(
    reasonOf(bad({ proposal: { ...good.proposal, certificate: { x: 1, y: [] } } })),
    /certificate.x/,
  );
  assert.match(reasonOf(bad({ proposal: { ...good.proposal, round: 2 } })), /differs/);
  assert.match(reasonOf(bad({ kind: "decision" })), /from is not a u32/);
});

// ---------------------------------------------------------------------------
// Snapshot and resume

Deno.test("a delegate resumed from its last snapshot decides as it would have, and does not relay twice", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(10);
  let last: DelegateSnapshot | undefined;
  const keep = (fx: DelegateEffect[]) => {
    for (const e of fx) if (e.kind === "persist") last = e.snapshot;
    return fx;
  };
  keep(stepDelegate(env, s, { kind: "roundStart", round: 1 }));
  keep(stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8]) }));
  assert.equal(last?.received.length, 1);
  const resumed = initDelegate(cfg(10), structuredClone(last));
  assert.deepEqual(
    sends(stepDelegate(env, resumed, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8, 9]) })),
    [],
  );
  const fx = stepDelegate(env, resumed, { kind: "roundEnd", round: 1 });
  assert.equal(ofKind(fx, "commit")[0].digest, env.digest(book.optimal.certificate));
  // A snapshot with a blacklist resumes with the next leader.
  const r2 = initDelegate(cfg(9), { id: 9, round: 1, blacklist: [8], received: [] });
  assert.equal(ofKind(stepDelegate(env, r2, { kind: "roundStart", round: 2 }), "solve").length, 1);
});

// ---------------------------------------------------------------------------
// Normal node

Deno.test("a normal node accepts once more than half of all delegates sent the same digest", async () => {
  const { env, book } = await consensusFixture();
  const n = initNormal({ id: 6, delegates: DELEGATES });
  const p = proposalOf(book, "optimal", 2, 9);
  const decide = (from: NodeId, proposal = p) =>
    stepNormal(env, n, { kind: "receive", msg: { kind: "decision", round: 2, from, to: 6, proposal } });
  assert.deepEqual(decide(9).map((e) => e.kind), ["decisionReceived"]);
  assert.deepEqual(decide(10).map((e) => e.kind), ["decisionReceived"]);
  assert.match((decide(10)[0] as { reason: string }).reason, /second decision from 10/);
  const tampered = { ...p, certificate: env.tamper(p.certificate) };
  assert.deepEqual(
    decide(11, tampered).map((e) => e.kind),
    ["decisionReceived"],
    "a different digest counts apart",
  );
  const third = decide(12);
  assert.deepEqual(third.map((e) => e.kind), ["decisionReceived", "accept"]);
  const accept = third[1] as Extract<typeof third[number], { kind: "accept" }>;
  assert.deepEqual([accept.round, accept.leader, accept.supporters], [2, 9, [9, 10, 12]]);
  assert.equal(accept.digest, env.digest(p.certificate));
  assert.deepEqual(decide(8).map((e) => e.kind), ["decisionReceived"], "accepts once");
  assert.match((decide(13)[0] as { reason: string }).reason, /not a delegate/);
});

Deno.test("a normal node counts a block as round, leader and dispatch: the same x from another round is apart", async () => {
  const { env, book } = await consensusFixture();
  const n = initNormal({ id: 6, delegates: DELEGATES });
  const decide = (from: NodeId, round: number, leader: NodeId) =>
    stepNormal(env, n, {
      kind: "receive",
      msg: { kind: "decision", round, from, to: 6, proposal: proposalOf(book, "optimal", round, leader) },
    });
  // An equivocating leader C commits its own copy in round 1; D, E, F commit D's identical x in round 2.
  decide(8, 1, 8);
  decide(9, 2, 9);
  decide(10, 2, 9);
  const fx = decide(11, 2, 9);
  const accept = fx.find((e) => e.kind === "accept");
  assert.ok(accept && accept.kind === "accept", "three of five for round 2 is a majority");
  assert.deepEqual([accept.round, accept.leader, accept.supporters], [2, 9, [9, 10, 11]]);
});

Deno.test("a normal node that verifies certificates drops decisions that fail", async () => {
  const { env, book } = await consensusFixture();
  const n = initNormal({ id: 6, delegates: DELEGATES, verifyCertificates: true });
  const p = proposalOf(book, "optimal", 1, 8);
  const fx = stepNormal(env, n, {
    kind: "receive",
    msg: {
      kind: "decision",
      round: 1,
      from: 11,
      to: 6,
      proposal: { ...p, certificate: env.tamper(p.certificate) },
    },
  });
  assert.deepEqual(fx.map((e) => e.kind), ["drop"]);
  assert.match((fx[0] as { reason: string }).reason, /infeasible/);
  assert.equal(n.votes.size, 0, "the failed decision does not use up the delegate's vote");
});

// ---------------------------------------------------------------------------
// Behaviour layers, each in isolation around the honest machine

/** Runs a leader's round start and solve through `step`; returns the solve effect and the proposal sends. */
async function lead(step: DelegateStep, id = 8) {
  const { env, book } = await consensusFixture();
  const s = initDelegate(cfg(id));
  const [solve] = ofKind(step(env, s, { kind: "roundStart", round: 1 }), "solve");
  const proposals = Object.fromEntries(solve.variants.map((v) => [v, proposalOf(book, v, 1, id)]));
  const fx = step(env, s, { kind: "solved", round: 1, proposals });
  const variantTo = Object.fromEntries(sends(fx).map((e) => [e.msg.to, e.msg.proposal.certificate.variant]));
  return { solve, fx, variantTo };
}

Deno.test("follower_ignore: the leader sends nothing to the listed delegates", async () => {
  const { variantTo } = await lead(followerIgnore(8, [9, 10, 12])(stepDelegate));
  assert.deepEqual(variantTo, { 8: "optimal", 11: "optimal" });
});

Deno.test("follower_error / follower_feasible / equivocate: the listed delegates get the other variant", async () => {
  for (
    const [variant, ids] of [["selfish", [8, 11]], ["feasible", [9]], ["alternative", [10, 12]]] as const
  ) {
    const { solve, variantTo } = await lead(leaderSends(8, [...ids], variant)(stepDelegate));
    assert.deepEqual(solve.variants, ["optimal", variant]);
    for (const to of DELEGATES) {
      assert.equal(
        variantTo[to],
        (ids as readonly number[]).includes(to) ? variant : "optimal",
        `${variant} to ${to}`,
      );
    }
  }
  // Composed as in Scenario I: C ignores D, E, G and sends the selfish dispatch to F and itself.
  const { variantTo } = await lead(
    withMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, 8, stepDelegate),
  );
  assert.deepEqual(variantTo, { 8: "selfish", 11: "selfish" });
});

Deno.test("follower_collusion: a proposal straight from a listed leader is taken unchecked and relayed", async () => {
  const { env, book } = await consensusFixture();
  let calls = 0;
  const counting: Verifier = { ...env, verify: (c) => (calls++, env.verify(c)) };
  const step = followerCollusion([8])(stepDelegate);
  const s = initDelegate(cfg(11));
  step(counting, s, { kind: "roundStart", round: 1 });
  const fx = step(counting, s, { kind: "receive", msg: proposalMsg(book, "selfish", 1, 11, [8]) });
  assert.equal(calls, 0, "verify was not called");
  assert.deepEqual(ofKind(fx, "received").map((e) => [e.verdict, e.unchecked]), [["accepted", true]]);
  assert.deepEqual(sentTo(fx), [9, 10, 12]);
  // Relayed copies are still checked.
  const relayed = step(counting, s, { kind: "receive", msg: proposalMsg(book, "feasible", 1, 11, [8, 9]) });
  assert.equal(calls, 1);
  assert.equal(ofKind(relayed, "received")[0].verdict, "suboptimal");
  assert.equal(ofKind(step(counting, s, { kind: "roundEnd", round: 1 }), "commit").length, 1);
});

/** A follower (10) receiving the optimum from leader 8 through `step`, and committing it. */
async function follow(step: DelegateStep) {
  const { env, book } = await consensusFixture();
  const s = initDelegate(cfg(10));
  step(env, s, { kind: "roundStart", round: 1 });
  const relay = sends(step(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8]) }));
  const decide = sends(step(env, s, { kind: "roundEnd", round: 1 }));
  return { env, book, relay, decide };
}

Deno.test("follower_trick_ignore: no relays to the listed delegates", async () => {
  const { relay } = await follow(followerTrickIgnore([9, 12])(stepDelegate));
  assert.deepEqual(relay.map((e) => e.msg.to), [11]);
});

Deno.test("follower_trick_error: relays and decisions to the listed ids carry a tampered certificate", async () => {
  const { env, book, relay, decide } = await follow(followerTrickError([9, 6])(stepDelegate));
  const verdictTo = (fx: Send[]) =>
    Object.fromEntries(fx.map((e) => [e.msg.to, env.verify(e.msg.proposal.certificate).verdict]));
  assert.deepEqual(verdictTo(relay), { 9: "infeasible", 11: "accepted", 12: "accepted" });
  const decisions = verdictTo(decide);
  assert.deepEqual([decisions[6], decisions[9]], ["infeasible", "infeasible"]);
  for (const n of [7, 8, 10, 11, 12]) assert.equal(decisions[n], "accepted", `decision to ${n}`);
  assert.equal(book.optimal.certificate.variant, "optimal", "the book's certificate is untouched");
});

Deno.test("delay_ms: relays and decisions are held back, the leader's own proposals are not", async () => {
  const { relay, decide } = await follow(delayRelays(250)(stepDelegate));
  for (const e of [...relay, ...decide]) assert.equal(e.delayMs, 250);
  const { fx } = await lead(delayRelays(250)(stepDelegate));
  for (const e of sends(fx)) assert.equal(e.delayMs, undefined);
});

Deno.test("crash_at_round: only a crash on that round's start, and never after a restart", async () => {
  const { env } = await consensusFixture();
  const s = initDelegate(cfg(9));
  const step = crashAtRound(2)(stepDelegate);
  assert.equal(ofKind(step(env, s, { kind: "roundStart", round: 1 }), "crash").length, 0);
  assert.deepEqual(step(env, s, { kind: "roundStart", round: 2 }), [{ kind: "crash", round: 2 }]);
  assert.equal(s.round, 1, "the honest step did not run");
  const restarted = withMisbehaviour({ crash_at_round: 2 }, 9, stepDelegate, { alreadyCrashed: true });
  const fx = restarted(env, s, { kind: "roundStart", round: 2 });
  assert.equal(ofKind(fx, "crash").length, 0);
  assert.equal(s.round, 2);
});

Deno.test("block height: a delegate of block 2 drops a replayed proposal of block 1", async () => {
  const { env, book } = await consensusFixture();
  const s = initDelegate({ id: 10, delegates: [8, 9, 10], normals: [], height: 2 });
  stepDelegate(env, s, { kind: "roundStart", round: 1 });
  const old = proposalMsg(book, "optimal", 1, 10, [8]);
  assert.deepEqual(drops(stepDelegate(env, s, { kind: "receive", msg: old })), [
    "replay: a proposal for block 1 (this is block 2)",
  ]);
  const current = { ...old, proposal: { ...old.proposal, height: 2 } };
  assert.equal(drops(stepDelegate(env, s, { kind: "receive", msg: current })).length, 0);
});

Deno.test("strict mode: phase k needs k signers; what is taken in phase f+1 is not relayed", async () => {
  const { env, book } = await consensusFixture();
  // Five delegates: f = 2, phases 1..3.
  const config = { id: 10, delegates: [8, 9, 10, 11, 12], normals: [], protocol: "strict" as const };
  const s = initDelegate(config);
  stepDelegate(env, s, { kind: "roundStart", round: 1 });
  stepDelegate(env, s, { kind: "phase", round: 1, phase: 2 });
  const direct = proposalMsg(book, "optimal", 1, 10, [8]);
  assert.deepEqual(drops(stepDelegate(env, s, { kind: "receive", msg: direct })), [
    "late: phase 2 needs 2 signatures, this copy has 1",
  ]);
  const relayed = stepDelegate(env, s, { kind: "receive", msg: proposalMsg(book, "optimal", 1, 10, [8, 9]) });
  const relays = relayed.filter((e) => e.kind === "send");
  assert.deepEqual(relays.map((e) => e.kind === "send" && e.msg.to).sort(), [11, 12], "relayed in phase 2");

  const t = initDelegate(config);
  stepDelegate(env, t, { kind: "roundStart", round: 1 });
  stepDelegate(env, t, { kind: "phase", round: 1, phase: 3 });
  const last = stepDelegate(env, t, {
    kind: "receive",
    msg: proposalMsg(book, "optimal", 1, 10, [8, 9, 11]),
  });
  assert.equal(last.filter((e) => e.kind === "send").length, 0, "no relay in the last phase");
  const end = stepDelegate(env, t, { kind: "roundEnd", round: 1 });
  assert.ok(end.some((e) => e.kind === "commit"), "but it still counts");
  // The paper rules take any copy until the timeout.
  const paper = initDelegate({ ...config, protocol: "paper" });
  stepDelegate(env, paper, { kind: "roundStart", round: 1 });
  stepDelegate(env, paper, { kind: "phase", round: 1, phase: 3 });
  assert.equal(drops(stepDelegate(env, paper, { kind: "receive", msg: direct })).length, 0);
});

// ---------------------------------------------------------------------------
// Whole-proposal identity, claimed costs and delegates-only relaying (issue 9)

/** The optimum of round `round` with another claimed cost (`+dUsd`) and another variant label. */
function restated(book: Parameters<typeof proposalOf>[0], round: number, leader: NodeId, dUsd: number) {
  const p = proposalOf(book, "optimal", round, leader);
  return {
    ...p,
    claimedCostUsd: p.claimedCostUsd + dUsd,
    certificate: { ...p.certificate, variant: "optimal (restated)" },
  };
}

Deno.test("defect 3: the same x with another claimed cost and label is a second proposal: evidence and blacklist", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(12);
  const first = proposalMsg(book, "optimal", 1, 12, [8]);
  // Both copies carry a (shell-verified) leader signature; the second comes relayed by E.
  stepDelegate(env, s, { kind: "receive", msg: { ...first, sigs: ["sig-a"] } });
  const second = { ...first, path: [8, 10], sigs: ["sig-b", "sig-e"], proposal: restated(book, 1, 8, 0.005) };
  const fx = stepDelegate(env, s, { kind: "receive", msg: second });
  assert.equal(ofKind(fx, "received")[0].verdict, "accepted", "the claim is within the tolerance");
  assert.equal(
    ofKind(fx, "received")[0].digest,
    env.digest(book.optimal.certificate),
    "the trace's digest is x's",
  );
  const [evidence] = ofKind(fx, "evidence").map((e) => e.evidence);
  assert.ok(evidence, "two signed proposals with one x are evidence");
  assert.deepEqual(
    [evidence.a.proposal, evidence.b.proposal],
    [proposalDigest(first.proposal), proposalDigest(second.proposal)],
  );
  assert.equal(sends(fx).length, 2, "the second proposal is relayed too (to D and F)");
  const end = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  assert.deepEqual(ofKind(end, "commit"), []);
  assert.deepEqual(ofKind(end, "blacklist").map((e) => e.reason), ["equivocation"]);
});

Deno.test("defect 3: a claimed cost off by more than the tolerance is rejected, saying by how much", async () => {
  const { env, book } = await consensusFixture();
  const { s } = started(11);
  const msg = proposalMsg(book, "optimal", 1, 11, [8]);
  const lie = { ...msg, proposal: { ...msg.proposal, claimedCostUsd: 1 } };
  const fx = stepDelegate(env, s, { kind: "receive", msg: lie });
  const [rec] = ofKind(fx, "received");
  assert.equal(rec.verdict, "misclaimed");
  assert.match(
    rec.reason ?? "",
    /^misclaimed: claims \$1\.00 per day, the true cost is \$743\.91: off by \$742\.91 \(tolerance \$0\.01\)$/,
  );
  assert.deepEqual(sends(fx), [], "not relayed");
  // Just outside the tolerance is rejected too; NaN and infinite claims never get past the parser.
  const justOut = {
    ...msg,
    proposal: { ...msg.proposal, claimedCostUsd: msg.proposal.claimedCostUsd + 0.011 },
  };
  assert.equal(
    ofKind(stepDelegate(env, s, { kind: "receive", msg: justOut }), "received")[0].verdict,
    "misclaimed",
  );
  for (const claimedCostUsd of [NaN, Infinity]) {
    const bad = { ...msg, proposal: { ...msg.proposal, claimedCostUsd } };
    assert.match(
      drops(stepDelegate(env, s, { kind: "receive", msg: bad }))[0],
      /claimedCostUsd is not a finite/,
    );
  }
  const end = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
  assert.deepEqual(ofKind(end, "blacklist").map((e) => e.reason), ["no valid proposal"]);
});

Deno.test("defect 3: normal nodes count decisions by proposal, so a quorum never mixes two proposals", async () => {
  const { env, book } = await consensusFixture();
  const n = initNormal({ id: 6, delegates: DELEGATES });
  const p = proposalOf(book, "optimal", 1, 8), q = restated(book, 1, 8, 0.005);
  const decide = (from: NodeId, proposal: Proposal) =>
    stepNormal(env, n, {
      kind: "receive",
      msg: { kind: "decision", round: 1, from, to: 6, proposal, sig: `s${from}` },
    });
  decide(9, p);
  decide(10, p);
  const third = decide(11, q);
  assert.deepEqual(third.map((e) => e.kind), ["decisionReceived"], "2 + 1 is no majority of 5");
  const fourth = decide(12, p);
  const accept = fourth.find((e) => e.kind === "accept");
  assert.ok(accept?.kind === "accept");
  assert.deepEqual(accept.supporters, [9, 10, 12]);
  assert.deepEqual(accept.signatures.map((x) => x.id), [9, 10, 12], "only signatures over p");
  assert.equal(accept.proposalDigest, proposalDigest(p));
  assert.equal(
    accept.digest,
    env.digest(p.certificate),
    "the dispatch digest, for the ledger's dispatch field",
  );
  // A normal node that verifies drops a decision whose claim is off, saying by how much.
  const v = initNormal({ id: 6, delegates: DELEGATES, verifyCertificates: true, names: { 11: "F" } });
  const fx = stepNormal(env, v, {
    kind: "receive",
    msg: { kind: "decision", round: 1, from: 11, to: 6, proposal: { ...p, claimedCostUsd: 1 } },
  });
  assert.match(
    (fx[0] as { reason: string }).reason,
    /^decision from F is misclaimed: claims \$1\.00 .* off by \$742\.91/,
  );
});

Deno.test("defect 4: a copy relayed by a node that is not a delegate is dropped, naming it (strict and paper)", async () => {
  const { env, book } = await consensusFixture();
  // Three delegates C, D, E (f = 1, phases 1 and 2) and normal-only A (6): C's proposal relayed by A.
  const names = { 6: "A", 8: "C", 9: "D", 10: "E" };
  for (const protocol of ["strict", "paper"] as const) {
    const s = initDelegate({ id: 9, names, delegates: [8, 9, 10], normals: [6, 8, 9, 10], protocol });
    stepDelegate(env, s, { kind: "roundStart", round: 1 });
    stepDelegate(env, s, { kind: "phase", round: 1, phase: 2 });
    const viaA = proposalMsg(book, "optimal", 1, 9, [8, 6]);
    assert.deepEqual(drops(stepDelegate(env, s, { kind: "receive", msg: viaA })), [
      "relayed through A, which is not a delegate (only delegates relay)",
    ], protocol);
    const end = stepDelegate(env, s, { kind: "roundEnd", round: 1 });
    assert.deepEqual(ofKind(end, "commit"), [], `${protocol}: A's signature does not count`);
    assert.deepEqual(ofKind(end, "blacklist").map((e) => e.reason), ["no valid proposal"], protocol);
  }
});

Deno.test("parseMessage with the problem's shape refuses other sizes without reading an entry", async () => {
  const { book } = await consensusFixture();
  const shape = { x: book.optimal.certificate.x.length, y: book.optimal.certificate.y.length };
  const good = proposalMsg(book, "optimal", 1, 10, [8]);
  assert.equal(parseMessage(good, shape).ok, true);
  let reads = 0;
  const huge = new Proxy(new Array(60_000_000), {
    get: (t, k) => (typeof k === "string" && /^\d+$/.test(k) && reads++, Reflect.get(t, k)),
  });
  const forged = {
    ...good,
    proposal: { ...good.proposal, certificate: { ...good.proposal.certificate, x: huge } },
  };
  assert.deepEqual(parseMessage(forged, shape), {
    ok: false,
    reason: "proposal.certificate.x has 60000000 entries, the problem has 13800",
    size: true,
  });
  assert.match(
    (parseMessage(forged) as { reason: string }).reason,
    /x has 60000000 entries \(at most 1048576\)/,
  );
  assert.equal(reads, 0, "no entry of x was read");
  const shortY = {
    ...good,
    proposal: { ...good.proposal, certificate: { ...good.proposal.certificate, y: [1] } },
  };
  assert.match(
    (parseMessage(shortY, shape) as { reason: string }).reason,
    /y has 1 entries, the problem has 6456/,
  );
  const label = { ...good.proposal.certificate, variant: "v".repeat(10_000) };
  assert.match(
    (parseMessage({ ...good, proposal: { ...good.proposal, certificate: label } }) as { reason: string })
      .reason,
    /variant has 10000 characters \(at most 128\)/,
  );
});

Deno.test("equivocate_metadata: the listed delegates get the same x with another claim and label", async () => {
  const { env, book } = await consensusFixture();
  const { fx } = await lead(equivocateMetadata(8, [11, 12])(stepDelegate));
  const byTo = Object.fromEntries(sends(fx).map((e) => [e.msg.to, e.msg.proposal]));
  const honest = proposalOf(book, "optimal", 1, 8);
  for (const to of [8, 9, 10]) assert.deepEqual(byTo[to], honest);
  for (const to of [11, 12]) {
    const p = byTo[to];
    assert.equal(p.certificate.x, honest.certificate.x, "the very same x");
    assert.equal(p.certificate.variant, "optimal (restated)");
    assert.equal(p.claimedCostUsd, honest.claimedCostUsd + METADATA_CLAIM_OFFSET_USD);
    assert.ok(METADATA_CLAIM_OFFSET_USD < CLAIM_TOLERANCE_USD, "within the tolerance");
    assert.equal(claimProblem(env, p), undefined);
    assert.notEqual(proposalDigest(p), proposalDigest(honest));
  }
  assert.equal(byTo[11].certificate, byTo[12].certificate, "one restated certificate object per original");
});

Deno.test("oversize: proposals to the listed delegates carry an x 64 times the problem's", async () => {
  const { book } = await consensusFixture();
  const { fx } = await lead(oversize([9])(stepDelegate));
  const n = book.optimal.certificate.x.length;
  for (const e of sends(fx)) {
    assert.equal(
      e.msg.proposal.certificate.x.length,
      e.msg.to === 9 ? OVERSIZE_FACTOR * n : n,
      `to ${e.msg.to}`,
    );
  }
});

Deno.test("junk: every other delegate and normal node gets payloads that every machine drops", async () => {
  const { env } = await consensusFixture();
  const s = initDelegate(cfg(10));
  const fx = junk(10)(stepDelegate)(env, s, { kind: "roundStart", round: 1 });
  const to = new Set(sends(fx).map((e) => e.msg.to));
  assert.deepEqual([...to].sort((a, b) => a - b), [6, 7, 8, 9, 11, 12]);
  for (const e of sends(fx)) {
    const d = initDelegate(cfg(9));
    stepDelegate(env, d, { kind: "roundStart", round: 1 });
    const n = initNormal({ id: e.msg.to, delegates: DELEGATES });
    const dropped = [
      ...drops(stepDelegate(env, d, { kind: "receive", msg: { ...e.msg, to: 9 } })),
      ...stepNormal(env, n, { kind: "receive", msg: e.msg }).filter((x) => x.kind === "drop"),
    ];
    assert.ok(dropped.length >= 1, JSON.stringify(e.msg).slice(0, 200));
  }
});

Deno.test("impersonate: relays go out as relayed on by the listed ids, decisions in their name", async () => {
  const { relay, decide } = await follow(impersonate(10, [6, 9])(stepDelegate));
  // Relays of [8] to 9, 11, 12 become [8, 10, 6] and [8, 10, 9] (never to 9 in 9's own name).
  assert.deepEqual(
    relay.map((e) => `${e.msg.to}:${(e.msg as { path: NodeId[] }).path.join(",")}`).sort(),
    ["11:8,10,6", "11:8,10,9", "12:8,10,6", "12:8,10,9", "9:8,10,6"],
  );
  const froms = new Set(decide.map((e) => (e.msg as DecisionMessage).from));
  assert.deepEqual([...froms].sort(), [6, 9]);
});
