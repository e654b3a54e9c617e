/**
 * A built dispatch model as data that crosses a Worker boundary: the day's
 * case, the LP's typed arrays and names, the layout and the objective
 * vectors. A Worker makes the model again from it in a few milliseconds
 * instead of rebuilding the LP (tens to hundreds of milliseconds, and the
 * garbage of a builder), and checks it first: every array's type and length,
 * every index in range, every number finite where the model needs it.
 *
 * The numbers travel in SharedArrayBuffers: a `postMessage` shares them
 * instead of copying them, so the supervisor's one copy of a day's LP
 * (about 1 MB) serves every Worker, which makes its model on those very
 * arrays; nobody writes to them. The names (about 20 000 of them, the same
 * every day of a case) travel as one UTF-8 JSON text, and a Worker that
 * received the same text before reuses the names it read then instead of
 * making 20 000 strings again. Measured on scenario 1 (7 Workers), this is
 * what kept a multi-day run's memory from growing with every day.
 *
 * @module
 */
import type { SparseLp } from "../../lp/lp.ts";
import { parseCase } from "./case.ts";
import type { DispatchLayout, DispatchModel, HubColumns, ObjectiveVariant } from "./dispatch.ts";

/** Tag of the data's format (a change of layout changes it). */
export const MODEL_DATA_FORMAT = "ies-dispatch/model-data@2";

/** The LP without its objective (the `optimal` objective vector is the LP's) and with its names as one text. */
type LpData = Omit<SparseLp, "c" | "colNames" | "rowNames"> & {
  /** UTF-8 of the JSON text `[colNames, rowNames]`. */
  names: Uint8Array;
};

/** What {@link dispatchModelData} makes and {@link dispatchModelFromData} takes. */
export interface DispatchModelData {
  /** {@link MODEL_DATA_FORMAT}. */
  format: typeof MODEL_DATA_FORMAT;
  /** The day's case (its loads already scaled by the day's factor). */
  ies: unknown;
  /** The LP's names, bounds and matrix. */
  lp: LpData;
  /** Where the physical variables sit in x. */
  layout: DispatchLayout;
  /** The objective vectors of every variant; `optimal` is the LP's own. */
  objectives: Record<ObjectiveVariant, Float64Array>;
}

const OBJECTIVES: readonly ObjectiveVariant[] = ["optimal", "selfish", "feasible"];
const HUB_COLUMNS: readonly Exclude<keyof HubColumns, "id">[] = [
  "chpElectricKw",
  "chpReactiveKvar",
  "boilerHeatKw",
  "batteryChargeKw",
  "batteryDischargeKw",
  "batteryEnergyKwh",
  "tankChargeKw",
  "tankDischargeKw",
  "tankEnergyKwh",
];

/** A copy of `a` in a SharedArrayBuffer of its own (a postMessage shares it instead of copying it). */
function shared<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  const Type = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Type(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

/** The names sent last (the lists and their shared text), sent again while a day's LP has the same names. */
let lastSent: { colNames: readonly string[]; rowNames: readonly string[]; text: Uint8Array } | undefined;

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * `[colNames, rowNames]` as UTF-8 JSON text in a SharedArrayBuffer: the text sent last when the names
 * are the same (every day of a case; nobody writes to it), else a new one.
 */
function namesText(colNames: readonly string[], rowNames: readonly string[]): Uint8Array {
  if (!lastSent || !sameNames(lastSent.colNames, colNames) || !sameNames(lastSent.rowNames, rowNames)) {
    const text = shared(new TextEncoder().encode(JSON.stringify([colNames, rowNames])));
    lastSent = { colNames, rowNames, text };
  }
  return lastSent.text;
}

/**
 * The model as structured-cloneable data, with copies of its typed arrays in SharedArrayBuffers (never
 * the model's own arrays): every Worker it is posted to shares the one copy, and none writes to it.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase } from "../../mod.ts";
 * import { dispatchModelData } from "./model_data.ts";
 * const data = dispatchModelData(buildDispatchModel(await loadUomCase()));
 * console.log(data.lp.values.buffer instanceof SharedArrayBuffer, structuredClone(data).format); // true ies-dispatch/model-data@2
 * ```
 */
export function dispatchModelData(model: DispatchModel): DispatchModelData {
  const { c: _c, colNames, rowNames, ...lp } = model.lp;
  return {
    format: MODEL_DATA_FORMAT,
    ies: model.ies,
    lp: {
      ...lp,
      names: namesText(colNames, rowNames),
      lower: shared(lp.lower),
      upper: shared(lp.upper),
      rowLower: shared(lp.rowLower),
      rowUpper: shared(lp.rowUpper),
      rowStart: shared(lp.rowStart),
      colIndex: shared(lp.colIndex),
      values: shared(lp.values),
    },
    layout: model.layout,
    objectives: {
      optimal: shared(model.objectives.optimal),
      selfish: shared(model.objectives.selfish),
      feasible: shared(model.objectives.feasible),
    },
  };
}

/** An error in problem data, naming the field. */
function bad(field: string, what: string): Error {
  return new TypeError(`ies-dispatch problem data: ${field} ${what}`);
}

function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
}

