/**
 * The dispatches a leader may propose, each with its certificate:
 *
 * - `optimal`:  the optimum of the true LP with its own duals;
 * - `selfish`:  the optimum of the published biased objective (docs/model.md);
 * - `feasible`: a grid-heavy dispatch (the optimum when grid import is free);
 * - `corrupt`:  the optimum with its costliest hour of grid import deleted,
 *               a cheaper-looking day that breaks the grid bus's power balance;
 * - `alternative`: another optimum of the same LP (within {@link ALTERNATIVE_SLACK_USD}
 *               of it, storage held as full as possible): valid, but a different
 *               dispatch, which is what an equivocating leader sends.
 *
 * A dishonest leader attaches the strongest dual bound there is, the true
 * optimum's y, to its non-optimal x: then the gap a follower sees is exactly
 * the dispatch's excess cost over the optimum.
 *
 * @module
 */
import { type Certificate, makeCertificate } from "../../lp/certificate.ts";
import { type CostBreakdown, trueCost } from "./cost.ts";
import { type DispatchModel, variantLp } from "./dispatch.ts";
import type { LpSolution, SolveOptions } from "../../lp/glpk.ts";
import { objectiveValue, withExtraRow } from "../../lp/lp.ts";
import { type SolverName, solveWith } from "../../lp/solver.ts";
import { PROPOSAL_VARIANTS } from "../../consensus/types.ts";

/** Every proposal variant, honest first (the roles of consensus/types.ts PROPOSAL_VARIANTS). */
export const VARIANTS: typeof PROPOSAL_VARIANTS = PROPOSAL_VARIANTS;

/** How far above the optimum, $, the `alternative` dispatch may cost (a tenth of the gap tolerance). */
export const ALTERNATIVE_SLACK_USD = 0.001;

/** A proposal variant. */
export type Variant = typeof VARIANTS[number];

/** A solved variant: its certificate, true cost and solver figures. */
export interface VariantSolution {
  /** The variant solved. */
  variant: Variant;
  /** The dispatch with the true optimum's duals, certified against the model's true LP. */
  certificate: Certificate;
  /** True cost of the dispatch (quadratic CHP cost), $ per day. */
  cost: CostBreakdown;
  /** The dispatch's value under the true LP objective (PWL CHP cost), $. */
  lpObjectiveUsd: number;
  /** Wall time of the solve(s) this variant needed, ms (0 when cached). */
  solveMs: number;
}

/**
 * Options of {@link solveVariant}: the solver's options and the back end.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, solveVariant, type VariantSolveOptions } from "../../mod.ts";
 * const options: VariantSolveOptions = { solver: "highs" };
 * const s = await solveVariant(buildDispatchModel(await loadUomCase()), "optimal", options);
 * console.log(Math.round(s.lpObjectiveUsd)); // 744
 * ```
 */
export interface VariantSolveOptions extends SolveOptions {
  /** The back end that solves the LPs (default `glpk`, as before back ends could be chosen). */
  solver?: SolverName;
}

/** Solves per model, keyed by `<solver>:<objective>`. */
const solved = new WeakMap<DispatchModel, Map<string, Promise<LpSolution>>>();

type Solved = "optimal" | "selfish" | "feasible" | "alternative";

/**
 * Another vertex of the optimal face: min −(stored energy) subject to the LP
 * and c'x <= optimum + slack.
 */
async function solveAlternative(
  model: DispatchModel,
  solver: SolverName,
  options: SolveOptions,
): Promise<LpSolution> {
  const opt = await solveObjective(model, "optimal", solver, options);
  const { lp, layout } = model;
  const face: [number, number][] = [];
  lp.c.forEach((v, j) => v !== 0 && face.push([j, v]));
  const c = new Float64Array(lp.c.length);
  for (const h of layout.hubs) for (const j of [...h.batteryEnergyKwh, ...h.tankEnergyKwh]) c[j] = -1;
  const faceLp = withExtraRow(
    lp,
    "optimal.face",
    -Infinity,
    opt.objective - lp.c0 + ALTERNATIVE_SLACK_USD,
    face,
  );
  return solveWith(solver, { ...faceLp, name: `${lp.name} (alternative optimum)`, c, c0: 0 }, options);
}

/** Solves one objective of the model once per model object and back end (later calls share the result). */
function solveObjective(
  model: DispatchModel,
  objective: Solved,
  solver: SolverName,
  options: SolveOptions,
): Promise<LpSolution> {
  let cache = solved.get(model);
  if (!cache) solved.set(model, cache = new Map());
  const key = `${solver}:${objective}`;
  let p = cache.get(key);
  if (!p) {
    p = objective === "alternative"
      ? solveAlternative(model, solver, options)
      : solveWith(solver, objective === "optimal" ? model.lp : variantLp(model, objective), options);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * The hour (0-based) whose grid import costs most in dispatch x (price × import), the one
 * `corrupt` deletes; -1 when x imports nothing at all.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, costliestImportHour, loadUomCase } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * console.log(costliestImportHour(model, new Float64Array(model.lp.colNames.length))); // -1
 * ```
 */
export function costliestImportHour(model: DispatchModel, x: ArrayLike<number>): number {
  const prices = model.ies.grid.import_price_usd_per_kwh;
  let best = -1, bestCost = 0;
  model.layout.gridImportKw.forEach((j, t) => {
    const cost = prices[t] * x[j];
    if (cost > bestCost) [best, bestCost] = [t, cost];
  });
  return best;
}

/**
 * Solves a variant and certifies it against the model's true LP, with the back end
 * `options.solver` (default `glpk`). Solves are cached per model and back end, so
 * asking for every variant costs four solver runs.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const s = await solveVariant(model, "selfish");
 * console.log(Math.round(s.cost.total)); // 904
 * ```
 */
export async function solveVariant(
  model: DispatchModel,
  variant: Variant,
  options: VariantSolveOptions = {},
): Promise<VariantSolution> {
  const { solver = "glpk", ...solveOptions } = options;
  const t0 = performance.now();
  const opt = await solveObjective(model, "optimal", solver, solveOptions);
  let x: Float64Array;
  if (variant === "optimal") {
    x = opt.x;
  } else if (variant === "corrupt") {
    x = Float64Array.from(opt.x);
    const hour = costliestImportHour(model, x);
    if (hour < 0) {
      throw new Error("corrupt: the optimum imports nothing from the grid, so there is nothing to delete");
    }
    x[model.layout.gridImportKw[hour]] = 0;
  } else {
    x = (await solveObjective(model, variant, solver, solveOptions)).x;
  }
  const solveMs = performance.now() - t0;
  return {
    variant,
    certificate: makeCertificate(model.lp, x, opt.y, variant),
    cost: trueCost(model, x),
    lpObjectiveUsd: objectiveValue(model.lp, x),
    solveMs,
  };
}
