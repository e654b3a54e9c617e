/**
 * A sparse linear program
 *
 *   min c'x + c0   subject to   rl <= A x <= ru,   l <= x <= u
 *
 * with named rows and columns, A stored row-wise (CSR) in typed arrays so
 * that one pass over the nonzeros computes both A x and A'y.
 *
 * @module
 */

/**
 * A linear program in the form min c'x + c0, rl <= Ax <= ru, l <= x <= u.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * const b = new LpBuilder("two columns");
 * const x = b.addCol("x", 0, 4, 1), y = b.addCol("y", 0, 4, 2);
 * b.addRow("sum", 3, Infinity, [[x, 1], [y, 1]]);
 * const lp = b.build();
 * console.log(Array.from(lp.rowStart), Array.from(lp.colIndex), Array.from(lp.values)); // [0, 2] [0, 1] [1, 1]
 * ```
 */
export interface SparseLp {
  /** Problem name (informational). */
  readonly name: string;
  /** Column (variable) names, unique. */
  readonly colNames: readonly string[];
  /** Row (constraint) names, unique. */
  readonly rowNames: readonly string[];
  /** Objective coefficients, one per column. */
  readonly c: Float64Array;
  /** Constant added to the objective (does not affect the optimum). */
  readonly c0: number;
  /** Column lower bounds (finite or -Infinity). */
  readonly lower: Float64Array;
  /** Column upper bounds (finite or +Infinity). */
  readonly upper: Float64Array;
  /** Row lower bounds (finite or -Infinity). */
  readonly rowLower: Float64Array;
  /** Row upper bounds (finite or +Infinity). */
  readonly rowUpper: Float64Array;
  /** CSR: row i's nonzeros are at positions rowStart[i] .. rowStart[i+1]-1. */
  readonly rowStart: Int32Array;
  /** CSR: column index of each nonzero. */
  readonly colIndex: Int32Array;
  /** CSR: value of each nonzero. */
  readonly values: Float64Array;
}

/** Number of columns, rows and nonzeros of an LP. */
export interface LpSize {
  /** Columns (variables). */
  variables: number;
  /** Rows (constraints). */
  constraints: number;
  /** Nonzero entries of A. */
  nonzeros: number;
}

/**
 * Size of an LP.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, lpSize } from "../mod.ts";
 * const { variables, constraints } = lpSize(buildDispatchModel(await loadUomCase()).lp);
 * console.log(variables > constraints); // true
 * ```
 */
export function lpSize(lp: SparseLp): LpSize {
  return {
    variables: lp.colNames.length,
    constraints: lp.rowNames.length,
    nonzeros: lp.values.length,
  };
}

/**
 * Incrementally builds a {@link SparseLp}; rows reference columns by index.
 *
 * @example
 * ```ts
 * import { LpBuilder } from "./lp.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10, 1);
 * b.addEq("fix", 3, [[x, 1]]);
 * const lp = b.build();
 * console.log(lp.colNames, lp.rowNames, b.col("x")); // ["x"] ["fix"] 0
 * ```
 */
export class LpBuilder {
  private readonly cols: { name: string; lo: number; hi: number; cost: number }[] = [];
  private readonly rows: { name: string; lo: number; hi: number }[] = [];
  private readonly starts: number[] = [0];
  private readonly idx: number[] = [];
  private readonly val: number[] = [];
  private readonly colByName = new Map<string, number>();
  private readonly rowByName = new Set<string>();
  private constant = 0;

  /** An empty LP named `name` (informational; it becomes {@link SparseLp.name}). */
  constructor(readonly name: string) {}

  /** Adds a column with bounds [lo, hi] and objective coefficient `cost`; returns its index. */
  addCol(name: string, lo: number, hi: number, cost = 0): number {
    if (this.colByName.has(name)) throw new Error(`duplicate column name ${name}`);
    if (!(lo <= hi)) throw new Error(`column ${name}: lower bound ${lo} above upper ${hi}`);
    const j = this.cols.length;
    this.cols.push({ name, lo, hi, cost });
    this.colByName.set(name, j);
    return j;
  }

  /** Adds `cost` to the objective coefficient of column j. */
  addCost(j: number, cost: number): void {
    this.cols[j].cost += cost;
  }

  /** Adds a constant to the objective. */
  addConstant(v: number): void {
    this.constant += v;
  }

  /**
   * Adds a row lo <= sum coef * x[col] <= hi. Repeated columns are summed;
   * zero coefficients are dropped. Returns the row index.
   */
  addRow(name: string, lo: number, hi: number, terms: Iterable<readonly [number, number]>): number {
    if (this.rowByName.has(name)) throw new Error(`duplicate row name ${name}`);
    if (!(lo <= hi)) throw new Error(`row ${name}: lower bound ${lo} above upper ${hi}`);
    const merged = new Map<number, number>();
    for (const [j, a] of terms) {
      if (j < 0 || j >= this.cols.length || !Number.isInteger(j)) {
        throw new Error(`row ${name}: no column ${j}`);
      }
      merged.set(j, (merged.get(j) ?? 0) + a);
    }
    for (const [j, a] of [...merged].sort((p, q) => p[0] - q[0])) {
      if (a !== 0) {
        this.idx.push(j);
        this.val.push(a);
      }
    }
    this.rows.push({ name, lo, hi });
    this.rowByName.add(name);
    this.starts.push(this.idx.length);
    return this.rows.length - 1;
  }

