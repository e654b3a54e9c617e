/**
 * The LP-duality certificate of a solution (a dispatch, a sum, ...) and its checker (docs/model.md,
 * "The certificate").
 *
 * A certificate is a primal vector x and a dual vector y for the LP
 *   min c'x + c0,  rl <= A x <= ru,  l <= x <= u.
 * The checker trusts nothing but the LP it built itself:
 * - primal feasibility: every row and bound holds within
 *   {@link FEASIBILITY_TOLERANCE} × (1 + |bound|), in the row's own unit;
 * - a rigorous lower bound from y by weak duality (Neumaier & Shcherbina,
 *   2004): with z = c - A'y, every feasible x has
 *     c'x + c0 >= c0 + Σ_i min(y_i rl_i, y_i ru_i) + Σ_j min(z_j l_j, z_j u_j).
 *   Any y gives a valid bound because every column bound is finite. The
 *   floating-point rounding of this sum is bounded a priori (Higham's γ_n)
 *   and subtracted, so the bound never exceeds the true optimum;
 * - the gap c'x + c0 - bound must be at most {@link GAP_TOLERANCE_USD};
 * - and it may be negative only by the rounding bound
 *   (`belowBound.roundingBoundUsd`): a dispatch cheaper than every feasible one is
 *   infeasible, even when each of its violations is within the tolerance.
 *
 * The rounding bound. For an x that satisfies every row and bound exactly,
 * c'x + c0 >= optimum >= bound, so the gap as computed (whose own rounding
 * is already covered: c'x + c0 is rounded up, the bound down) is >= 0. An x
 * of doubles cannot always make a row hold exactly; it can make it hold up to
 * the rounding of its activity, |fl(a_i'x) - a_i'x| <= γ_{k_i+1} Σ_j |a_ij x_j|
 * for a row of k_i nonzeros, and by weak duality such a shortfall lowers the
 * cost below the bound by at most |y_i| times it. Hence
 *   roundingBoundUsd = 2 Σ_i |y_i| γ_{k_i+1} Σ_j |a_ij x_j|
 * (doubled for the rounding of this sum itself) is the most by which rounding
 * alone can put c'x + c0 below the bound; a gap below -roundingBoundUsd proves
 * that x violates rows beyond rounding, and it is rejected as infeasible. On
 * the UoM case it is about $1e-11 (optimal dispatches have gaps of about
 * +$1e-8), while a dispatch scaled by 1 - 0.99 × FEASIBILITY_TOLERANCE, all of
 * whose violations stay within the tolerance, is $7e-4 below the optimum.
 *
 * The check is one pass over the nonzeros of A.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { SparseLp } from "./lp.ts";
import { gamma, SMALLEST_NORMAL, vectorProblem } from "./rounding.ts";

/** Largest accepted optimality gap, in the unit of the LP's objective ($ per day for the dispatch). */
export const GAP_TOLERANCE_USD = 0.01;

/** Relative primal feasibility tolerance: a row or bound may be off by this × (1 + |bound|). */
export const FEASIBILITY_TOLERANCE = 1e-6;

/** Format tag of certificate files and messages. */
export const CERTIFICATE_FORMAT = "poso-certificate/1";

/**
 * A dispatch with its dual certificate, as sent by a leader or saved by `poso solve --out`.
 *
 * @example
 * ```ts
 * import { LpBuilder, makeCertificate, solveLp } from "../mod.ts";
 * const b = new LpBuilder("tiny");
 * b.addRow("x>=3", 3, Infinity, [[b.addCol("x", 0, 10, 1), 1]]);
 * const lp = b.build();
 * const { x, y } = await solveLp(lp);
 * const cert = makeCertificate(lp, x, y, "optimal");
 * console.log(cert.format, cert.x, cert.y); // poso-certificate/1 [ 3 ] [ 1 ]
 * ```
 */
