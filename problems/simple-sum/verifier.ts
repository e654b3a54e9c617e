/**
 * How a SimpleSum participant checks a proposed sum and reads it back: the
 * {@link Verifier} the state machines call, and the summary a report shows.
 *
 * @module
 */
import {
  type Certificate,
  checkCertificate,
  describeVerdict,
  GAP_TOLERANCE_USD,
  type Verdict,
} from "../../lp/certificate.ts";
import { dispatchDigest, memoByCertificate } from "../../consensus/digest.ts";
import type { Verifier } from "../../consensus/types.ts";
import type { CostUnit, ProblemSummary } from "../types.ts";
import type { SumModel } from "./model.ts";
import { markup } from "./variants.ts";

/**
 * The proposed sum of a certificate: x[0], or NaN when x holds no number there (never throws,
 * whatever a message carried).
 *
 * @example
 * ```ts
 * import { proposedSum } from "./verifier.ts";
 * console.log(proposedSum({ format: "poso-certificate/1", lpId: "", x: [1000], y: [1] })); // 1000
 * ```
 */
export function proposedSum(cert: Certificate): number {
  const x = (cert as Partial<Certificate> | null)?.x;
  const s = x && typeof x === "object" ? x[0] : undefined;
  return typeof s === "number" ? s : NaN;
}

/**
 * What a SimpleSum proposal's "cost" is: the sum itself, a plain number (the case's values have no
 * unit). Written `Σ1,000.00`, in trace cells `<Σ1,000>D`; an amount covers one block, no period; a
 * claim may be off by the certificate checker's gap tolerance (0.01).
 *
 * @example
 * ```ts
 * import { formatAmount } from "../types.ts";
 * import { SUM_COST } from "./verifier.ts";
 * console.log(formatAmount(SUM_COST, 1000), `the true ${SUM_COST.quantity}`); // Σ1,000.00 the true sum
 * ```
 */
export const SUM_COST: CostUnit = Object.freeze({
  symbol: "Σ",
  quantity: "sum",
  solution: "sum",
  decimals: 2,
  claimTolerance: GAP_TOLERANCE_USD,
});

/**
 * The verifier of a participant that built `model` itself:
 * - `verify`: lp/certificate.ts checkCertificate against `model.lp` (memoised per certificate);
 * - `digest`: the SHA-256 of x (consensus/digest.ts dispatchDigest);
 * - `costUsd`: the proposed sum s (what a leader's claim is checked against), in {@link SUM_COST};
 * - `tamper`: the same y with s lowered below the sum by the `corrupt` shortfall (variants.ts
 *   markup), so it is always infeasible and always another x than the one tampered with.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { solveSumVariant } from "./variants.ts";
 * import { makeSumVerifier } from "./verifier.ts";
 * const m = buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1);
 * const v = makeSumVerifier(m);
 * const { certificate } = await solveSumVariant(m, "optimal");
 * console.log(v.verify(certificate).verdict, v.verify(v.tamper(certificate)).verdict); // accepted infeasible
 * ```
 */
export function makeSumVerifier(model: SumModel): Verifier {
  const shortfall = markup(model);
  return {
    verify: memoByCertificate((cert): Verdict => checkCertificate(model.lp, cert)),
    digest: dispatchDigest,
    costUsd: proposedSum,
    tamper: memoByCertificate((cert): Certificate => {
      const x = Array.from((cert as Partial<Certificate>).x ?? [], Number);
      x[0] = Math.min(proposedSum(cert), model.sum) - shortfall;
      return { ...cert, variant: "tampered", x };
    }),
    cost: SUM_COST,
  };
}

/**
 * SimpleSum's own series for reports and CSV: the day's numbers and the two sums.
 *
 * @example
 * ```ts
 * import type { SumSeries } from "./verifier.ts";
 * const s: SumSeries = { nodes: ["A", "B"], values: [600, 400], sum: 1000, expectedSum: 1000 };
 * console.log(s.sum === s.expectedSum); // true
 * ```
 */
export interface SumSeries {
  /** The node labels, sorted. */
  nodes: string[];
  /** Each node's number on the day (the case's times the day's load factor). */
  values: number[];
  /** The sum the certificate proposes. */
  sum: number;
  /** The sum as this participant adds it up. */
  expectedSum: number;
}

/**
 * A proposal as a report shows it: the proposed sum as its cost, the certified gap, the verdict.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { solveSumVariant } from "./variants.ts";
 * import { summariseSum } from "./verifier.ts";
 * const m = buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1);
 * const s = summariseSum(m, (await solveSumVariant(m, "selfish")).certificate);
 * console.log(s.costUsd, s.verdict.startsWith("rejected as suboptimal")); // 1100 true
 * ```
 */
export function summariseSum(model: SumModel, cert: Certificate): ProblemSummary {
  const v = checkCertificate(model.lp, cert);
  const series: SumSeries = {
    nodes: [...model.nodes],
    values: [...model.values],
    sum: proposedSum(cert),
    expectedSum: model.sum,
  };
  return {
    costUsd: proposedSum(cert),
    gapUsd: "gapUsd" in v ? v.gapUsd : NaN,
    verdict: describeVerdict(v, SUM_COST),
    series,
  };
}