function float64s(v: unknown, name: string, length: number, finite: boolean): Float64Array {
  if (!(v instanceof Float64Array)) throw bad(name, "is not a Float64Array");
  if (v.length !== length) throw bad(name, `has ${v.length} entries, expected ${length}`);
  for (let k = 0; k < length; k++) {
    if (finite ? !Number.isFinite(v[k]) : Number.isNaN(v[k])) throw bad(`${name}[${k}]`, `is ${v[k]}`);
  }
  return v;
}

function int32s(v: unknown, name: string, length: number, below: number): Int32Array {
  if (!(v instanceof Int32Array)) throw bad(name, "is not an Int32Array");
  if (v.length !== length) throw bad(name, `has ${v.length} entries, expected ${length}`);
  for (let k = 0; k < length; k++) {
    if (v[k] < 0 || v[k] >= below) throw bad(`${name}[${k}]`, `is ${v[k]}, outside 0..${below - 1}`);
  }
  return v;
}

function names(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw bad(name, "is not a list of names");
  return v;
}

/** The names a Worker read last (its own copy of their text, and the frozen lists), reused while the text is the same. */
let lastNames: { text: Uint8Array; colNames: readonly string[]; rowNames: readonly string[] } | undefined;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The column and row names of `lp.names` (UTF-8 JSON `[colNames, rowNames]`): the lists read last time
 * when the text is the same (every day of a case), else read, checked and kept for next time.
 */