export interface Certificate {
  /** Format tag, {@link CERTIFICATE_FORMAT}. */
  format: typeof CERTIFICATE_FORMAT;
  /** Fingerprint of the LP the certificate is for ({@link lpFingerprint}). */
  lpId: string;
  /** What the sender says it solved (informational, never trusted). */
  variant?: string;
  /** Primal values, one per LP column. */
  x: ArrayLike<number>;
  /** Row duals, one per LP row. */
  y: ArrayLike<number>;
}

/** A row or bound that the dispatch violates. */
export interface Violation {
  /** A row (constraint) or a column bound. */
  kind: "row" | "bound";
  /** Row or column name, e.g. `bus15.p[t18]`. */
  name: string;
  /** Row or column index (0-based). */
  index: number;
  /** Row activity (A x)_i or column value x_j, in the row's or column's unit. */
  value: number;
  /** Its lower bound, same unit (-Infinity when none). */
  lower: number;
  /** Its upper bound, same unit (+Infinity when none). */
  upper: number;
  /** How far outside [lower, upper] the value lies, in the row's or column's unit. */
  amount: number;
}

/** Figures common to the verdicts that get as far as the numbers. */
export interface CheckFigures {
  /** c'x + c0 under the checker's own objective, $. */
  objective: number;
  /** Rigorous lower bound on the optimum from y, $. */
  lowerBound: number;
  /** objective - lowerBound, $. */
  gapUsd: number;
  /** Largest row or bound violation relative to its tolerance scale (1 + |bound|). */
  maxViolation: number;
}

/** A dispatch cheaper than the proven lower bound by more than rounding explains. */
export interface BelowBound {
  /** By how much it is below the bound, $ (= -gapUsd). */
  usd: number;
  /** Most by which rounding alone can put a dispatch's cost below the bound, $ (see the module documentation). */
  roundingBoundUsd: number;
}

/** The outcome of a certificate check. */
export type Verdict =
  | ({ verdict: "accepted" } & CheckFigures)
  | ({ verdict: "suboptimal" } & CheckFigures)
  | ({
    verdict: "infeasible";
    /** The largest violation (relative to its tolerance scale). */
    worst: Violation;
    /** Set when each violation is within the tolerance but the dispatch is cheaper than every feasible one. */
    belowBound?: BelowBound;
  } & CheckFigures)
  | ({
    /**
     * A problem kind whose solution carries prices (problems/market) found them inconsistent with
     * its allocation: at the proposed prices some participant's best response, or some market's
     * balance, differs from what is proposed. `reason` names which and by how much.
     */
    verdict: "mispriced";
    /** What does not clear, and by how much, in the kind's words. */
    reason: string;
  } & CheckFigures)
  | { verdict: "malformed"; reason: string };

/** Tolerances of a check. */
export interface CheckOptions {
  /** Largest accepted gap in $ (default {@link GAP_TOLERANCE_USD}). */
  gapToleranceUsd?: number;
  /** Relative feasibility tolerance (default {@link FEASIBILITY_TOLERANCE}). */
  feasibilityTolerance?: number;
}

const fingerprints = new WeakMap<SparseLp, string>();

/**
 * The SHA-256 state after the names part of a fingerprint's text, by the column-name list it was
 * made for (with the row-name list it goes with): LPs that share their name lists (a Worker's problems
 * of the days of one case, problems/ies-dispatch/model_data.ts) hash the names once, not once a day.
 */
const namesHashes = new WeakMap<readonly string[], { rowNames: readonly string[]; hash: Hash }>();

/** A SHA-256 state that has taken `[colNames,rowNames,` (the start of `JSON.stringify([colNames, rowNames, c0])`). */
function namesHash(lp: SparseLp): Hash {
  let done = namesHashes.get(lp.colNames);
  if (done?.rowNames !== lp.rowNames) {
    const hash = createHash("sha256").update(
      `[${JSON.stringify(lp.colNames)},${JSON.stringify(lp.rowNames)},`,
    );
    done = { rowNames: lp.rowNames, hash };
    namesHashes.set(lp.colNames, done);
  }
  return done.hash.copy();
}
const columnCounts = new WeakMap<SparseLp, { count: Int32Array; max: number }>();

