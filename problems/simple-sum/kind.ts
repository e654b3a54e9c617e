/**
 * SimpleSum as a problem kind (`problem: simple-sum`), the published code's
 * tutorial scene: the leader sums the numbers the nodes hold, the followers
 * recompute the sum. It is the worked example of docs/adding-a-problem.md:
 * a kind in four small files (case.ts, model.ts, variants.ts, verifier.ts)
 * and this one, which ties them to the contract of problems/types.ts.
 *
 * @module
 */
import { type Certificate, lpFingerprint } from "../../lp/certificate.ts";
import { messageShapeOf } from "../../consensus/messages.ts";
import {
  type DayParams,
  formatAmount,
  type Problem,
  type ProblemKind,
  type SolutionDetails,
} from "../types.ts";
import { loadSumCase, parseSumCase, SIMPLE_SUM_CASE_URL, type SumCase } from "./case.ts";
import { SUM_CSV } from "./csv.ts";
import { buildSumModel, type SumModel } from "./model.ts";
import { solveSumVariant, SUM_VARIANTS } from "./variants.ts";
import { makeSumVerifier, proposedSum, SUM_COST, summariseSum } from "./verifier.ts";

/**
 * What `poso solve` shows of a proposed sum: the day's numbers (JSON `nodes`, `values`,
 * `expectedSum`, and a table) and the sum the participant adds up itself.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { sumDetails } from "./kind.ts";
 * const m = buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1);
 * const d = sumDetails(m, { format: "poso-certificate/1", lpId: "", x: [1100], y: [1] });
 * console.log(d.lines[0]); //   2 numbers adding up to Σ1,000.00; the proposal says Σ1,100.00
 * ```
 */
export function sumDetails(model: SumModel, certificate: Certificate): SolutionDetails {
  const amount = (v: number) => formatAmount(SUM_COST, v);
  return {
    fields: { nodes: [...model.nodes], values: [...model.values], expectedSum: model.sum },
    lines: [
      `  ${model.nodes.length} number${model.nodes.length === 1 ? "" : "s"} adding up to ${
        amount(model.sum)
      }; ` +
      `the proposal says ${amount(proposedSum(certificate))}`,
    ],
    tables: [{
      title: `The day's numbers (the case's times the load factor ${model.loadFactor})`,
      header: ["node", "value"],
      rows: model.nodes.map((n, k) => [n, String(model.values[k])]),
      align: ["left", "right"],
    }],
  };
}

/**
 * The day's problem of a SimpleSum model.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { sumProblem } from "./kind.ts";
 * const problem = sumProblem(buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1));
 * const { certificate, costUsd } = await problem.solve("optimal", { solver: "glpk" });
 * console.log(problem.shape, costUsd, problem.verifier.verify(certificate).verdict); // { x: 1, y: 1 } 1000 accepted
 * ```
 */
export function sumProblem(model: SumModel): Problem & { model: SumModel } {
  const lp = model.lp;
  return {
    kind: SIMPLE_SUM.name,
    model,
    id: lpFingerprint(lp),
    shape: messageShapeOf(lp),
    verifier: makeSumVerifier(model),
    variants: SUM_VARIANTS,
    async solve(variant, options = {}) {
      const s = await solveSumVariant(model, variant, options.solver);
      return { certificate: s.certificate, costUsd: s.sum };
    },
    summary: (certificate: Certificate) => summariseSum(model, certificate),
    lp,
    details: (certificate) => sumDetails(model, certificate),
  };
}

/**
 * The `simple-sum` problem kind. A day's values are the case's times the day's load factor
 * (problems/schedule.ts dayLoadFactor: 1 on day 1, within ±5 % after).
 *
 * @example
 * ```ts
 * import { SIMPLE_SUM } from "./kind.ts";
 * const c = await SIMPLE_SUM.loadCase(SIMPLE_SUM.defaultCase);
 * const problem = SIMPLE_SUM.problemFor(c, { height: 1, loadFactor: 1 });
 * console.log(SIMPLE_SUM.caseName(c), (await problem.solve("optimal")).costUsd); // SimpleSum: scenario 1's seven nodes 1000
 * ```
 */
export const SIMPLE_SUM: ProblemKind<SumCase> = {
  name: "simple-sum",
  title: "the sum of the numbers the nodes hold (the published SimpleSum scene; one-column LP)",
  defaultCase: SIMPLE_SUM_CASE_URL,
  cost: SUM_COST,
  csv: SUM_CSV,
  loadCase: (path) => loadSumCase(path),
  parseCase: (value, file) => parseSumCase(value, file),
  caseName: (c) => c.name,
  problemFor: (c: SumCase, day: DayParams) => sumProblem(buildSumModel(c, day.loadFactor)),
};
