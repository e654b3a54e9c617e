/**
 * `poso run scenario.yaml`: run a scenario on Worker actors (default) or in
 * the deterministic simulator, and print its trace; and reading back the
 * JSON that `poso run --json` prints (for `poso report`).
 *
 * @module
 */
import { runDays } from "../actors/supervisor.ts";
import { loadProposalBook, simConfigFor, simulate } from "../actors/simulator.ts";
import { makeVerifier } from "../consensus/digest.ts";
import type { RunReport } from "../consensus/report.ts";
import { loadUomCase } from "../models/case.ts";
import { buildDispatchModel } from "../models/dispatch.ts";
import { summariseDispatch } from "../models/dispatch_summary.ts";
import { loadScenarioFile, readFailure, type Scenario } from "../scenarios/loader.ts";

/** Options of {@link runScenarioFile}. */
export interface RunOptions {
  /** Run in the deterministic simulator (virtual time) instead of on Workers. */
  simulate?: boolean;
  /** Overrides the scenario's seed (simulator message order and delays; day load factors). */
  seed?: number;
  /** Overrides the scenario's round timeout, s. */
  timeoutSec?: number;
  /** Data directory of the ledgers (Workers only; default ./poso-data). */
  dataDir?: string;
  /** Days to dispatch (Workers only; default the scenario's days, 1). */
  days?: number;
  /** Dispatch until the chain holds this block height (Workers only; overrides `days`). */
  untilHeight?: number;
  /** One-line progress notes. */
  progress?: (line: string) => void;
}

/** Runs the simulator on a loaded scenario (one block). */
export async function simulateScenario(scenario: Scenario, roundTimeoutMs: number): Promise<RunReport> {
  const model = buildDispatchModel(await loadUomCase());
  const book = await loadProposalBook(model);
  const { report } = await simulate(
    makeVerifier(model),
    book,
    simConfigFor(scenario, { roundTimeoutMs, dispatchOf: (p) => summariseDispatch(model, p.certificate) }),
  );
  return report;
}

/** Loads a scenario file and runs it; returns the scenario and the trace of every day. */
export async function runScenarioFile(
  file: string,
  options: RunOptions = {},
): Promise<{ scenario: Scenario; reports: RunReport[] }> {
  const loaded = await loadScenarioFile(file);
  const scenario = options.seed === undefined ? loaded : { ...loaded, seed: options.seed };
  const roundTimeoutMs = options.timeoutSec === undefined
    ? scenario.roundTimeoutMs
    : Math.round(options.timeoutSec * 1000);
  const reports = options.simulate
    ? [await simulateScenario(scenario, roundTimeoutMs)]
    : await runDays(scenario, {
      roundTimeoutMs,
      progress: options.progress,
      dataDir: options.dataDir,
      days: options.days,
      untilHeight: options.untilHeight,
    });
  return { scenario, reports };
}

// ---------------------------------------------------------------------------
// Reading back what `poso run --json` printed

/**
 * A run-report file that cannot be used: the message names the file and the missing or bad field.
 *
 * @example
 * ```ts
 * import { ReportFileError } from "./run.ts";
 * console.log(new ReportFileError("run.json", "rounds: missing").message); // "run.json: rounds: missing"
 * ```
 */
export class ReportFileError extends Error {
  /**
   * @param file the file given on the command line
   * @param detail what is wrong, e.g. `rounds: missing`
   */
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = "ReportFileError";
  }
}

/**
 * Options of {@link readRunReportFile}.
 *
 * @example
 * ```ts
 * import type { ReadReportOptions } from "./run.ts";
 * const thirdDay: ReadReportOptions = { day: 3 };
 * ```
 */
export interface ReadReportOptions {
  /**
   * The day of a multi-day run to take: the block height its `day` field names (the `day` column of the
   * days table), or for reports without `day` the 1-based position in the array. Default: the last.
   */
  day?: number;
}

/** A value at a JSON path; the checks below throw a {@link ReportFileError} naming the path. */
class Field {
  constructor(readonly file: string, readonly path: string, readonly value: unknown) {}

  at(key: string | number): Field {
    const path = typeof key === "number" ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    const v = this.value as Record<string | number, unknown>;
    return new Field(this.file, path, v[key]);
  }

  fail(expected: string): never {
    const v = this.value;
    const got = v === undefined
      ? "missing"
      : `expected ${expected}, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`;
    throw new ReportFileError(this.file, `${this.path || "the top level"}: ${got}`);
  }

  object(): this {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail("an object");
    return this;
  }

  array(): Field[] {
    if (!Array.isArray(this.value)) this.fail("an array");
    return (this.value as unknown[]).map((_, i) => this.at(i));
  }

  /** The entries of an object, each checked by `each`. */
  entries(each: (f: Field) => void): this {
    this.object();
    for (const k of Object.keys(this.value as object)) each(this.at(k));
    return this;
  }

  string(): this {
    if (typeof this.value !== "string") this.fail("a string");
    return this;
  }