/** Nonzeros per column of A and their maximum (computed once per LP). */
function columnNonzeros(lp: SparseLp): { count: Int32Array; max: number } {
  let cc = columnCounts.get(lp);
  if (!cc) {
    const count = new Int32Array(lp.colNames.length);
    for (let k = 0; k < lp.colIndex.length; k++) count[lp.colIndex[k]]++;
    cc = { count, max: count.reduce((a, b) => Math.max(a, b), 0) };
    columnCounts.set(lp, cc);
  }
  return cc;
}

/**
 * A SHA-256 fingerprint of everything that defines an LP (names, objective,
 * bounds, matrix). Two delegates that built the same LP from the same case
 * get the same id; computed once per LP object.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, lpFingerprint } from "../mod.ts";
 * const a = buildDispatchModel(await loadUomCase()), b = buildDispatchModel(await loadUomCase());
 * console.log(lpFingerprint(a.lp) === lpFingerprint(b.lp), lpFingerprint(a.lp).startsWith("sha256:")); // true true
 * ```
 */
export function lpFingerprint(lp: SparseLp): string {
  let id = fingerprints.get(lp);
  if (id) return id;
  // The text hashed first is JSON.stringify([lp.colNames, lp.rowNames, lp.c0]), in two parts.
  const h = namesHash(lp);
  h.update(`${JSON.stringify(lp.c0)}]`);
  for (const a of [lp.c, lp.lower, lp.upper, lp.rowLower, lp.rowUpper, lp.rowStart, lp.colIndex, lp.values]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  id = `sha256:${h.digest("hex")}`;
  fingerprints.set(lp, id);
  return id;
}

/**
 * Makes a certificate for `lp` from a solution's x and y (copied into plain arrays);
 * `variant` is recorded as information only.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, checkCertificate, loadUomCase, makeCertificate, solveLp } from "../mod.ts";
 * const { lp } = buildDispatchModel(await loadUomCase());
 * const { x, y } = await solveLp(lp);
 * console.log(checkCertificate(lp, makeCertificate(lp, x, y)).verdict); // accepted
 * ```
 */
export function makeCertificate(
  lp: SparseLp,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  variant?: string,
): Certificate {
  return certificateFor(lpFingerprint(lp), x, y, variant);
}

/**
 * min over v in [vlo, vhi] of min(v lo, v hi): the product is bilinear, so the minimum
 * sits at a corner. A zero v contributes 0 even against an infinite bound.
 */
function minTerm(vlo: number, vhi: number, lo: number, hi: number): number {
  const a = vlo === 0 ? 0 : Math.min(vlo * lo, vlo * hi);
  const b = vhi === 0 ? 0 : Math.min(vhi * lo, vhi * hi);
  return a < b ? a : b; // -Infinity when an infinite bound faces a dual of the wrong sign
}

/**
 * What a certificate must be for a problem, before any check of its numbers: an object of
 * {@link CERTIFICATE_FORMAT} for the problem `id` (a fingerprint), with `xLength` and `yLength` finite
 * numbers. `what` names the problem in messages ("LP", "market").
 */
export interface CertificateShape {
  /** The problem's fingerprint, `sha256:<hex>` (a certificate's `lpId` must equal it). */
  id: string;
  /** The problem in messages: `LP`, `market`. */
  what: string;
  /** Entries of x. */
  xLength: number;
  /** Entries of y. */
  yLength: number;
}

/**
 * The vectors of a certificate that has {@link CertificateShape}'s form, or the `malformed` verdict that
 * says what is wrong (every checker starts here).
 *
 * @example
 * ```ts
 * import { openCertificate } from "./certificate.ts";
 * const v = openCertificate({ format: "nope" }, { id: "sha256:0", what: "LP", xLength: 1, yLength: 1 });
 * console.log("verdict" in v && v.verdict); // malformed
 * ```
 */
export function openCertificate(
  cert: unknown,
  shape: CertificateShape,
): { x: ArrayLike<number>; y: ArrayLike<number> } | Extract<Verdict, { verdict: "malformed" }> {
  if (cert === null || typeof cert !== "object") {
    return { verdict: "malformed", reason: "certificate is not an object" };
  }
  const c = cert as Partial<Certificate>;
  if (c.format !== CERTIFICATE_FORMAT) {
    return {
      verdict: "malformed",
      reason: `format is ${JSON.stringify(c.format)}, expected "${CERTIFICATE_FORMAT}"`,
    };
  }
  if (c.lpId !== shape.id) {
    return {
      verdict: "malformed",
      // Another fingerprint: a certificate of another case, or of another day of this one.
      reason: `wrong ${shape.what === "LP" ? "case" : shape.what}: certificate is for ${shape.what} ${
        String(c.lpId).slice(0, 20)
      }…, this ${shape.what} is ${shape.id.slice(0, 20)}…`,
    };
  }
  const of = `the ${shape.what}`;
  const bad = vectorProblem(c.x, "x", shape.xLength, of) ?? vectorProblem(c.y, "y", shape.yLength, of);
  if (bad) return { verdict: "malformed", reason: bad };
  return { x: c.x!, y: c.y! };
}

/**
 * A certificate for the problem whose fingerprint is `id`: x and y copied into plain arrays with every
 * -0 written as 0 (it would only bloat ledgers).
 *
 * @example
 * ```ts
 * import { certificateFor } from "./certificate.ts";
 * console.log(certificateFor("sha256:0", [-0, 1], [2]).x); // [ 0, 1 ]
 * ```
 */
export function certificateFor(
  id: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  variant?: string,
): Certificate {
  return {
    format: CERTIFICATE_FORMAT,
    lpId: id,
    ...(variant ? { variant } : {}),
    x: Array.from(x, (v) => v + 0),
    y: Array.from(y, (v) => v + 0),
  };
}

/**
 * Checks a certificate against an LP the caller built itself.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * import { checkCertificate, makeCertificate } from "./certificate.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10, 1);
 * b.addRow("atLeast3", 3, Infinity, [[x, 1]]);
 * const lp = b.build();
 * console.log(checkCertificate(lp, makeCertificate(lp, [3], [1])).verdict); // "accepted"
 * console.log(checkCertificate(lp, makeCertificate(lp, [4], [1])).verdict); // "suboptimal"
 * ```
 */
export function checkCertificate(lp: SparseLp, cert: unknown, options: CheckOptions = {}): Verdict {
  const gapTol = options.gapToleranceUsd ?? GAP_TOLERANCE_USD;
  const feasTol = options.feasibilityTolerance ?? FEASIBILITY_TOLERANCE;
  const n = lp.colNames.length, m = lp.rowNames.length;

  const opened = openCertificate(cert, { id: lpFingerprint(lp), what: "LP", xLength: n, yLength: m });
  if ("verdict" in opened) return opened;
  const { x, y } = opened;

  const { rowStart, colIndex, values } = lp;
  // z = c - A'y and |c| + |A|'|y| (the scale of z's rounding error), by scatter over the rows.
  const z = Float64Array.from(lp.c);
  const zScale = new Float64Array(n);
  for (let j = 0; j < n; j++) zScale[j] = Math.abs(lp.c[j]);
  const { count: colCount, max: maxColCount } = columnNonzeros(lp);

  let worst: Violation | undefined, worstRel = 0;
  const consider = (kind: "row" | "bound", index: number, value: number, lower: number, upper: number) => {
    const amount = value < lower ? lower - value : value > upper ? value - upper : 0;
    const rel = amount / (1 + Math.abs(value < lower ? lower : upper));
    if (rel > worstRel) {
      worstRel = rel;
      const name = kind === "row" ? lp.rowNames[index] : lp.colNames[index];
      worst = { kind, name, index, value, lower, upper, amount };
    }
  };

  // Row terms of the bound, their magnitudes, and primal row activities.
  let bound = lp.c0, boundMagnitude = Math.abs(lp.c0), terms = 1, rowRounding = 0;
  for (let i = 0; i < m; i++) {
    // A dual whose sign faces an infinite side of its row would make the bound -∞. Any y
    // gives a valid bound, so such an entry is replaced by 0 before it is used at all.
    const side = y[i] > 0 ? lp.rowLower[i] : lp.rowUpper[i];
    const yi = Number.isFinite(side) ? y[i] : 0;
    const ay = Math.abs(yi);
    let ax = 0, axMagnitude = 0;
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
      const j = colIndex[k], a = values[k];
      const t = a * x[j];
      ax += t;
      axMagnitude += Math.abs(t);
      z[j] -= a * yi;
      zScale[j] += Math.abs(a) * ay;
    }
    if (ax < lp.rowLower[i] || ax > lp.rowUpper[i]) consider("row", i, ax, lp.rowLower[i], lp.rowUpper[i]);
    if (yi !== 0) rowRounding += ay * gamma(rowStart[i + 1] - rowStart[i] + 1) * axMagnitude;
    if (yi !== 0) {
      const t = yi * side;
      bound += t;
      boundMagnitude += Math.abs(t);
      terms++;
    }
  }
  let objective = lp.c0, objectiveMagnitude = Math.abs(lp.c0);
  for (let j = 0; j < n; j++) {
    const xj = x[j];
    const cx = lp.c[j] * xj;
    objective += cx;
    objectiveMagnitude += Math.abs(cx);
    if (xj < lp.lower[j] || xj > lp.upper[j]) consider("bound", j, xj, lp.lower[j], lp.upper[j]);
  }
  // |fl(z_j) - z_j| <= γ_{k+1} (|c_j| + Σ|a_ij||y_i|) for a column with k nonzeros; the
  // factor 2 covers the rounding of zScale itself, SMALLEST_NORMAL any underflow.
  const zErrFactor = 2 * gamma(maxColCount + 2);
  for (let j = 0; j < n; j++) {
    const e = zErrFactor * zScale[j] + (colCount[j] + 1) * SMALLEST_NORMAL;
    const t = minTerm(z[j] - e, z[j] + e, lp.lower[j], lp.upper[j]);
    bound += t;
    boundMagnitude += Math.abs(t);
    terms++;
  }
  // Each term carries a product's rounding (u) and the sum γ_terms; doubled for the
  // rounding of this correction and of the final subtraction.
  const lowerBound = Number.isFinite(bound)
    ? bound - 2 * gamma(terms + 2) * boundMagnitude - terms * SMALLEST_NORMAL
    : -Infinity;
  // The gap is measured from an upper bound on the exact c'x + c0, so it is never understated.
  const gapUsd = objective + 2 * gamma(n + 2) * objectiveMagnitude - lowerBound;
  const figures: CheckFigures = { objective, lowerBound, gapUsd, maxViolation: worstRel };
  if (worst && worstRel > feasTol) return { verdict: "infeasible", worst, ...figures };
  // Below the bound by more than rounding explains: x violates rows beyond rounding, so `worst` exists
  // (an x whose computed activities all hold is within the rounding bound of the bound, see above).
  const roundingBoundUsd = 2 * rowRounding;
  if (worst && gapUsd < -roundingBoundUsd) {
    return { verdict: "infeasible", worst, belowBound: { usd: -gapUsd, roundingBoundUsd }, ...figures };
  }
  if (!(gapUsd <= gapTol)) return { verdict: "suboptimal", ...figures };
  return { verdict: "accepted", ...figures };
}

