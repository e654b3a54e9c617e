/**
 * GLPK adapter: solves a {@link SparseLp} with the simplex method of
 * `npm:glpk.js` (GLPK compiled to WebAssembly) and returns the primal
 * solution, the row duals and the reduced costs.
 *
 * The WebAssembly module is loaded once per process (or Worker) on first use;
 * that is the only place in lp/ that touches the runtime (it reads the
 * .wasm file, so it needs read permission).
 *
 * @module
 */
import GLPK from "glpk.js";
import type { SparseLp } from "./lp.ts";

/** A name and its coefficient, as glpk.js lists the terms of the objective and of each row. */
export interface GlpkTerm {
  /** Column name. */
  name: string;
  /** Coefficient (the unit of the objective or row per unit of the column). */
  coef: number;
}

/** A bound in glpk.js's object format. */
export interface GlpkBound {
  /** One of the GLP_FR, GLP_LO, GLP_UP, GLP_DB, GLP_FX constants of {@link GlpkInstance}. */
  type: number;
  /** Upper bound (ignored unless `type` has one). */
  ub: number;
  /** Lower bound (ignored unless `type` has one). */
  lb: number;
}

/**
 * A linear program in glpk.js's object format (its `LP` type, without the MIP fields):
 * what {@link toGlpk} makes and {@link GlpkInstance.solve} takes.
 */
export interface GlpkLp {
  /** Problem name. */
  name: string;
  /** The objective: GLP_MIN or GLP_MAX, a name and a term per column. */
  objective: { direction: number; name: string; vars: GlpkTerm[] };
  /** The rows: name, terms and bounds. */
  subjectTo: { name: string; vars: GlpkTerm[]; bnds: GlpkBound }[];
  /** The column bounds, by column name. */
  bounds?: ({ name: string } & GlpkBound)[];
}

/** Options of {@link GlpkInstance.solve} that this module passes. */
export interface GlpkSolveOptions {
  /** Message level: GLP_MSG_OFF or GLP_MSG_ON. */
  msglev?: number;
  /** Use the LP presolver. */
  presol?: boolean;
  /** Time limit, s. */
  tmlim?: number;
}

/** What {@link GlpkInstance.solve} returns (glpk.js's `Result`, the fields this module reads). */
export interface GlpkResult {
  /** Problem name. */
  name: string;
  /** Solve time, s. */
  time: number;
  /** The outcome. */
  result: {
    /** Solution status: one of the GLP_* status constants of {@link GlpkInstance}. */
    status: number;
    /** Objective value c'x (without the constant c0). */
    z: number;
    /** Primal values by column name. */
    vars: Record<string, number>;
    /** Row duals by row name (simplex only). */
    dual?: Record<string, number>;
  };
}

/** A loaded glpk.js instance, as {@link glpk} returns it: the constants and the `solve` this module uses. */
export interface GlpkInstance {
  /** Objective direction: minimise. */
  readonly GLP_MIN: number;
  /** Bound type: free (no bound). */
  readonly GLP_FR: number;
  /** Bound type: lower bound only. */
  readonly GLP_LO: number;
  /** Bound type: upper bound only. */
  readonly GLP_UP: number;
  /** Bound type: both bounds. */
  readonly GLP_DB: number;
  /** Bound type: fixed (lower = upper). */
  readonly GLP_FX: number;
  /** Message level: silent. */
  readonly GLP_MSG_OFF: number;
  /** Message level: GLPK's normal log. */
  readonly GLP_MSG_ON: number;
  /** Solution status: undefined. */
  readonly GLP_UNDEF: number;
  /** Solution status: infeasible. */
  readonly GLP_INFEAS: number;
  /** Solution status: no feasible solution exists. */
  readonly GLP_NOFEAS: number;
  /** Solution status: optimal. */
  readonly GLP_OPT: number;
  /** Solution status: unbounded. */
  readonly GLP_UNBND: number;
  /** Solves an LP (synchronously). */
  solve(lp: GlpkLp, options?: GlpkSolveOptions): GlpkResult;
}

/**
 * An optimal LP solution.
 *
 * @example
 * ```ts
 * import { LpBuilder, solveLp } from "../mod.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10, 2);
 * b.addRow("atLeast3", 3, Infinity, [[x, 1]]);
 * const sol = await solveLp(b.build());
 * console.log(sol.x[0], sol.y[0], sol.reducedCosts[0]); // 3 2 0
 * ```
 */
