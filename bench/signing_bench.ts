/**
 * `deno task bench:signing`: what signatures cost per message on the UoM case.
 *
 * Prints the median time (µs) of: one Ed25519 sign and one verify through
 * WebCrypto (of a statement, ~200 bytes); hashing a whole proposal (SHA-256
 * of its certificate, 13,800 + 6,456 Float64); and the shell's work per
 * proposal message: sealing a leader's proposal and checking a relayed copy
 * with two signatures, each on a fresh copy as a Worker receives it (so the
 * proposal hash is not memoised and every statement is new).
 */
import { Authenticator } from "../actors/auth.ts";
import { seedKeyPair, sign, verifySignature } from "../actors/keys.ts";
import { leaderStatement, proposalDigest } from "../consensus/signing.ts";
import type { Proposal, ProposalMessage } from "../consensus/types.ts";
import { loadUomCase } from "../problems/ies-dispatch/case.ts";
import { buildDispatchModel } from "../problems/ies-dispatch/dispatch.ts";
import { solveVariant } from "../problems/ies-dispatch/variants.ts";

const RUNS = Number(Deno.args[0] ?? 200);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`usage: deno task bench:signing [runs]   (runs: a whole number >= 1, got ${Deno.args[0]})`);
  Deno.exit(2);
}
const US_PER_MS = 1000;

async function median(f: (k: number) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t0 = performance.now();
    await f(k);
    times.push((performance.now() - t0) * US_PER_MS);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const model = buildDispatchModel(await loadUomCase());
const { certificate, cost } = await solveVariant(model, "optimal");
const C = 8, D = 9, E = 10;
const pairs = await Promise.all([C, D, E].map((id) => seedKeyPair(1, id)));
const publicKeys = Object.fromEntries(pairs.map((p) => [p.id, p.publicKey]));
const context = { chain: "sha256:bench", publicKeys };
const auth = (id: number) => new Authenticator(context, new Map([[id, pairs.find((p) => p.id === id)!]]));
/** A fresh copy of the proposal of round `k` (as structured clone gives a Worker). */
const proposal = (k: number): Proposal =>
  structuredClone({ height: 1, round: k + 1, leader: C, certificate, claimedCostUsd: cost.total });

const statement = (k: number) => leaderStatement("sha256:bench", 1, k + 1, C, "sha256:" + "0".repeat(64));
const sigs = await Promise.all(Array.from({ length: RUNS }, (_, k) => sign(pairs[0], statement(k))));
const signUs = await median((k) => sign(pairs[0], statement(k + RUNS)));
const verifyUs = await median((k) => verifySignature(pairs[0].publicKey, statement(k), sigs[k]));
const fresh = () => Array.from({ length: RUNS }, (_, k) => proposal(k));
const toHash = fresh(), toSeal = fresh(), copies = fresh();
const hashUs = await median((k) => proposalDigest(toHash[k]));
const leader = auth(C), relayer = auth(D), receiver = auth(E);
const relays: ProposalMessage[] = [];
for (let k = 0; k < RUNS; k++) {
  const own = await leader.seal({
    kind: "proposal",
    round: k + 1,
    to: D,
    path: [C],
    sigs: [],
    proposal: copies[k],
  });
  relays.push(
    structuredClone(
      await relayer.seal({ ...own as ProposalMessage, to: E, path: [C, D] }),
    ) as ProposalMessage,
  );
}
const sealUs = await median((k) =>
  leader.seal({ kind: "proposal", round: k + 1, to: D, path: [C], sigs: [], proposal: toSeal[k] })
);
const checkUs = await median((k) => receiver.check(relays[k]));

console.log(`signatures on the UoM case, median of ${RUNS} (µs):`);
console.log(`  Ed25519 sign (WebCrypto)            ${signUs.toFixed(0).padStart(6)}`);
console.log(`  Ed25519 verify (WebCrypto)          ${verifyUs.toFixed(0).padStart(6)}`);
console.log(`  proposal digest (SHA-256, 162 kB)   ${hashUs.toFixed(0).padStart(6)}`);
console.log(`  seal a leader's proposal            ${sealUs.toFixed(0).padStart(6)}   (digest + sign)`);
console.log(`  check a relayed copy (2 signatures) ${checkUs.toFixed(0).padStart(6)}   (digest + 2 verify)`);
