/**
 * Signatures (Ed25519 through WebCrypto): keys from a seed or a key
 * directory, what a signature binds, attribution of forged and tampered
 * messages, replays, and equivocation evidence.
 */
import assert from "node:assert/strict";
import { Authenticator } from "../actors/auth.ts";
import {
  ensureKeyDir,
  fromBase64Url,
  KeyError,
  publicKeysOf,
  readKeyPair,
  seedKeyPair,
  sign,
  toBase64Url,
  verifySignature,
} from "../actors/keys.ts";
import { simulate } from "../actors/simulator.ts";
import { FORGED_SIGNATURE } from "../consensus/behaviours.ts";
import { dispatchDigest, float64Bytes, float64BytesToHash } from "../consensus/digest.ts";
import { certificateDigest, leaderStatement, proposalDigest } from "../consensus/signing.ts";
import type { DecisionMessage, NodeId, ProposalMessage } from "../consensus/types.ts";
import { consensusFixture, proposalMsg, proposalOf, SCENARIO_I } from "./consensus_fixture.ts";
import { tmpDir } from "./helpers.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const C = 8, D = 9, E = 10, F = 11, G = 12;
const NAMES = { 6: "A", 7: "B", 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
const CHAIN = "sha256:test-chain";

/** One authenticator per participant, each holding only its own key (as in the Workers). */
async function participants(seed = 5): Promise<Record<NodeId, Authenticator>> {
  const ids = Object.keys(NAMES).map(Number);
  const pairs = await Promise.all(ids.map((id) => seedKeyPair(seed, id)));
  const publicKeys = Object.fromEntries(pairs.map((p) => [p.id, p.publicKey]));
  return Object.fromEntries(
    pairs.map((
      p,
    ) => [p.id, new Authenticator({ chain: CHAIN, publicKeys, names: NAMES }, new Map([[p.id, p]]))]),
  );
}

Deno.test("seed keys are deterministic per (seed, id); signatures verify only for their key and bytes", async () => {
  const a = await seedKeyPair(7, C), again = await seedKeyPair(7, C), other = await seedKeyPair(7, D);
  assert.equal(a.publicKey, again.publicKey);
  assert.notEqual(a.publicKey, other.publicKey);
  assert.notEqual(a.publicKey, (await seedKeyPair(8, C)).publicKey);
  const sig = await sign(a, encode("block 1"));
  assert.equal(fromBase64Url(sig)?.length, 64);
  assert.ok(await verifySignature(a.publicKey, encode("block 1"), sig));
  assert.ok(!await verifySignature(a.publicKey, encode("block 2"), sig), "other bytes");
  assert.ok(!await verifySignature(other.publicKey, encode("block 1"), sig), "other key");
  const flipped = fromBase64Url(sig)!;
  flipped[10] ^= 1;
  assert.ok(!await verifySignature(a.publicKey, encode("block 1"), toBase64Url(flipped)), "a flipped bit");
  for (const junk of ["", "!!", FORGED_SIGNATURE, "A".repeat(200)]) {
    assert.ok(!await verifySignature(a.publicKey, encode("block 1"), junk), junk);
  }
  assert.ok(!await verifySignature("not-a-key", encode("block 1"), sig));
});

Deno.test("a key directory is created on first use (private keys 0600) and read back unchanged", async () => {
  const dir = `${await tmpDir("keys")}/keys`;
  const people = [{ id: C, name: "C" }, { id: D, name: "D" }];
  const first = await ensureKeyDir(dir, people);
  assert.deepEqual(first.created, ["C", "D"]);
  if (Deno.build.os !== "windows") assert.equal((await Deno.stat(`${dir}/C.key`)).mode! & 0o777, 0o600);
  const second = await ensureKeyDir(dir, people);
  assert.deepEqual(second.created, []);
  assert.deepEqual(second.publicKeys, first.publicKeys);
  assert.deepEqual(await publicKeysOf({ kind: "dir", dir }, people), first.publicKeys);
  const pair = await readKeyPair(dir, C, "C");
  assert.equal(pair.publicKey, first.publicKeys[C]);
  // The private key is not extractable as text anywhere a log could show it.
  assert.ok(!JSON.stringify(pair).includes((await Deno.readTextFile(`${dir}/C.key`)).trim()));
  // A .pub that does not match its .key, and a broken .key, are named.
  await Deno.writeTextFile(`${dir}/D.pub`, first.publicKeys[C] + "\n");
  await assert.rejects(
    () => ensureKeyDir(dir, people),
    (e) => e instanceof KeyError && /D\.pub/.test(e.message),
  );
  await Deno.writeTextFile(`${dir}/C.key`, "not a key\n");
  await assert.rejects(
    () => readKeyPair(dir, C, "C"),
    /C\.key: is not a base64url PKCS#8 Ed25519 private key/,
  );
  await assert.rejects(() => readKeyPair(dir, E, "E"), /E\.key: no such key file/);
});

Deno.test("a signed proposal and its relay chain verify; every field is bound", async () => {
  const { book } = await consensusFixture();
  const who = await participants();
  const leaderCopy = await who[D].seal(proposalMsg(book, "optimal", 1, E, [D]));
  assert.equal((leaderCopy as ProposalMessage).sigs?.length, 1);
  assert.deepEqual(await who[E].check(leaderCopy), { ok: true });
  // E relays it (the machine copies the signatures and extends the path; E's shell signs).
  const relay = await who[E].seal({ ...(leaderCopy as ProposalMessage), to: G, path: [D, E] });
  assert.equal((relay as ProposalMessage).sigs?.length, 2);
  assert.deepEqual(await who[G].check(relay), { ok: true });
  // A shell never signs for someone else: F cannot sign a copy whose last hop is E.
  const notMine = await who[F].seal({ ...(leaderCopy as ProposalMessage), path: [D, E] });
  assert.equal((notMine as ProposalMessage).sigs?.length, 1);
  // Changing the round, the height or the claimed cost breaks the leader's signature.
  const p = (leaderCopy as ProposalMessage).proposal;
  for (
    const changed of [
      { ...p, round: 2 },
      { ...p, height: 2 },
      { ...p, claimedCostUsd: p.claimedCostUsd - 1 },
      { ...p, certificate: { ...p.certificate, y: Array.from(p.certificate.y, (v) => -v) } },
    ]
  ) {
    const msg = { ...(leaderCopy as ProposalMessage), round: changed.round, proposal: changed };
    const r = await who[E].check(msg);
    assert.ok(!r.ok && r.signer === D && r.blame === undefined, JSON.stringify(r));
  }
  // Another chain: the same bytes do not verify.
  const elsewhere = new Authenticator({ ...who[E].context, chain: "sha256:other" });
  assert.equal((await elsewhere.check(leaderCopy)).ok, false);
});

Deno.test("a tampered relay is blamed on the relayer that signed it, not on the leader", async () => {
  const { book, env } = await consensusFixture();
  const who = await participants();
  const leaderCopy = await who[C].seal(proposalMsg(book, "optimal", 1, F, [C])) as ProposalMessage;
  // F relays a tampered certificate (follower_trick_error) and signs what it relays.
  const tampered = { ...leaderCopy.proposal, certificate: env.tamper(leaderCopy.proposal.certificate) };
  const bad = await who[F].seal({ ...leaderCopy, to: D, path: [C, F], proposal: tampered });
  const r = await who[D].check(bad);
  assert.ok(!r.ok);
  assert.deepEqual([r.signer, r.blame], [C, F]);
  assert.match(
    r.reason,
    /^signature of C \(leader\) does not verify; F signed this copy, so F changed or forged it$/,
  );
  // G relays F's bad copy on (a colluder): the first valid signature after the bad one is still F's.
  const onward = await who[G].seal({ ...(bad as ProposalMessage), to: E, path: [C, F, G] });
  const r2 = await who[E].check(onward);
  assert.ok(!r2.ok && r2.blame === F, JSON.stringify(r2));
  // A message whose sender's own signature fails blames nobody: anyone could have sent it.
  const unsigned = {
    ...(bad as ProposalMessage),
    sigs: [(bad as ProposalMessage).sigs![0], FORGED_SIGNATURE],
  };
  const r3 = await who[D].check(unsigned);
  assert.ok(!r3.ok && r3.signer === C && r3.blame === undefined, JSON.stringify(r3));
  assert.match(r3.reason, /signature of C \(leader\) does not verify; sender F unauthenticated/);
});

Deno.test("a tampered decision is blamed on the delegate that signed it; a forged one on nobody", async () => {
  const { book, env } = await consensusFixture();
  const who = await participants();
  const leaderCopy = await who[C].seal(proposalMsg(book, "optimal", 1, F, [C])) as ProposalMessage;
  const decision: DecisionMessage = {
    kind: "decision",
    round: 1,
    from: F,
    to: 6,
    proposal: leaderCopy.proposal,
    leaderSig: leaderCopy.sigs![0],
  };
  assert.deepEqual(await who[6].check(await who[F].seal(decision)), { ok: true });
  const tampered = {
    ...decision,
    proposal: { ...decision.proposal, certificate: env.tamper(decision.proposal.certificate) },
  };
  const r = await who[6].check(await who[F].seal(tampered));
  assert.ok(!r.ok && r.signer === C && r.blame === F, JSON.stringify(r));
  assert.match(r.reason, /leader C never signed this proposal; F signed the decision/);
  const forged = await who[6].check({ ...decision, sig: FORGED_SIGNATURE });
  assert.ok(!forged.ok && forged.signer === F && forged.blame === undefined);
});

Deno.test("forge_leader: signatures keep an honest leader from being framed as an equivocator", async () => {
  const { env, book } = await consensusFixture();
  // Everyone honest but F, which sends E and G another valid optimum "from C", the honest leader.
  const participants = SCENARIO_I.map((p) => ({
    id: p.id,
    name: p.name,
    delegate: p.delegate,
    normal: p.normal,
    ...(p.id === F ? { misbehaviour: { forge_leader: [E, G] } } : {}),
  }));
  const signed = await simulate(env, book, { participants, seed: 3 });
  const r1 = signed.report.rounds[0];
  assert.equal(r1.leader, "C");
  for (const d of ["C", "D", "E", "F", "G"]) {
    assert.equal(r1.decision[d], "commit", `${d} commits C's optimum`);
  }
  assert.deepEqual(
    (r1.signatureFailures ?? []).map((f) => `${f.to}:${f.signer}:${f.blame}`).sort(),
    ["E:C:F", "G:C:F"],
  );
  assert.deepEqual(signed.report.outcome, { round: 1, leader: "C", costUsd: 744 });
  // The same attack without signatures: E and G see two valid proposals "from C" and blacklist it.
  const unsigned = await simulate(env, book, { participants, seed: 3, keySeed: false });
  const u1 = unsigned.report.rounds[0];
  assert.deepEqual([u1.decision.E, u1.decision.G], ["blacklist", "blacklist"]);
  assert.ok(u1.notes.some((n) => /E saw C equivocate/.test(n)), u1.notes.join("; "));
});

Deno.test("replay_old: messages of earlier rounds come back signed and are dropped as replays", async () => {
  const { env, book } = await consensusFixture();
  // E keeps what it received in round 1 (C's selfish proposal) and replays it, signed, in round 2.
  const participants = SCENARIO_I.map((p) =>
    p.id === C
      ? { ...p, misbehaviour: { follower_error: [C, E, F], follower_ignore: [D, G] } }
      : p.id === E
      ? { ...p, misbehaviour: { replay_old: true } }
      : p
  );
  const { report } = await simulate(env, book, { participants, seed: 4 });
  const replays = report.rounds[1].dropped.filter((d) => /^stale round 1 \(replay\)$/.test(d.reason));
  assert.ok(replays.length >= 3, JSON.stringify(report.rounds[1].dropped));
  assert.equal(report.outcome?.leader, "D");
  assert.equal(report.outcome?.costUsd, 744);
});

Deno.test("equivocation: two signed proposals of one leader become evidence whose signatures verify", async () => {
  const { env, book } = await consensusFixture();
  const participants = SCENARIO_I.map((p) =>
    p.id === C
      ? { ...p, misbehaviour: { equivocate: [E, F] } }
      : p.id === F
      ? { id: F, name: "F", delegate: true, normal: true }
      : p
  );
  const { report } = await simulate(env, book, { participants, seed: 9, chain: CHAIN, keySeed: 5 });
  assert.ok(report.evidence && report.evidence.length >= 1, "evidence recorded");
  const ev = report.evidence![0];
  assert.equal(ev.leader, C);
  assert.notEqual(ev.a.proposal, ev.b.proposal);
  const pub = (await seedKeyPair(5, C)).publicKey;
  for (const side of [ev.a, ev.b]) {
    assert.ok(
      await verifySignature(pub, leaderStatement(CHAIN, ev.height, ev.round, C, side.proposal), side.sig),
    );
  }
  // And one of the two is exactly C's optimum as proposed in round 1.
  const optimal = proposalDigest(proposalOf(book, "optimal", 1, C));
  assert.ok([ev.a.proposal, ev.b.proposal].includes(optimal));
  assert.ok(report.rounds[0].notes.some((n) => /holds evidence: C signed two proposals for round 1/.test(n)));
});

Deno.test("defect 9: a forged proposal with 6e7 entries in x is refused by its size, before anything is hashed", async () => {
  const { book } = await consensusFixture();
  const shape = { x: book.optimal.certificate.x.length, y: book.optimal.certificate.y.length };
  const pairs = await Promise.all([C, D].map((id) => seedKeyPair(5, id)));
  const publicKeys = Object.fromEntries(pairs.map((p) => [p.id, p.publicKey]));
  const context = { chain: CHAIN, publicKeys, names: NAMES, shape };
  const auth = new Authenticator(context);
  // 6e7 entries (480 MB as Float64), held sparse; reading any entry (as hashing would) is counted
  // and stops the reader at once, so code that hashes before checking sizes fails fast here.
  let reads = 0;
  const x = new Proxy(new Array(60_000_000), {
    get: (t, k) => {
      if (typeof k === "string" && /^\d+$/.test(k)) throw new Error(`x[${k}] read (${++reads})`);
      return Reflect.get(t, k);
    },
  });
  const honest = proposalMsg(book, "optimal", 1, D, [C]);
  const certificate = { ...honest.proposal.certificate, x };
  const forged = { ...honest, sigs: [FORGED_SIGNATURE], proposal: { ...honest.proposal, certificate } };
  const t0 = performance.now();
  const r = await auth.check(forged);
  const ms = performance.now() - t0;
  assert.deepEqual(r, {
    ok: false,
    unverified: true,
    signer: C,
    reason: "refused before any signature check: proposal.certificate.x has 60000000 entries, " +
      "the problem has 13800; sender C unauthenticated",
  });
  assert.equal(reads, 0, "no entry of x was read, so nothing was hashed");
  console.log(`a 6e7-entry forged proposal refused in ${(ms * 1000).toFixed(0)} µs`);
  // The right size still goes on to the signature check (and fails it there).
  const wrongSig = await auth.check({ ...honest, sigs: [FORGED_SIGNATURE] });
  assert.ok(
    !wrongSig.ok && !wrongSig.unverified && /signature of C \(leader\) does not verify/.test(wrongSig.reason),
  );
  // Without a shape, the generic bound still refuses it unhashed.
  const generic = await new Authenticator({ ...context, shape: undefined }).check(forged);
  assert.ok(!generic.ok && generic.unverified, JSON.stringify(generic));
  assert.match(generic.reason, /x has 60000000 entries \(at most 1048576\)/);
  assert.equal(reads, 0);
});

Deno.test("seal signs every missing slot it holds a key for, in path order, and nothing else", async () => {
  const { book } = await consensusFixture();
  const pairs = await Promise.all([6, C, D].map((id) => seedKeyPair(5, id)));
  const publicKeys = Object.fromEntries(pairs.map((p) => [p.id, p.publicKey]));
  const context = { chain: CHAIN, publicKeys, names: NAMES };
  const only = (...ids: NodeId[]) =>
    new Authenticator(context, new Map(pairs.filter((p) => ids.includes(p.id)).map((p) => [p.id, p])));
  const viaA = proposalMsg(book, "optimal", 1, D, [C, 6]); // C's proposal "relayed by" normal-only A
  // C alone (a Worker holds only its own key): signs its leader slot, cannot sign A's.
  const alone = await only(C).seal(viaA) as ProposalMessage;
  assert.equal(alone.sigs?.length, 1);
  const r = await only().check(alone);
  assert.ok(!r.ok && r.signer === 6, JSON.stringify(r));
  assert.match(r.reason, /signature of A \(relayer\) is missing; sender A unauthenticated/);
  // C and A colluding (both keys): both slots are signed and the copy verifies; the delegate
  // machine, not the signature check, is what refuses a path through a non-delegate.
  const both = await only(C, 6).seal(viaA) as ProposalMessage;
  assert.equal(both.sigs?.length, 2);
  assert.deepEqual(await only().check(both), { ok: true });
  // Junk goes out as it is.
  const junk = { kind: "proposal", to: D, path: "C" } as unknown as ProposalMessage;
  assert.equal(await only(C).seal(junk), junk);
});

Deno.test("digests hash a Float64Array's own bytes exactly as its little-endian copy: -0, subnormals, infinities, offsets, NaN", () => {
  const special = [
    0,
    -0,
    1,
    -1.5,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    2.2250738585072014e-308,
    Infinity,
    -Infinity,
  ];
  const values = [...special, ...Array.from({ length: 100 }, (_, k) => Math.sin(k) * 10 ** ((k % 40) - 20))];
  // A view that starts inside a larger buffer (byteOffset 16) and stops before its end.
  const backing = new Float64Array(values.length + 3);
  const typed = backing.subarray(2, 2 + values.length);
  typed.set(values);
  const copy = (v: ArrayLike<number>) => {
    const view = new DataView(new ArrayBuffer(8 * v.length));
    for (let k = 0; k < v.length; k++) view.setFloat64(8 * k, v[k], true);
    return new Uint8Array(view.buffer);
  };
  assert.deepEqual(float64BytesToHash(typed), copy(values));
  assert.deepEqual(float64BytesToHash(typed), float64Bytes(values));
  const cert = (x: ArrayLike<number>, y: ArrayLike<number>) => ({
    format: "poso-certificate/1" as const,
    lpId: "sha256:test",
    x,
    y,
  });
  // A certificate of typed arrays and one of plain lists of the same numbers: the same digests.
  assert.equal(dispatchDigest(cert(typed, typed)), dispatchDigest(cert([...values], [...values])));
  assert.equal(certificateDigest(cert(typed, typed)), certificateDigest(cert([...values], [...values])));
  // With a NaN in it, the vector is copied as before (float64Bytes), never hashed in place.
  const withNaN = Float64Array.from(values);
  withNaN[5] = NaN;
  assert.deepEqual(float64BytesToHash(withNaN), float64Bytes(withNaN));
  assert.notEqual(float64BytesToHash(withNaN).buffer, withNaN.buffer);
});
