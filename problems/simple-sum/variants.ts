/**
 * The sums a SimpleSum leader may propose. A sum has one right answer, so
 * each role of consensus/types.ts PROPOSAL_VARIANTS becomes a way of getting
 * it wrong (or, for `alternative`, of getting it right differently):
 *
 * - `optimal`:  the LP's optimum s = Σ v_i, solved by the chosen back end;
 * - `selfish`:  the sum plus a commission for the leader, {@link markup}: feasible
 *               (s >= Σ v_i holds), rejected as `suboptimal` by that much;
 * - `feasible`: the largest s the LP allows (its maximum, solved by the back end): the
 *               answer of a leader that did not add anything up; `suboptimal`;
 * - `corrupt`:  the sum minus {@link markup}: it looks smaller and breaks the row
 *               s >= Σ v_i, so it is `infeasible`;
 * - `alternative`: the sum plus {@link ALTERNATIVE_SLACK}, a tenth of the gap
 *               tolerance: accepted, yet another x, so another proposal; what an
 *               equivocating leader sends as its second one.
 *
 * Every variant carries the optimum's y (the strongest bound there is), so the
 * gap a follower sees is exactly the excess of the proposed sum.
 *
 * @module
 */
import { type Certificate, makeCertificate } from "../../lp/certificate.ts";
import type { LpSolution } from "../../lp/glpk.ts";
import { withObjective } from "../../lp/lp.ts";
import { DEFAULT_SOLVER, type SolverName, solveWith } from "../../lp/solver.ts";
import { PROPOSAL_VARIANTS, type ProposalVariant } from "../../consensus/types.ts";
import type { SumModel } from "./model.ts";

/** Every variant, honest first: SimpleSum produces each role. */
export const SUM_VARIANTS: typeof PROPOSAL_VARIANTS = PROPOSAL_VARIANTS;

/** How far above the sum the `alternative` lies: a tenth of the checker's gap tolerance ($0.01). */
export const ALTERNATIVE_SLACK = 0.001;

/** The `selfish` commission (and the `corrupt` shortfall), as a share of |Σ v_i|. */
export const MARKUP_SHARE = 0.1;

/** The smallest commission or shortfall, far beyond every tolerance even when the sum is 0. */
export const MIN_MARKUP = 1;

/**
 * What `selfish` adds to the sum and `corrupt` takes from it: {@link MARKUP_SHARE} of |Σ v_i|, at
 * least {@link MIN_MARKUP}.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { markup } from "./variants.ts";
 * console.log(markup(buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1))); // 100
 * ```
 */
export function markup(model: SumModel): number {
  return Math.max(MIN_MARKUP, MARKUP_SHARE * Math.abs(model.sum));
}

/** Solves of one model, by `<solver>:<min|max>` (a Worker asks for several variants per round). */
const solves = new WeakMap<SumModel, Map<string, Promise<LpSolution>>>();

function solveOnce(model: SumModel, sense: "min" | "max", solver: SolverName): Promise<LpSolution> {
  let cache = solves.get(model);
  if (!cache) solves.set(model, cache = new Map());
  const key = `${solver}:${sense}`;
  let p = cache.get(key);
  if (!p) {
    const lp = sense === "min"
      ? model.lp
      : withObjective(model.lp, model.lp.c.map((c) => -c), 0, `${model.lp.name}, maximised`);
    p = solveWith(solver, lp);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** A solved SimpleSum variant. */
export interface SumSolution {
  /** The certificate: x = [s], y = the optimum's row dual (1). */
  certificate: Certificate;
  /** The proposed sum s (what the leader claims as the proposal's cost). */
  sum: number;
}

/**
 * Solves a variant with back end `solver` (default the project's DEFAULT_SOLVER). Two LP solves
 * per model and back end at most (min and max s), cached.
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * import { solveSumVariant } from "./variants.ts";
 * const m = buildSumModel({ name: "n", values: { A: 600, B: 400 } }, 1);
 * const [opt, selfish] = [await solveSumVariant(m, "optimal"), await solveSumVariant(m, "selfish")];
 * console.log(opt.sum, opt.certificate.y, selfish.sum); // 1000 [ 1 ] 1100
 * ```
 */
export async function solveSumVariant(
  model: SumModel,
  variant: ProposalVariant,
  solver: SolverName = DEFAULT_SOLVER,
): Promise<SumSolution> {
  const opt = await solveOnce(model, "min", solver);
  const s = opt.x[0];
  let sum: number;
  switch (variant) {
    case "optimal":
      sum = s;
      break;
    case "selfish":
      sum = s + markup(model);
      break;
    case "feasible":
      sum = (await solveOnce(model, "max", solver)).x[0];
      break;
    case "corrupt":
      sum = s - markup(model);
      break;
    case "alternative":
      sum = s + ALTERNATIVE_SLACK;
      break;
    default:
      throw new RangeError(`unknown proposal variant ${JSON.stringify(variant)}`);
  }
  // y + 0 turns a -0 dual into +0 (a -0 hashes differently and bloats ledgers).
  const y = Array.from(opt.y, (v) => v + 0);
  return { certificate: makeCertificate(model.lp, [sum], y, variant), sum };
}
