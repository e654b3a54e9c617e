/**
 * HiGHS adapter: solves a {@link SparseLp} with `npm:highs` (the HiGHS
 * solver compiled to WebAssembly) and returns the same {@link LpSolution} as
 * the GLPK adapter, with the same errors.
 *
 * The LP goes to HiGHS as arrays (its row-wise CSR matrix, bounds and
 * objective are copied into WebAssembly memory), never as LP-format text.
 * The duals follow GLPK's convention for a minimisation: z = c - A'y, so a
 * binding `>=` row has y >= 0 and a binding `<=` row y <= 0. Every zero in x, y
 * and z is +0 (a -0 hashes differently from +0 and changes its bytes when a
 * ledger writes it as JSON and reads it back).
 *
 * The WebAssembly module is loaded once per process (or Worker) on first use;
 * it reads the .wasm file from the npm cache, so it needs read permission.
 * Each solve creates its own HiGHS instance and destroys it before returning.
 *
 * @module
 */
import type { Highs, InitOptions, Model, ModelData } from "highs";
import {
  LpInfeasibleError,
  type LpSolution,
  LpUnboundedError,
  type SolveOptions,
  SolverError,
  SolverFailedError,
} from "./glpk.ts";
import type { SparseLp } from "./lp.ts";

let instance: Promise<Highs> | undefined;
/** Where HiGHS's own log goes during a verbose solve; nowhere otherwise. */
let logSink: ((line: string) => void) | undefined;

/** The process-wide HiGHS module, loaded on first call; a failed load is not cached (the next call retries). */
function highs(): Promise<Highs> {
  instance ??= loadHighs().catch((e) => {
    instance = undefined;
    throw e;
  });
  return instance;
}

/**
 * Size of the HiGHS module's WebAssembly memory, bytes (loading the module if need be). The
 * memory grows when HiGHS needs more and never shrinks, so a leak shows as steady growth
 * over repeated solves of the same LP.
 *
 * @example
 * ```ts
 * import { highsMemoryBytes } from "./highs.ts";
 * console.log((await highsMemoryBytes()) % 65536); // 0 (whole WebAssembly pages)
 * ```
 */
export async function highsMemoryBytes(): Promise<number> {
  return (await highs()).memoryBytes;
}

/** The loader `npm:highs` exports, as its ES module (the one Deno imports) has it. */
type HighsLoader = (options?: InitOptions) => Promise<Highs>;

async function loadHighs(): Promise<Highs> {
  // The package's types describe its CommonJS build, whose default export is the module
  // object; the ES module build that Deno loads exports the loader itself.
  const load: unknown = (await import("highs")).default;
  if (typeof load !== "function") throw new Error("npm:highs exports no loader function");
  return await (load as HighsLoader)({
    print: (line) => logSink?.(line),
    printErr: (line) => logSink?.(line),
  });
}

/** The LP in HiGHS's array form: the CSR matrix, bounds and objective are passed as they are. */
function toHighsModel(lp: SparseLp): ModelData {
  const numCols = lp.colNames.length, numRows = lp.rowNames.length;
  return {
    numCols,
    numRows,
    offset: lp.c0,
    colCost: lp.c,
    colLower: lp.lower,
    colUpper: lp.upper,
    rowLower: lp.rowLower,
    rowUpper: lp.rowUpper,
    matrix: {
      format: "csr",
      numRows,
      numCols,
      starts: lp.rowStart,
      indices: lp.colIndex,
      values: lp.values,
    },
  };
}

/** v with -0 replaced by +0 (IEEE 754: -0 + 0 is +0 when rounding to nearest). */
function plusZero(v: number): number {
  return v + 0;
}

/** A copy of `a` with every -0 replaced by +0. */
function withoutNegativeZeros(a: Float64Array): Float64Array {
  const r = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) r[k] = plusZero(a[k]);
  return r;
}

/** z = c - A'y, with +0 for zeros. */
function reducedCostsOf(lp: SparseLp, y: Float64Array): Float64Array {
  const z = Float64Array.from(lp.c);
  for (let i = 0; i < y.length; i++) {
    for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) z[lp.colIndex[k]] -= lp.values[k] * y[i];
  }
  for (let j = 0; j < z.length; j++) z[j] = plusZero(z[j]);
  return z;
}

/** Sets the options of one solve: silent unless verbose, presolve, time limit. */
function applyOptions(model: Model, options: SolveOptions): void {
  model.options.set({
    output_flag: options.verbose ?? false,
    presolve: (options.presolve ?? true) ? "choose" : "off",
  });
  if (options.timeLimitSec !== undefined) model.options.set("time_limit", options.timeLimitSec);
}

