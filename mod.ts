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
 * The protocol: {@link stepDelegate} and {@link stepNormal} are pure state machines,
 * {@link withMisbehaviour} wraps the honest delegate in the adversary behaviours a
 * scenario configures, {@link loadScenarioFile} reads a scenario, {@link runScenario}
 * runs it on Worker actors and {@link simulate} in deterministic virtual time.
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

// The protocol core (pure state machines) and its trace.
export * from "./consensus/types.ts";
export * from "./consensus/messages.ts";
export * from "./consensus/digest.ts";
export * from "./consensus/delegate.ts";
export * from "./consensus/normal.ts";
export * from "./consensus/behaviours.ts";
export * from "./consensus/report.ts";
export * from "./consensus/recorder.ts";
// Scenarios, and the two shells that run them.
export * from "./scenarios/loader.ts";
export * from "./scenarios/render.ts";
export * from "./actors/simulator.ts";
export { runScenario, type SupervisorOptions, WORKER_MODULE } from "./actors/supervisor.ts";