/**
 * How {@link describeVerdict} words amounts: the symbol written before each, what the objective
 * is called and what a solution is called. A problem kind's cost unit (problems/types.ts CostUnit)
 * is one. The default writes bare numbers: `the objective is 4.5000`.
 */
export interface VerdictWording {
  /** Written right before an amount, e.g. `$`; default none. */
  symbol?: string;
  /** The objective in words, e.g. `cost`; default `objective`. */
  quantity?: string;
  /** What a solution is called, e.g. `dispatch`; default `solution`. */
  solution?: string;
}

/**
 * `v` with `decimals` decimals and a comma between groups of three digits, the sign first:
 * `-1,234.50`; `NaN`, `Infinity` and `-Infinity` as JavaScript writes them.
 *
 * @example
 * ```ts
 * import { groupedFixed } from "./certificate.ts";
 * console.log(groupedFixed(1686957.149, 2), groupedFixed(-744, 0), groupedFixed(NaN, 2)); // 1,686,957.15 -744 NaN
 * ```
 */
export function groupedFixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return String(v);
  const text = Math.abs(v).toFixed(decimals);
  const [int, frac] = text.split(".");
  const sign = v < 0 && Number(text) !== 0 ? "-" : "";
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac === undefined ? "" : `.${frac}`}`;
}

/**
 * An amount as people read it: the sign, then `symbol`, then the number (already written, e.g. by
 * {@link groupedFixed}): `-$1,234.50`.
 *
 * @example
 * ```ts
 * import { withSymbol } from "./certificate.ts";
 * console.log(withSymbol("$", "-0.25"), withSymbol("¥", "1,686,957")); // -$0.25 ¥1,686,957
 * ```
 */
export function withSymbol(symbol: string, number: string): string {
  return number.startsWith("-") ? `-${symbol}${number.slice(1)}` : `${symbol}${number}`;
}

/**
 * One line a person can read, e.g. `accepted: gap $0.0012 (tolerance $0.01)` with the
 * dispatch's wording. Amounts are in the LP objective's unit, written as `wording` says.
 *
 * @example
 * ```ts
 * console.log(describeVerdict({ verdict: "malformed", reason: "x is not an array" }));
 * // rejected as malformed: x is not an array
 * const v = { verdict: "suboptimal" as const, objective: 904.17, lowerBound: 744.05, gapUsd: 160.12, maxViolation: 0 };
 * console.log(describeVerdict(v, { symbol: "$", quantity: "cost" }));
 * // rejected as suboptimal: the cost is $904.17, the certificate proves only >= $744.05 (gap $160.12)
 * ```
 */
export function describeVerdict(v: Verdict, wording: VerdictWording = {}): string {
  const symbol = wording.symbol ?? "", quantity = wording.quantity ?? "objective";
  const solution = wording.solution ?? "solution";
  /** An amount with `decimals` decimals, or with `digits` significant digits. */
  const fixed = (n: number, decimals: number) => withSymbol(symbol, groupedFixed(n, decimals));
  const precise = (n: number, digits: number) => withSymbol(symbol, n.toPrecision(digits));
  switch (v.verdict) {
    case "accepted":
      return `accepted: gap ${fixed(v.gapUsd, 4)} (tolerance ${
        withSymbol(symbol, String(GAP_TOLERANCE_USD))
      })`;
    case "suboptimal":
      return `rejected as suboptimal: the ${quantity} is ${fixed(v.objective, 2)}, ` +
        `the certificate proves only >= ${fixed(v.lowerBound, 2)} (gap ${fixed(v.gapUsd, 2)})`;
    case "infeasible": {
      const w = v.worst;
      const side = w.value < w.lower
        ? `below its lower bound ${w.lower}`
        : `above its upper bound ${w.upper}`;
      const worst = `${w.kind} ${w.name} = ${w.value.toPrecision(8)} is ${w.amount.toPrecision(4)} ${side}`;
      const below = v.belowBound;
      if (!below) return `rejected as infeasible: ${worst}`;
      return `rejected as infeasible: the ${quantity} is ${fixed(v.objective, 4)}, ${
        precise(below.usd, 3)
      } below the proven lower bound ${fixed(v.lowerBound, 4)} on every feasible ${solution} (rounding ` +
        `explains at most ${precise(below.roundingBoundUsd, 3)}), though each violation is within the ` +
        `feasibility tolerance; the largest (${v.maxViolation.toPrecision(3)} of its scale): ${worst}`;
    }
    case "mispriced":
      return `rejected as mispriced: ${v.reason}`;
    case "malformed":
      return `rejected as malformed: ${v.reason}`;
  }
}