/** Runs the model; when presolve finds it "infeasible or unbounded", runs it again without presolve to tell which. */
function run(h: Highs, model: Model, options: SolveOptions): number {
  logSink = options.verbose ? (line) => console.log(line) : undefined;
  try {
    let status = model.run().modelStatus;
    if (status === h.constants.modelStatus.unboundedOrInfeasible && (options.presolve ?? true)) {
      model.options.set("presolve", "off");
      status = model.run().modelStatus;
    }
    return status;
  } finally {
    logSink = undefined;
  }
}

/** The status names of HiGHS's model status codes, for error messages. */
function statusName(h: Highs, status: number): string {
  const e = Object.entries(h.constants.modelStatus).find(([, code]) => code === status);
  return e ? e[0] : `code ${status}`;
}

/** Throws the error for a status other than optimal. */
function throwUnlessOptimal(h: Highs, model: Model, status: number, lp: SparseLp): void {
  const s = h.constants.modelStatus;
  if (status === s.infeasible) {
    throw new LpInfeasibleError("infeasible: no dispatch satisfies every constraint", lp.name);
  }
  if (status === s.unbounded) throw new LpUnboundedError("unbounded objective", lp.name);
  if (status !== s.optimal) {
    throw new SolverFailedError(`HiGHS stopped with status ${statusName(h, status)} (not optimal)`, lp.name);
  }
  const feasible = h.constants.solutionStatus.feasible;
  for (const side of ["primal", "dual"]) {
    if (model.info.get(`${side}_solution_status`) !== feasible) {
      throw new SolverFailedError(`HiGHS reports an optimum without a feasible ${side} solution`, lp.name);
    }
  }
}

/** Reads x, y, z and the objective of a solved model. */
function readSolution(model: Model, lp: SparseLp): LpSolution {
  const sol = model.getSolution();
  const x = withoutNegativeZeros(sol.colValue), y = withoutNegativeZeros(sol.rowDual);
  return {
    status: "optimal",
    objective: model.getObjectiveValue(),
    x,
    y,
    reducedCosts: reducedCostsOf(lp, y),
    solverMs: model.getRunTime() * 1000,
  };
}

/**
 * An LP without columns (HiGHS calls it "empty" and solves nothing): its only point x = []
 * is optimal, with y = 0, when every row admits the activity 0, and it is infeasible otherwise.
 */
function solveWithoutColumns(lp: SparseLp): LpSolution {
  for (let i = 0; i < lp.rowNames.length; i++) {
    if (!(lp.rowLower[i] <= 0 && 0 <= lp.rowUpper[i])) {
      throw new LpInfeasibleError(`infeasible: row ${lp.rowNames[i]} has no columns and excludes 0`, lp.name);
    }
  }
  const none = new Float64Array(0);
  return {
    status: "optimal",
    objective: lp.c0,
    x: none,
    y: new Float64Array(lp.rowNames.length),
    reducedCosts: none,
    solverMs: 0,
  };
}

/**
 * Solves `lp` to optimality with HiGHS. Throws {@link LpInfeasibleError},
 * {@link LpUnboundedError} or {@link SolverFailedError} otherwise, as
 * GLPK's `solveLp` does. `solverMs` is HiGHS's own run time.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * import { solveLpHighs } from "./highs.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10, 1);
 * b.addRow("atLeast3", 3, Infinity, [[x, 1]]);
 * const sol = await solveLpHighs(b.build());
 * console.log(sol.objective, sol.y[0]); // 3 1
 * ```
 */
export async function solveLpHighs(lp: SparseLp, options: SolveOptions = {}): Promise<LpSolution> {
  if (lp.colNames.length === 0) return solveWithoutColumns(lp);
  const h = await highs();
  let model: Model;
  try {
    model = h.createModel(toHighsModel(lp));
  } catch (e) {
    throw new SolverFailedError(`HiGHS refused the LP: ${e instanceof Error ? e.message : e}`, lp.name);
  }
  try {
    applyOptions(model, options);
    throwUnlessOptimal(h, model, run(h, model, options), lp);
    return readSolution(model, lp);
  } catch (e) {
    if (e instanceof SolverError) throw e;
    throw new SolverFailedError(`HiGHS failed: ${e instanceof Error ? e.message : e}`, lp.name);
  } finally {
    model.dispose();
  }
}
