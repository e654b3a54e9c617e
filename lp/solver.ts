/**
 * The LP solver back ends behind one interface: GLPK (`npm:glpk.js`) and
 * HiGHS (`npm:highs`), both WebAssembly, both returning an {@link LpSolution}
 * with the duals in the same convention (z = c - A'y for a minimisation) and
 * throwing the same errors. A follower's certificate check does not depend on
 * which one the leader used.
 *
 * @module
 */
import type { LpSolution, SolveOptions } from "./glpk.ts";
import { LpBuilder, type SparseLp } from "./lp.ts";

/**
 * The solver back ends, by name.
 *
 * @example
 * ```ts
 * import { SOLVERS } from "./solver.ts";
 * console.log(SOLVERS.join(", ")); // glpk, highs
 * ```
 */
export const SOLVERS = ["glpk", "highs"] as const;

/** A solver back end: `glpk` or `highs`. */
export type SolverName = typeof SOLVERS[number];

/**
 * The faster back end on the UoM dispatch LP (bench/solvers_bench.ts: HiGHS solves it
 * in about a fifth of GLPK's time, and larger LPs in a small fraction of it).
 *
 * @example
 * ```ts
 * import { DEFAULT_SOLVER } from "./solver.ts";
 * console.log(DEFAULT_SOLVER); // highs
 * ```
 */
export const DEFAULT_SOLVER: SolverName = "highs";

/**
 * Whether `v` names a solver back end (for parsing a scenario's `solver:` or a `--solver` option).
 *
 * @example
 * ```ts
 * import { isSolverName } from "./solver.ts";
 * console.log(isSolverName("highs"), isSolverName("HiGHS"), isSolverName(1)); // true false false
 * ```
 */
export function isSolverName(v: unknown): v is SolverName {
  return (SOLVERS as readonly unknown[]).includes(v);
}

/**
 * Solves `lp` with back end `name`. Neither back end's x, y or reduced costs hold a -0 (every
 * zero is +0, so a certificate's bytes and ledger encoding do not depend on the solver's signs
 * of zero). Throws `LpInfeasibleError`, `LpUnboundedError` or `SolverFailedError`
 * when there is no optimum, and an `Error` naming the back ends for an unknown `name`.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * import { solveWith } from "./solver.ts";
 * const b = new LpBuilder("tiny");
 * b.addRow("x>=3", 3, Infinity, [[b.addCol("x", 0, 10, 2), 1]]);
 * const lp = b.build();
 * const [g, h] = [await solveWith("glpk", lp), await solveWith("highs", lp)];
 * console.log(g.objective, h.objective, g.y[0], h.y[0]); // 6 6 2 2
 * ```
 */
export async function solveWith(
  name: SolverName,
  lp: SparseLp,
  options: SolveOptions = {},
): Promise<LpSolution> {
  // Each back end's module is loaded on first use: a process or Worker that never solves (a normal
  // node, a market participant) never parses glpk.js or HiGHS's glue code.
  switch (name) {
    case "glpk":
      return await (await import("./glpk.ts")).solveLp(lp, options);
    case "highs":
      return await (await import("./highs.ts")).solveLpHighs(lp, options);
    default:
      throw new Error(`unknown solver ${JSON.stringify(name)}: expected one of ${SOLVERS.join(", ")}`);
  }
}

/** Back ends already loaded in this process (or Worker) by {@link loadSolver}. */
const loaded = new Map<SolverName, Promise<void>>();

/**
 * Loads back end `name` in this process (or Worker) and runs it once on a one-column LP, so that
 * the first real solve pays neither the loading and compiling of its WebAssembly module nor a cold
 * first call (what a delegate does at start-up, before it may have to lead). Loading twice is free;
 * a failed load is retried on the next call. Throws like {@link solveWith}.
 *
 * @example
 * ```ts
 * import { loadSolver } from "./solver.ts";
 * await loadSolver("highs");
 * console.log("loaded"); // loaded
 * ```
 */
export function loadSolver(name: SolverName): Promise<void> {
  let p = loaded.get(name);
  if (!p) {
    const b = new LpBuilder(`${name} warm-up`);
    b.addRow("x>=1", 1, Infinity, [[b.addCol("x", 0, 2, 1), 1]]);
    p = solveWith(name, b.build()).then(() => {});
    loaded.set(name, p);
    p.catch(() => loaded.delete(name));
  }
  return p;
}