function readNames(v: unknown): { colNames: readonly string[]; rowNames: readonly string[] } {
  if (!(v instanceof Uint8Array)) throw bad("lp.names", "is not a Uint8Array");
  if (lastNames && sameBytes(lastNames.text, v)) return lastNames;
  const text = v.slice(); // its own copy: what the next day's text is compared with
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch (e) {
    throw bad("lp.names", `is not UTF-8 JSON text (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad("lp.names", "is not [colNames, rowNames]");
  const colNames = Object.freeze(names(parsed[0], "lp.colNames"));
  const rowNames = Object.freeze(names(parsed[1], "lp.rowNames"));
  lastNames = { text, colNames, rowNames };
  return lastNames;
}

function columns(v: unknown, name: string, length: number, n: number): number[] {
  if (!Array.isArray(v) || v.length !== length) throw bad(name, `is not a list of ${length} column indices`);
  v.forEach((j, t) => {
    if (!Number.isInteger(j) || j < 0 || j >= n) {
      throw bad(`${name}[${t}]`, `is ${j}, not a column 0..${n - 1}`);
    }
  });
  return v;
}

function readLp(
  v: unknown,
  c: Float64Array,
  { colNames, rowNames }: { colNames: readonly string[]; rowNames: readonly string[] },
): SparseLp {
  const n = colNames.length, m = rowNames.length;
  const name = field(v, "name"), c0 = field(v, "c0");
  if (typeof name !== "string") throw bad("lp.name", "is not text");
  if (typeof c0 !== "number" || !Number.isFinite(c0)) throw bad("lp.c0", "is not a finite number");
  const lower = float64s(field(v, "lower"), "lp.lower", n, false);
  const upper = float64s(field(v, "upper"), "lp.upper", n, false);
  const rowLower = float64s(field(v, "rowLower"), "lp.rowLower", m, false);
  const rowUpper = float64s(field(v, "rowUpper"), "lp.rowUpper", m, false);
  const rowStart = field(v, "rowStart");
  if (!(rowStart instanceof Int32Array) || rowStart.length !== m + 1 || rowStart[0] !== 0) {
    throw bad("lp.rowStart", `is not an Int32Array of ${m + 1} offsets from 0`);
  }
  for (let i = 0; i < m; i++) {
    if (rowStart[i + 1] < rowStart[i]) throw bad(`lp.rowStart[${i + 1}]`, "decreases");
  }
  const nz = rowStart[m];
  const colIndex = int32s(field(v, "colIndex"), "lp.colIndex", nz, n);
  const values = float64s(field(v, "values"), "lp.values", nz, true);
  if (c.length !== n) throw bad("objectives.optimal", `has ${c.length} entries, the LP has ${n} columns`);
  return { name, colNames, rowNames, c, c0, lower, upper, rowLower, rowUpper, rowStart, colIndex, values };
}

function readLayout(v: unknown, hours: number, hubIds: number[], n: number): DispatchLayout {
  if (field(v, "hours") !== hours) throw bad("layout.hours", `is not the case's ${hours} hours`);
  const hubs = field(v, "hubs");
  if (!Array.isArray(hubs) || hubs.length !== hubIds.length) {
    throw bad("layout.hubs", `is not a list of the case's ${hubIds.length} hubs`);
  }
  return {
    hours,
    gridImportKw: columns(field(v, "gridImportKw"), "layout.gridImportKw", hours, n),
    gridReactiveKvar: columns(field(v, "gridReactiveKvar"), "layout.gridReactiveKvar", hours, n),
    hubs: hubs.map((h, k) => {
      if (field(h, "id") !== hubIds[k]) throw bad(`layout.hubs[${k}].id`, `is not hub ${hubIds[k]}`);
      const cols = Object.fromEntries(
        HUB_COLUMNS.map((key) => [key, columns(field(h, key), `layout.hubs[${k}].${key}`, hours, n)]),
      ) as Omit<HubColumns, "id">;
      return { id: hubIds[k], ...cols };
    }),
  };
}

/**
 * The model {@link dispatchModelData} gave `data`, checked (the case by the case validator, the LP's
 * arrays by type, length and range, the layout's columns in range); throws a TypeError naming the field.
 * The model reads the data's arrays in place (shared, never written); its names are those of the
 * previous call when their text is the same.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, lpFingerprint } from "../../mod.ts";
 * import { dispatchModelData, dispatchModelFromData } from "./model_data.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const again = dispatchModelFromData(structuredClone(dispatchModelData(model)));
 * console.log(lpFingerprint(again.lp) === lpFingerprint(model.lp)); // true
 * ```
 */
export function dispatchModelFromData(data: unknown): DispatchModel {
  if (field(data, "format") !== MODEL_DATA_FORMAT) throw bad("format", `is not "${MODEL_DATA_FORMAT}"`);
  const ies = parseCase(field(data, "ies"), "problem data (the day's case)");
  const objectives = field(data, "objectives");
  const lpNames = readNames(field(field(data, "lp"), "names"));
  const n = lpNames.colNames.length;
  const vectors = Object.fromEntries(
    OBJECTIVES.map((o) => [o, float64s(field(objectives, o), `objectives.${o}`, n, true)]),
  ) as Record<ObjectiveVariant, Float64Array>;
  const lp = readLp(field(data, "lp"), vectors.optimal, lpNames);
  const layout = readLayout(field(data, "layout"), ies.horizon_hours, ies.hubs.map((h) => h.id), n);
  return { ies, lp, layout, objectives: vectors };
}