export interface LpSolution {
  /** Always "optimal": other outcomes throw. */
  status: "optimal";
  /** c'x + c0 at the solution. */
  objective: number;
  /** Primal values, one per column (every zero +0, never -0). */
  x: Float64Array;
  /** Row duals (Lagrange multipliers), one per row; z = c - A'y (every zero +0). */
  y: Float64Array;
  /** Reduced costs z = c - A'y, one per column (every zero +0). */
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

/**
 * Base class of solver outcomes other than an optimum.
 *
 * @example
 * ```ts
 * import { LpBuilder, solveLp, SolverError } from "../mod.ts";
 * const b = new LpBuilder("impossible");
 * const x = b.addCol("x", 0, 1);
 * b.addRow("x>=2", 2, Infinity, [[x, 1]]);
 * try {
 *   await solveLp(b.build());
 * } catch (e) {
 *   if (e instanceof SolverError) console.log(e.name, e.lpName); // LpInfeasibleError impossible
 * }
 * ```
 */
export class SolverError extends Error {
  /**
   * An error about LP `lpName`; the message is `<lpName>: <message>`.
   *
   * @param message what happened
   * @param lpName the name of the LP
   */
  constructor(message: string, readonly lpName: string) {
    super(`${lpName}: ${message}`);
    this.name = new.target.name;
  }
}

/**
 * The LP has no feasible point.
 *
 * @example
 * ```ts
 * import { LpBuilder, LpInfeasibleError, solveLp } from "../mod.ts";
 * const b = new LpBuilder("impossible");
 * b.addRow("0>=1", 1, Infinity, [[b.addCol("x", 0, 1), 0]]);
 * console.log(await solveLp(b.build()).catch((e) => e instanceof LpInfeasibleError)); // true
 * ```
 */
export class LpInfeasibleError extends SolverError {}
/**
 * The LP's objective is unbounded below.
 *
 * @example
 * ```ts
 * import { LpBuilder, LpUnboundedError, solveLp } from "../mod.ts";
 * const b = new LpBuilder("unbounded");
 * b.addCol("x", -Infinity, 0, 1);
 * console.log(await solveLp(b.build()).catch((e) => e instanceof LpUnboundedError)); // true
 * ```
 */
export class LpUnboundedError extends SolverError {}
/**
 * GLPK stopped without a verdict (time limit, numerical trouble, bad input).
 *
 * @example
 * ```ts
 * import { SolverError, SolverFailedError } from "../mod.ts";
 * const e = new SolverFailedError("GLPK stopped with status 1 (not optimal)", "day 1");
 * console.log(e instanceof SolverError, e.message); // true day 1: GLPK stopped with status 1 (not optimal)
 * ```
 */
export class SolverFailedError extends SolverError {}

let instance: Promise<GlpkInstance> | undefined;

/**
 * The process-wide GLPK instance (loaded on first call; needs read permission for the .wasm file).
 *
 * @example
 * ```ts
 * import { glpk } from "./glpk.ts";
 * const g = await glpk();
 * console.log(g === await glpk(), typeof g.solve); // true function
 * ```
 */
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

/**
 * Converts a SparseLp to glpk.js's object format.
 *
 * @example
 * ```ts
 * import { glpk, LpBuilder, toGlpk } from "../mod.ts";
 * const b = new LpBuilder("tiny");
 * b.addCol("x", 0, 10, 1);
 * const problem = toGlpk(await glpk(), b.build());
 * console.log(problem.objective.vars); // [{ name: "x", coef: 1 }]
 * ```
 */
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
  // GLP_NOFEAS proves that no feasible point exists; GLP_INFEAS only says the current point is not
  // feasible (a time limit, say): that is a failure, not a verdict on the LP.
  if (st === g.GLP_NOFEAS) {
    throw new LpInfeasibleError("infeasible: no dispatch satisfies every constraint", lp.name);
  }
  if (st === g.GLP_UNBND) throw new LpUnboundedError("unbounded objective", lp.name);
  if (st !== g.GLP_OPT) {
    throw new SolverFailedError(`GLPK stopped with status ${st} (not optimal)`, lp.name);
  }
  const n = lp.colNames.length, m = lp.rowNames.length;
  const x = new Float64Array(n), y = new Float64Array(m);
  const vars = res.result.vars, dual = res.result.dual ?? {};
  // `+ 0` turns GLPK's -0s (24 in the UoM case's duals) into +0 (IEEE 754: -0 + 0 is +0
  // when rounding to nearest): a -0 is stored as a value by the ledger's sparse encoding.
  for (let j = 0; j < n; j++) x[j] = (vars[lp.colNames[j]] ?? 0) + 0;
  for (let i = 0; i < m; i++) y[i] = (dual[lp.rowNames[i]] ?? 0) + 0;
  const reducedCosts = Float64Array.from(lp.c);
  for (let i = 0; i < m; i++) {
    for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) {
      reducedCosts[lp.colIndex[k]] -= lp.values[k] * y[i];
    }
  }
  for (let j = 0; j < n; j++) reducedCosts[j] += 0;
  return {
    status: "optimal",
    objective: res.result.z + lp.c0,
    x,
    y,
    reducedCosts,
    solverMs: res.time * 1000,
  };
}
