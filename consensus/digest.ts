/**
 * Identity of a dispatch and the {@link Verifier} a participant builds from
 * its own model: the pure functions the state machines call.
 *
 * Every cache here is a `WeakMap` keyed by the certificate object. That is
 * sound because the functions are pure and certificates are never mutated
 * once made (a shell that wants to change one makes a new object, as
 * {@link Verifier.tamper} does). In the simulator the same few certificate
 * objects travel through thousands of runs, so each is hashed and checked
 * once per process; in the Worker runtime every received message is a fresh
 * clone, so the caches only save repeated work within one actor.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Certificate } from "../lp/certificate.ts";
import type { Proposal, Verifier } from "./types.ts";

const digests = new WeakMap<object, string>();

/**
 * SHA-256 of a dispatch's x as little-endian Float64 bytes, `sha256:<hex>`.
 * Entries that are not numbers hash as NaN (never throws on a certificate of
 * the right shape). Memoised per certificate object.
 *
 * @example
 * ```ts
 * const d = dispatchDigest({ format: "poso-certificate/1", lpId: "", x: [1, 2], y: [] });
 * console.log(d.startsWith("sha256:")); // true
 * ```
 */
export function dispatchDigest(cert: Certificate): string {
  const key = cert as object;
  const hit = digests.get(key);
  if (hit) return hit;
  const d = `sha256:${createHash("sha256").update(float64Bytes(cert.x)).digest("hex")}`;
  digests.set(key, d);
  return d;
}

/**
 * A vector as little-endian Float64 bytes, the form every digest hashes.
 * Entries that are not numbers become NaN; something without a length is empty.
 *
 * @example
 * ```ts
 * console.log(float64Bytes([1, 2]).length); // 16
 * ```
 */
export function float64Bytes(v: ArrayLike<number>): Uint8Array {
  const n = typeof v?.length === "number" ? v.length : 0;
  const view = new DataView(new ArrayBuffer(8 * n));
  for (let k = 0; k < n; k++) {
    const e = v[k];
    view.setFloat64(8 * k, typeof e === "number" ? e : NaN, true);
  }
  return new Uint8Array(view.buffer);
}

/**
 * Largest accepted difference between the daily cost a leader claims for its
 * dispatch and the dispatch's true cost as the receiver computes it, $ per day
 * (one cent, the certificate checker's gap tolerance). Receivers compute the
 * same true cost from the same model; the tolerance covers only rounding in
 * other implementations. A claim further off is rejected.
 */
export const CLAIM_TOLERANCE_USD = 0.01;

/**
 * Why a proposal's claimed daily cost is wrong, or undefined when it is within
 * {@link CLAIM_TOLERANCE_USD} of the dispatch's true cost (`env.costUsd`).
 * Call it only on a certificate that passed the check (its x has the right shape).
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, makeVerifier, solveVariant } from "../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const env = makeVerifier(model);
 * const { certificate, cost } = await solveVariant(model, "optimal");
 * const proposal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: cost.total };
 * console.log(claimProblem(env, proposal)); // undefined
 * console.log(claimProblem(env, { ...proposal, claimedCostUsd: 1 }));
 * // claims $1.00 per day, the dispatch costs $743.91: off by $742.91 (tolerance $0.01)
 * ```
 */
export function claimProblem(env: Verifier, proposal: Proposal): string | undefined {
  const claimed = proposal.claimedCostUsd, cost = env.costUsd(proposal.certificate);
  const off = Math.abs(claimed - cost);
  if (off <= CLAIM_TOLERANCE_USD) return undefined; // false for NaN and infinities: rejected
  const usd = (v: number) => Number.isFinite(v) ? `$${v.toFixed(2)}` : String(v);
  return `claims ${usd(claimed)} per day, the dispatch costs ${usd(cost)}: off by ${usd(off)} ` +
    `(tolerance $${CLAIM_TOLERANCE_USD})`;
}

/**
 * A WeakMap-memoised pure function of a certificate (falls back to a plain call for
 * non-objects): what a problem kind's {@link Verifier} uses, since certificates are never
 * mutated once made.
 *
 * @example
 * ```ts
 * let calls = 0;
 * const length = memoByCertificate((c) => (calls++, c.x.length));
 * const c = { format: "poso-certificate/1" as const, lpId: "", x: [1, 2], y: [] };
 * console.log(length(c), length(c), calls); // 2 2 1
 * ```
 */
export function memoByCertificate<T>(f: (cert: Certificate) => T): (cert: Certificate) => T {
  const cache = new WeakMap<object, T>();
  return (cert) => {
    if (cert === null || typeof cert !== "object") return f(cert);
    if (cache.has(cert)) return cache.get(cert)!;
    const v = f(cert);
    cache.set(cert, v);
    return v;
  };
}
