/**
 * The integrated-energy-system dispatch as a problem kind (`problem:
 * ies-dispatch`): any case in the format of problems/ies-dispatch/case.ts
 * (the University of Manchester case is bundled), one day's 24-hour dispatch
 * LP per block, certified by LP duality.
 *
 * @module
 */
import { type Certificate, lpFingerprint } from "../../lp/certificate.ts";
import { messageShapeOf } from "../../consensus/messages.ts";
import type { DayParams, Problem, ProblemKind } from "../types.ts";
import { type IesCase, loadCaseFile, parseCase, UOM_CASE_URL } from "./case.ts";
import { DISPATCH_COST } from "./cost.ts";
import { DISPATCH_CSV } from "./csv.ts";
import { caseForDay } from "./days.ts";
import { dispatchDetails } from "./details.ts";
import { buildDispatchModel, type DispatchModel } from "./dispatch.ts";
import { dispatchModelData, dispatchModelFromData } from "./model_data.ts";
import { summariseDispatch } from "./summary.ts";
import { solveVariant, VARIANTS } from "./variants.ts";
import { makeVerifier } from "./verifier.ts";

/**
 * The day's problem of a dispatch model built from a case.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, dispatchProblem, loadUomCase } from "../../mod.ts";
 * const problem = dispatchProblem(buildDispatchModel(await loadUomCase()));
 * const { certificate, costUsd } = await problem.solve("optimal");
 * console.log(problem.verifier.verify(certificate).verdict, Math.round(costUsd)); // accepted 744
 * ```
 */
export function dispatchProblem(model: DispatchModel): Problem & { model: DispatchModel } {
  const lp = model.lp;
  return {
    kind: IES_DISPATCH.name,
    model,
    id: lpFingerprint(lp),
    shape: messageShapeOf(lp),
    verifier: makeVerifier(model),
    variants: VARIANTS,
    async solve(variant, options = {}) {
      const s = await solveVariant(model, variant, options.solver ? { solver: options.solver } : {});
      return { certificate: s.certificate, costUsd: s.cost.total };
    },
    summary: (certificate: Certificate) => summariseDispatch(model, certificate),
    lp,
    details: (certificate, context) => dispatchDetails(model, certificate, context),
    data: () => dispatchModelData(model),
  };
}

/**
 * The `ies-dispatch` problem kind.
 *
 * @example
 * ```ts
 * import { IES_DISPATCH } from "../../mod.ts";
 * const ies = await IES_DISPATCH.loadCase(IES_DISPATCH.defaultCase);
 * console.log(IES_DISPATCH.caseName(ies).length > 0); // true
 * ```
 */
export const IES_DISPATCH: ProblemKind<IesCase> = {
  name: "ies-dispatch",
  title: "day-ahead dispatch of an integrated electricity, heat and gas system (LP, duality certificate)",
  defaultCase: UOM_CASE_URL,
  cost: DISPATCH_COST,
  csv: DISPATCH_CSV,
  loadCase: (path) => loadCaseFile(path),
  parseCase: (value, file) => parseCase(value, file),
  caseName: (c) => c.name,
  problemFor: (c: IesCase, day: DayParams) =>
    dispatchProblem(buildDispatchModel(caseForDay(c, day.loadFactor))),
  fromData: (data) => dispatchProblem(dispatchModelFromData(data)),
};