  /** Adds an equality row sum coef * x[col] = rhs. */
  addEq(name: string, rhs: number, terms: Iterable<readonly [number, number]>): number {
    return this.addRow(name, rhs, rhs, terms);
  }

  /** Index of a column by name. */
  col(name: string): number {
    const j = this.colByName.get(name);
    if (j === undefined) throw new Error(`no column ${name}`);
    return j;
  }

  /** Columns added so far. */
  get numCols(): number {
    return this.cols.length;
  }

  /** Freezes the builder's content into a {@link SparseLp}. */
  build(): SparseLp {
    return {
      name: this.name,
      colNames: this.cols.map((c) => c.name),
      rowNames: this.rows.map((r) => r.name),
      c: Float64Array.from(this.cols, (c) => c.cost),
      c0: this.constant,
      lower: Float64Array.from(this.cols, (c) => c.lo),
      upper: Float64Array.from(this.cols, (c) => c.hi),
      rowLower: Float64Array.from(this.rows, (r) => r.lo),
      rowUpper: Float64Array.from(this.rows, (r) => r.hi),
      rowStart: Int32Array.from(this.starts),
      colIndex: Int32Array.from(this.idx),
      values: Float64Array.from(this.val),
    };
  }
}

/**
 * The same LP with another objective (same rows, columns and bounds).
 *
 * @example
 * ```ts
 * import { LpBuilder, withObjective } from "./lp.ts";
 * const b = new LpBuilder("tiny");
 * b.addCol("x", 0, 10, 1);
 * const lp = withObjective(b.build(), Float64Array.of(-1), 5, "tiny, maximising x");
 * console.log(lp.c[0], lp.c0, lp.name); // -1 5 tiny, maximising x
 * ```
 */
export function withObjective(lp: SparseLp, c: Float64Array, c0 = 0, name = lp.name): SparseLp {
  if (c.length !== lp.c.length) throw new Error("objective length differs from column count");
  return { ...lp, name, c, c0 };
}

/**
 * The objective value c'x + c0 of x.
 *
 * @example
 * ```ts
 * import { LpBuilder, objectiveValue } from "./lp.ts";
 * const b = new LpBuilder("tiny");
 * b.addCol("x", 0, 10, 2);
 * b.addConstant(1);
 * console.log(objectiveValue(b.build(), [3])); // 7
 * ```
 */
export function objectiveValue(lp: SparseLp, x: ArrayLike<number>): number {
  let s = lp.c0;
  for (let j = 0; j < lp.c.length; j++) s += lp.c[j] * x[j];
  return s;
}

/**
 * The row activities A x, one value per row.
 *
 * @example
 * ```ts
 * import { LpBuilder, rowActivities } from "./lp.ts";
 * const b = new LpBuilder("tiny");
 * const x = b.addCol("x", 0, 10), y = b.addCol("y", 0, 10);
 * b.addRow("x+2y", 0, 20, [[x, 1], [y, 2]]);
 * console.log(rowActivities(b.build(), [1, 3])[0]); // 7
 * ```
 */
export function rowActivities(lp: SparseLp, x: ArrayLike<number>): Float64Array {
  const m = lp.rowNames.length;
  const ax = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = lp.rowStart[i]; k < lp.rowStart[i + 1]; k++) s += lp.values[k] * x[lp.colIndex[k]];
    ax[i] = s;
  }
  return ax;
}

/**
 * The same LP with one more row lo <= Σ coef x[col] <= hi appended (terms sorted by column, no repeats).
 *
 * @example
 * ```ts
 * import { LpBuilder, withExtraRow } from "./lp.ts";
 * const b = new LpBuilder("tiny");
 * b.addCol("x", 0, 10, 1);
 * const lp = withExtraRow(b.build(), "x<=4", -Infinity, 4, [[0, 1]]);
 * console.log(lp.rowNames, lp.rowUpper[0]); // ["x<=4"] 4
 * ```
 */
export function withExtraRow(
  lp: SparseLp,
  name: string,
  lo: number,
  hi: number,
  terms: readonly (readonly [number, number])[],
): SparseLp {
  const nz = lp.values.length;
  const colIndex = new Int32Array(nz + terms.length), values = new Float64Array(nz + terms.length);
  colIndex.set(lp.colIndex);
  values.set(lp.values);
  terms.forEach(([j, a], k) => {
    colIndex[nz + k] = j;
    values[nz + k] = a;
  });
  const append = (a: Float64Array, v: number) => {
    const r = new Float64Array(a.length + 1);
    r.set(a);
    r[a.length] = v;
    return r;
  };
  const rowStart = new Int32Array(lp.rowStart.length + 1);
  rowStart.set(lp.rowStart);
  rowStart[lp.rowStart.length] = nz + terms.length;
  return {
    ...lp,
    rowNames: [...lp.rowNames, name],
    rowLower: append(lp.rowLower, lo),
    rowUpper: append(lp.rowUpper, hi),
    rowStart,
    colIndex,
    values,
  };
}
