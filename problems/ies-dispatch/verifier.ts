/**
 * The {@link Verifier} of a participant that built the day's dispatch model itself.
 *
 * @module
 */
import { type Certificate, checkCertificate, type Verdict } from "../../lp/certificate.ts";
import { dispatchDigest, memoByCertificate } from "../../consensus/digest.ts";
import type { Verifier } from "../../consensus/types.ts";
import { dispatchCostUnit, trueCost } from "./cost.ts";
import type { DispatchModel } from "./dispatch.ts";

/**
 * The verifier of a participant that built `model` itself:
 * - `verify`: {@link checkCertificate} against `model.lp`, memoised per certificate object;
 * - `digest`: {@link dispatchDigest};
 * - `costUsd`: the dispatch's true daily cost ({@link trueCost}), memoised, in `cost`: $ per day
 *   ({@link dispatchCostUnit} of the case's horizon);
 * - `tamper`: a new certificate (same y) whose grid import in the first hour is halved,
 *   which breaks that hour's power balance (set to -1 kW, below its bound, if it was 0);
 *   memoised per input, so tampering the same certificate twice gives the same object.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const v = makeVerifier(model);
 * const { certificate } = await solveVariant(model, "optimal");
 * console.log(v.verify(certificate).verdict, v.verify(v.tamper(certificate)).verdict); // accepted infeasible
 * ```
 */
export function makeVerifier(model: DispatchModel): Verifier {
  const j = model.layout.gridImportKw[0];
  return {
    verify: memoByCertificate((cert): Verdict => checkCertificate(model.lp, cert)),
    digest: dispatchDigest,
    costUsd: memoByCertificate((cert) => trueCost(model, cert.x).total),
    tamper: memoByCertificate((cert): Certificate => {
      const x = Array.from(cert.x);
      x[j] = x[j] === 0 ? -1 : x[j] / 2;
      return { ...cert, variant: "tampered", x };
    }),
    cost: dispatchCostUnit(model.layout.hours),
  };
}
