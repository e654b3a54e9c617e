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
import { formatAmount, perPeriod } from "../problems/types.ts";
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
  const d = `sha256:${createHash("sha256").update(float64BytesToHash(cert.x)).digest("hex")}`;
  digests.set(key, d);
  return d;
}

/** Whether this platform keeps a Float64Array's numbers as little-endian bytes (every platform Deno runs on). */
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/**
 * The bytes {@link float64Bytes} gives, to be hashed at once and then dropped: a Float64Array's own
 * memory (no copy, no loop: a certificate's x is 110 kB and every message's certificate is hashed by
 * each receiver) when those are its bytes already, that is on a little-endian platform and without
 * NaN (whose bit pattern float64Bytes does not promise to keep); else float64Bytes' copy. The caller
 * must neither keep nor change what it gets.
 *
 * @example
 * ```ts
 * import { float64Bytes, float64BytesToHash } from "./digest.ts";
 * const v = Float64Array.of(1, -0, Infinity);
 * console.log(float64BytesToHash(v).join() === float64Bytes(v).join()); // true
 * ```
 */
export function float64BytesToHash(v: ArrayLike<number>): Uint8Array {
  if (LITTLE_ENDIAN && v instanceof Float64Array) {
    let nan = false;
    for (let k = 0; k < v.length && !nan; k++) nan = v[k] !== v[k];
    if (!nan) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  return float64Bytes(v);
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
 * The dispatch's claim tolerance, $ per day (one cent, the certificate checker's gap tolerance): the
 * `claimTolerance` of the `ies-dispatch` kind's cost unit, kept for callers that name it. Receivers
 * check a claim against their problem's own {@link Verifier.cost} tolerance (claimProblem).
 */
export const CLAIM_TOLERANCE_USD = 0.01;

/**
 * Why a proposal's claimed cost is wrong, or undefined when it is within the cost unit's
 * `claimTolerance` (`env.cost`) of the solution's true cost (`env.costUsd`). Call it only on a
 * certificate that passed the check (its x has the right shape). The words and the symbol are the
 * unit's.
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
 * // claims $1.00 per day, the true cost is $743.91: off by $742.91 (tolerance $0.01)
 * ```
 */
export function claimProblem(env: Verifier, proposal: Proposal): string | undefined {
  const claimed = proposal.claimedCostUsd, cost = env.costUsd(proposal.certificate);
  const unit = env.cost, off = Math.abs(claimed - cost);
  if (off <= unit.claimTolerance) return undefined; // false for NaN and infinities: rejected
  const amount = (v: number) => formatAmount(unit, v);
  return `claims ${amount(claimed)}${perPeriod(unit)}, the true ${unit.quantity} is ${amount(cost)}: ` +
    `off by ${amount(off)} (tolerance ${formatAmount(unit, unit.claimTolerance, toleranceDecimals(unit))})`;
}

/** Decimals that show a tolerance exactly (up to 10), at least the unit's own. */
function toleranceDecimals(unit: { decimals: number; claimTolerance: number }): number {
  for (let d = unit.decimals; d < 10; d++) {
    if (Number(unit.claimTolerance.toFixed(d)) === unit.claimTolerance) return d;
  }
  return 10;
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
