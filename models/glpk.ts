/**
 * GLPK adapter: solves a {@link SparseLp} with the simplex method of
 * `npm:glpk.js` (GLPK compiled to WebAssembly) and returns the primal
 * solution, the row duals and the reduced costs.
 *
 * The WebAssembly module is loaded once per process (or Worker) on first use;
 * that is the only place in models/ that touches the runtime (it reads the
 * .wasm file, so it needs read permission).
 *
 * @module
 */
import GLPK from "glpk.js";
import type { LP as GlpkLp } from "glpk.js";
import type { SparseLp } from "./lp.ts";

/** An optimal LP solution. */
export interface LpSolution {
  /** Always "optimal": other outcomes throw. */
  status: "optimal";
  /** c'x + c0 at the solution. */
  objective: number;
  /** Primal values, one per column. */
  x: Float64Array;
  /** Row duals (Lagrange multipliers), one per row; z = c - A'y. */
  y: Float64Array;
  /** Reduced costs z = c - A'y, one per column. */
  reducedCosts: Float64Array;
  /** Simplex time reported by GLPK, in ms. */
  solverMs: number;
}

/** Solver options. */
export interface SolveOptions {
  /** Time limit in seconds (default: none). */
  timeLimitSec?: number;
  /** Print GLPK's own log (default false: silent). */
  verbose?: boolean;
  /** Use GLPK's LP presolver (default true). */
  presolve?: boolean;
}

/** Base class of solver outcomes other than an optimum. */
export class SolverError extends Error {
  constructor(message: string, readonly lpName: string) {
    super(`${lpName}: ${message}`);
    this.name = new.target.name;
  }
}

/** The LP has no feasible point. */
export class LpInfeasibleError extends SolverError {}
/** The LP's objective is unbounded below. */
export class LpUnboundedError extends SolverError {}
/** GLPK stopped without a verdict (time limit, numerical trouble, bad input). */
export class SolverFailedError extends SolverError {}

type GlpkInstance = Awaited<ReturnType<typeof GLPK>>;
let instance: Promise<GlpkInstance> | undefined;

/** The process-wide GLPK instance (loaded on first call). */
export function glpk(): Promise<GlpkInstance> {
  instance ??= GLPK();
  return instance;
}

function boundType(g: GlpkInstance, lo: number, hi: number): { type: number; lb: number; ub: number } {
  const fl = Number.isFinite(lo), fu = Number.isFinite(hi);
  if (fl && fu) return { type: lo === hi ? g.GLP_FX : g.GLP_DB, lb: lo, ub: hi };
  if (fl) return { type: g.GLP_LO, lb: lo, ub: 0 };
  if (fu) return { type: g.GLP_UP, lb: 0, ub: hi };
  return { type: g.GLP_FR, lb: 0, ub: 0 };
}

/** Converts a SparseLp to glpk.js's object format. */
export function toGlpk(g: GlpkInstance, lp: SparseLp): GlpkLp {
  const n = lp.colNames.length;
  return {
    name: lp.name,
    objective: {
      direction: g.GLP_MIN,
      name: "objective",
      // Every column appears here, in order, so GLPK numbers them as we do.
      vars: lp.colNames.map((name, j) => ({ name, coef: lp.c[j] })),
    },
    subjectTo: lp.rowNames.map((name, i) => {
      const vars = [];
      for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) {
        vars.push({ name: lp.colNames[lp.colIndex[k]], coef: lp.values[k] });
      }
      return { name, vars, bnds: boundType(g, lp.rowLower[i], lp.rowUpper[i]) };
    }),
    bounds: Array.from({ length: n }, (_, j) => ({
      name: lp.colNames[j],
      ...boundType(g, lp.lower[j], lp.upper[j]),
    })),
  };
}

/**
 * Solves `lp` to optimality. Throws {@link LpInfeasibleError},
 * {@link LpUnboundedError} or {@link SolverFailedError} otherwise.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * import { solveLp } from "./glpk.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10, 1);
 * b.addRow("atLeast3", 3, Infinity, [[x, 1]]);
 * const sol = await solveLp(b.build());
 * console.log(sol.objective, sol.y[0]); // 3 1
 * ```
 */
export async function solveLp(lp: SparseLp, options: SolveOptions = {}): Promise<LpSolution> {
  const g = await glpk();
  const problem = toGlpk(g, lp);
  const run = (presol: boolean) =>
    g.solve(problem, {
      msglev: options.verbose ? g.GLP_MSG_ON : g.GLP_MSG_OFF,
      presol,
      ...(options.timeLimitSec !== undefined ? { tmlim: options.timeLimitSec } : {}),
    });
  const presolve = options.presolve ?? true;
  let res = run(presolve);
  if (presolve && res.result.status === g.GLP_UNDEF) {
    // With the presolver on, GLPK reports an infeasible or unbounded LP as
    // "undefined"; solving without it tells which.
    res = run(false);
  }
  const st = res.result.status;
  if (st === g.GLP_NOFEAS || st === g.GLP_INFEAS) {
    throw new LpInfeasibleError("infeasible: no dispatch satisfies every constraint", lp.name);
  }
  if (st === g.GLP_UNBND) throw new LpUnboundedError("unbounded objective", lp.name);
  if (st !== g.GLP_OPT) {
    throw new SolverFailedError(`GLPK stopped with status ${st} (not optimal)`, lp.name);
  }
  const n = lp.colNames.length, m = lp.rowNames.length;
  const x = new Float64Array(n), y = new Float64Array(m);
  const vars = res.result.vars, dual = res.result.dual ?? {};
  for (let j = 0; j < n; j++) x[j] = vars[lp.colNames[j]] ?? 0;
  for (let i = 0; i < m; i++) y[i] = dual[lp.rowNames[i]] ?? 0;
  const reducedCosts = Float64Array.from(lp.c);
  for (let i = 0; i < m; i++) {
    for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) {
      reducedCosts[lp.colIndex[k]] -= lp.values[k] * y[i];
    }
  }
  return {
    status: "optimal",
    objective: res.result.z + lp.c0,
    x,
    y,
    reducedCosts,
    solverMs: res.time * 1000,
  };
}
