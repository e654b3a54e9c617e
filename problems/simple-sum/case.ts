/**
 * A SimpleSum case: named numbers, one per node, whose sum the leader
 * proposes. The file is JSON:
 *
 * ```json
 * { "name": "seven nodes", "values": { "A": 120, "B": 85, "C": 40 } }
 * ```
 *
 * - `name`: text, 1 to {@link MAX_SUM_CASE_NAME_CHARS} characters (recorded in the genesis);
 * - `values`: 1 to {@link MAX_SUM_VALUES} entries; each key is the label of the node that holds
 *   the number (a node name or id: 1-32 letters, digits, `_` or `-`, unique also ignoring case),
 *   each value a finite number in [-{@link MAX_ABS_VALUE}, {@link MAX_ABS_VALUE}] (no unit: the
 *   trace prints the sum after `Σ`, verifier.ts SUM_COST).
 *
 * Nothing else is allowed: an unknown key is an error naming it. Labels are not checked against a
 * scenario's participants (a case does not know the scenario that runs it); they name the numbers
 * in the report. The file is read at most {@link MAX_SUM_CASE_BYTES} bytes far.
 *
 * @module
 */
import { nodeNameProblem } from "../../actors/files.ts";
import { CaseError } from "../case_error.ts";
import {
  describeJson as describe,
  isJsonObject as isObject,
  loadJsonCase,
  unknownFieldDetail,
} from "../case_json.ts";

/** A SimpleSum case, as its file holds it (the validated form is the same object shape). */
export interface SumCase {
  /** The case's name. */
  name: string;
  /** Node label → the number that node holds. */
  values: Record<string, number>;
}

/** Most entries of `values`: as many as a scenario has participants at most (scenarios/loader.ts). */
export const MAX_SUM_VALUES = 100;

/**
 * Largest magnitude of one value. With {@link MAX_SUM_VALUES} of them and the day's ±5 % the sum
 * stays below 1.1e8, where a double still resolves 1.5e-8: far finer than the checker's one-cent
 * gap tolerance (lp/certificate.ts GAP_TOLERANCE_USD).
 */
export const MAX_ABS_VALUE = 1e6;

/** Longest case name, characters. */
export const MAX_SUM_CASE_NAME_CHARS = 200;

/** Largest case file, bytes (64 KiB; 100 entries take about 3 KiB). */
export const MAX_SUM_CASE_BYTES = 64 * 1024;

/** The keys a case may have. */
const CASE_KEYS = ["name", "values"] as const;

/** `values.A`, or `values["a b"]` for a label that is not a plain name (in an error message). */
const valuePath = (label: string) =>
  /^[A-Za-z0-9_-]+$/.test(label) ? `values.${label}` : `values[${JSON.stringify(label.slice(0, 40))}]`;

function parseValues(raw: unknown, file?: string): Record<string, number> {
  if (!isObject(raw)) throw new CaseError("values", `expected an object, found ${describe(raw)}`, file);
  const labels = Object.keys(raw);
  if (labels.length === 0) throw new CaseError("values", "needs at least one node's number", file);
  if (labels.length > MAX_SUM_VALUES) {
    throw new CaseError(
      "values",
      `has ${labels.length} entries, at most ${MAX_SUM_VALUES} are allowed`,
      file,
    );
  }
  const seen = new Map<string, string>();
  const values: Record<string, number> = {};
  for (const label of labels) {
    const path = valuePath(label);
    const bad = nodeNameProblem(label);
    if (bad) throw new CaseError(path, `not a node name or id: ${bad}`, file);
    const other = seen.get(label.toLowerCase());
    if (other !== undefined) throw new CaseError(path, `same label as ${other}, ignoring case`, file);
    seen.set(label.toLowerCase(), label);
    const v = raw[label];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new CaseError(path, `expected a finite number, found ${describe(v)}`, file);
    }
    if (Math.abs(v) > MAX_ABS_VALUE) {
      throw new CaseError(path, `${v} is outside [-${MAX_ABS_VALUE}, ${MAX_ABS_VALUE}]`, file);
    }
    // Defined, not assigned: a label `__proto__` stays an entry even where `__proto__` is an accessor
    // (Deno removes it by default; `--unstable-unsafe-proto` and other runtimes keep it).
    Object.defineProperty(values, label, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return values;
}

/**
 * Validates a parsed SimpleSum case; throws a {@link CaseError} naming the field (and `file`).
 * Returns a fresh object (nothing of `value` is kept).
 *
 * @example
 * ```ts
 * import { parseSumCase } from "./case.ts";
 * console.log(parseSumCase({ name: "two", values: { A: 1, B: 2 } }).values); // { A: 1, B: 2 }
 * try {
 *   parseSumCase({ name: "two", values: { A: 1, B: "2" } }, "two.json");
 * } catch (e) {
 *   console.log((e as Error).message); // two.json: values.B: expected a finite number, found the string "2"
 * }
 * ```
 */
export function parseSumCase(value: unknown, file?: string): SumCase {
  if (!isObject(value)) throw new CaseError("", `expected an object, found ${describe(value)}`, file);
  for (const key of Object.keys(value)) {
    if (!(CASE_KEYS as readonly string[]).includes(key)) {
      throw new CaseError(key.slice(0, 40), unknownFieldDetail(key, CASE_KEYS), file);
    }
  }
  for (const key of CASE_KEYS) if (!(key in value)) throw new CaseError(key, "missing field", file);
  const name = value.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new CaseError("name", `expected a non-empty string, found ${describe(name)}`, file);
  }
  if (name.length > MAX_SUM_CASE_NAME_CHARS) {
    throw new CaseError(
      "name",
      `has ${name.length} characters, at most ${MAX_SUM_CASE_NAME_CHARS} are allowed`,
      file,
    );
  }
  return { name, values: parseValues(value.values, file) };
}

/**
 * Reads and validates a SimpleSum case file (JSON); errors name the file and the field.
 *
 * @example
 * ```ts
 * import { loadSumCase, SIMPLE_SUM_CASE_URL } from "./case.ts";
 * const c = await loadSumCase(SIMPLE_SUM_CASE_URL);
 * console.log(Object.keys(c.values).length); // 7
 * ```
 */
export function loadSumCase(path: string | URL): Promise<SumCase> {
  return loadJsonCase(path, MAX_SUM_CASE_BYTES, "SimpleSum case files", parseSumCase);
}

/** The bundled example case (`problems/simple-sum/data/simple-sum.json`): scenario 1's seven nodes, sum 1000. */
export const SIMPLE_SUM_CASE_URL: URL = new URL("./data/simple-sum.json", import.meta.url);
