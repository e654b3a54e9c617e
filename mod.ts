/**
 * PoSo-TS: Proof-of-Solution consensus for energy dispatch.
 *
 * This module is the public API. The optimisation core:
 * - {@link loadUomCase} / {@link loadCaseFile} / {@link parseCase}: the case data, validated;
 * - {@link buildDispatchModel}: the 24-hour dispatch LP of the University of Manchester
 *   integrated energy system (MODEL.md);
 * - {@link solveLp} / {@link solveVariant}: GLPK solves and the proposals a leader can make;
 * - {@link checkCertificate}: the follower's LP-duality certificate check;
 * - {@link trueCost}: the day's true cost of a dispatch.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, checkCertificate, loadUomCase, solveVariant } from "./mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const proposal = await solveVariant(model, "optimal");
 * console.log(checkCertificate(model.lp, proposal.certificate).verdict); // "accepted"
 * ```
 *
 * @module
 */
export * from "./models/case.ts";
export * from "./models/lp.ts";
export * from "./models/glpk.ts";
export * from "./models/dispatch.ts";
export * from "./models/cost.ts";
export * from "./models/certificate.ts";
export * from "./models/variants.ts";
