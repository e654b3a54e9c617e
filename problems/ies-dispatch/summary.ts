/**
 * What a report says about an accepted dispatch: its hourly series, its true
 * cost and the gap its certificate proves, computed by a participant from
 * the LP it built itself.
 *
 * @module
 */
import { type Certificate, checkCertificate, describeVerdict } from "../../lp/certificate.ts";
import { dispatchCostUnit, trueCost } from "./cost.ts";
import type { DispatchModel } from "./dispatch.ts";
import { type DispatchSeries, dispatchSeries } from "./series.ts";

/** The accepted dispatch as a report shows it. */
export interface DispatchSummary {
  /** Its hourly series (kW and kWh). */
  series: DispatchSeries;
  /** True cost, $ per day (per the case's horizon). */
  costUsd: number;
  /** Gap between the dispatch's cost and the certificate's lower bound, $ (NaN when not accepted). */
  gapUsd: number;
  /** The checker's verdict in words. */
  verdict: string;
}

/**
 * Summarises a certificate's dispatch against `model`.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const { certificate } = await solveVariant(model, "optimal");
 * console.log(summariseDispatch(model, certificate).costUsd.toFixed(0)); // "744"
 * ```
 */
export function summariseDispatch(model: DispatchModel, cert: Certificate): DispatchSummary {
  const v = checkCertificate(model.lp, cert);
  return {
    series: dispatchSeries(model, cert.x),
    costUsd: trueCost(model, cert.x).total,
    gapUsd: "gapUsd" in v ? v.gapUsd : NaN,
    verdict: describeVerdict(v, dispatchCostUnit(model.layout.hours)),
  };
}