  number(): this {
    if (typeof this.value !== "number" || !Number.isFinite(this.value)) this.fail("a number");
    return this;
  }

  strings(): this {
    for (const f of this.array()) f.string();
    return this;
  }

  numbers(): this {
    for (const f of this.array()) f.number();
    return this;
  }

  optional(check: (f: Field) => void): this {
    if (this.value !== undefined) check(this);
    return this;
  }
}

function checkPowerSeries(f: Field): void {
  f.object();
  f.at("key").string();
  f.at("label").string();
  f.at("kw").numbers();
}

function checkBalance(f: Field): void {
  f.object();
  for (const s of f.at("supply").array()) checkPowerSeries(s);
  for (const s of f.at("charge").array()) checkPowerSeries(s);
  for (const k of ["loadKw", "lossKw", "residualKw", "toleranceKw"]) f.at(k).numbers();
}

function checkStorage(f: Field): void {
  f.object();
  f.at("label").string();
  f.at("hub").number();
  f.at("kwh").numbers();
  f.at("minKwh").number();
  f.at("capacityKwh").number();
}

/** Checks what renderReportHtml reads of one run report; throws a ReportFileError naming the first bad field. */
function checkRunReport(f: Field): RunReport {
  f.object();
  f.at("scenario").string();
  f.at("runtime").string();
  f.at("seed").number();
  for (const r of f.at("rounds").array()) {
    r.object();
    r.at("round").number();
    r.at("leader").string();
    r.at("received").entries((c) => c.strings());
    r.at("decision").entries((c) => c.string());
    r.at("rejected").entries((c) => c.strings());
    r.at("blacklist").entries((c) => c.strings());
    for (const d of r.at("dropped").array()) d.object().at("to").string();
    r.at("notes").strings();
  }
  const normal = f.at("normal").object();
  normal.at("received").entries((c) => c.strings());
  normal.at("accepted").entries((c) => {
    if (c.value !== null) c.number();
  });
  const outcome = f.at("outcome");
  if (outcome.value !== null) {
    outcome.object();
    outcome.at("round").number();
    outcome.at("leader").string();
    outcome.at("costUsd").number();
  }
  f.at("notices").strings();
  f.at("day").optional((d) => d.object().at("height").number());
  f.at("dispatch").optional((d) => {
    d.object();
    d.at("costUsd").number();
    d.at("gapUsd").number();
    d.at("verdict").string();
    const s = d.at("series").object();
    s.at("caseName").string();
    s.at("hours").number();
    checkBalance(s.at("electricity"));
    checkBalance(s.at("heat"));
    for (const b of s.at("battery").array()) checkStorage(b);
    for (const b of s.at("heatTank").array()) checkStorage(b);
  });
  return f.value as RunReport;
}

/**
 * Reads the JSON that `poso run --json` printed (one run report, or an array
 * of them for a multi-day run), takes the requested day (default the last)
 * and checks every field the HTML report reads. Returns that report, the
 * number of days in the file and the day taken. Every problem is a
 * {@link ReportFileError} naming the file and the field, e.g.
 * `run.json: rounds: missing` or `run.json: [1].outcome.costUsd: expected a number, got string`.
 * Errors reading the file (no such file, no permission) are ReportFileErrors too.
 *
 * @example
 * ```ts ignore
 * import { readRunReportFile } from "./run.ts";
 * const { report, days } = await readRunReportFile("out/week.json", { day: 3 });
 * console.log(days, report.outcome?.costUsd);
 * ```
 */
export async function readRunReportFile(
  file: string,
  options: ReadReportOptions = {},
): Promise<{ report: RunReport; days: number; day: number }> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new ReportFileError(file, readFailure(e));
  }
  if (text.trim() === "") throw new ReportFileError(file, "is empty; expected what `poso run --json` prints");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReportFileError(
      file,
      `not valid JSON (${(e as Error).message}); expected what \`poso run --json\` prints`,
    );
  }
  /** The block height a report names, else its 1-based position. */
  const dayOf = (value: unknown, position: number) => {
    const h = (value as RunReport | null)?.day?.height;
    return typeof h === "number" ? h : position;
  };
  const top = new Field(file, "", json);
  if (!Array.isArray(json)) {
    const day = dayOf(json, 1);
    if (options.day !== undefined && options.day !== day) {
      throw new ReportFileError(file, `holds one day (day ${day}), not day ${options.day}`);
    }
    return { report: checkRunReport(top), days: 1, day };
  }
  const days = top.array();
  if (days.length === 0) {
    throw new ReportFileError(file, "holds an empty array; expected at least one run report");
  }
  const heights = days.map((d, i) => dayOf(d.value, i + 1));
  const index = options.day === undefined ? days.length - 1 : heights.indexOf(options.day);
  if (index < 0) {
    throw new ReportFileError(file, `has no day ${options.day}; its days are ${heights.join(", ")}`);
  }
  return { report: checkRunReport(days[index]), days: days.length, day: heights[index] };
}
