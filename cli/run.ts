/**
 * `poso run scenario.yaml`: run a scenario on Worker actors (default) or in
 * the deterministic simulator, and print its trace; and reading back the
 * JSON that `poso run --json` prints (for `poso report`).
 *
 * @module
 */
import { runDays, runProblemOf } from "../actors/supervisor.ts";
import type { LiveEvent } from "../actors/live_event.ts";
import { loadProposalBook, simConfigFor, simulate } from "../actors/simulator.ts";
import { InputFileError, readCappedText } from "../actors/files.ts";
import type { Outcome, RoundReport, RunReport, RunTimings } from "../consensus/report.ts";
import type { SolverName } from "../lp/solver.ts";
import { type CostUnit, type ProblemSummary, readCostUnit } from "../problems/types.ts";
import type { DispatchSummary } from "../problems/ies-dispatch/summary.ts";
import type { BalanceSeries, PowerSeries, StorageSeries } from "../problems/ies-dispatch/series.ts";
import {
  loadScenarioFile,
  MAX_DAYS,
  MAX_PARTICIPANTS,
  MAX_SEED,
  type Scenario,
} from "../scenarios/loader.ts";

/** Options of {@link runScenarioFile}. */
export interface RunOptions {
  /** Run in the deterministic simulator (virtual time) instead of on Workers. */
  simulate?: boolean;
  /** Overrides the scenario's seed (simulator message order and delays; day load factors). */
  seed?: number;
  /** Overrides the scenario's round timeout, s. */
  timeoutSec?: number;
  /** Data directory of the ledgers (Workers only; default `poso-data/<scenario file stem>`). */
  dataDir?: string;
  /** Days to dispatch (Workers only; default the scenario's days, 1). */
  days?: number;
  /** Dispatch until the chain holds this block height (Workers only; overrides `days`). */
  untilHeight?: number;
  /** Wait out every round timeout on the wall clock (Workers only; see SupervisorOptions.fullRounds). */
  fullRounds?: boolean;
  /** Overrides the scenario's case file (`case:`); a path relative to the current directory. */
  casePath?: string;
  /** Overrides the scenario's LP solver (`solver:`). */
  solver?: SolverName;
  /** One-line progress notes. */
  progress?: (line: string) => void;
  /** Called with each day's trace as soon as that day is decided (the simulator's one block too). */
  onDay?: (report: RunReport) => void | Promise<void>;
  /** Stops a Worker run when aborted (Ctrl-C): see SupervisorOptions.signal. */
  signal?: AbortSignal;
  /** Observer of a Worker run's events as they happen (the live page): see SupervisorOptions.onEvent. */
  onEvent?: (e: LiveEvent) => void;
}

/** Runs the simulator on a loaded scenario (one block), with its problem, case and solver. */
export async function simulateScenario(scenario: Scenario, roundTimeoutMs: number): Promise<RunReport> {
  const { kind, case: theCase } = await runProblemOf(scenario);
  const problem = kind.problemFor(theCase, { height: 1, loadFactor: 1 });
  const book = await loadProposalBook(problem, { solver: scenario.solver });
  const { report } = await simulate(
    problem.verifier,
    book,
    simConfigFor(scenario, { roundTimeoutMs, dispatchOf: (p) => problem.summary(p.certificate) }),
  );
  return report;
}

/**
 * Loads a scenario file with the command line's overrides (seed, case, solver) applied: what
 * {@link runLoadedScenario} runs. Loading first lets a caller check its output paths against the
 * scenario's files before the run starts.
 */
export async function loadRunScenario(
  file: string,
  options: Pick<RunOptions, "seed" | "casePath" | "solver"> = {},
): Promise<Scenario> {
  const loaded = await loadScenarioFile(file);
  return {
    ...loaded,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.casePath === undefined ? {} : { casePath: options.casePath }),
    ...(options.solver === undefined ? {} : { solver: options.solver }),
  };
}

/**
 * Runs a loaded scenario (see {@link loadRunScenario}) in the simulator or on Workers and returns
 * the trace of every day; each day's trace also goes to `options.onDay` as soon as it is decided.
 */
export async function runLoadedScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunReport[]> {
  const roundTimeoutMs = options.timeoutSec === undefined
    ? scenario.roundTimeoutMs
    : Math.round(options.timeoutSec * 1000);
  if (options.simulate) {
    const report = await simulateScenario(scenario, roundTimeoutMs);
    await options.onDay?.(report);
    return [report];
  }
  return await runDays(scenario, {
    roundTimeoutMs,
    progress: options.progress,
    dataDir: options.dataDir,
    days: options.days,
    untilHeight: options.untilHeight,
    fullRounds: options.fullRounds,
    onDay: options.onDay,
    signal: options.signal,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}

/** Loads a scenario file and runs it; returns the scenario and the trace of every day. */
export async function runScenarioFile(
  file: string,
  options: RunOptions = {},
): Promise<{ scenario: Scenario; reports: RunReport[] }> {
  const scenario = await loadRunScenario(file, options);
  return { scenario, reports: await runLoadedScenario(scenario, options) };
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

/** Largest run-report file (what `poso run --json` prints), bytes: a day is about 25 kB. */
export const MAX_REPORT_BYTES = 32 * 1024 * 1024;
/** Longest text in a run report (a name, a cell, a reason, a note, a notice), characters. */
const MAX_REPORT_TEXT_CHARS = 10_000;
/**
 * Most items of a list in a run report (cells of a delegate, dropped messages, notes, series): a round
 * of 100 delegates drops at most a few per pair of them.
 */
const MAX_REPORT_LIST = 10_000;
/**
 * Most strings and numbers in one day's report; a day of the published case holds about
 * 3,000. Bounds the HTML page drawn from it (at most a few hundred bytes per value, so
 * some 30 MB); a larger day is refused with a message saying so.
 */
const MAX_REPORT_VALUES = 100_000;
/** Most characters of text in one day's report, all strings together. */
const MAX_REPORT_CHARS = 1_000_000;
/** Most periods of a dispatch series, h: a year of hours. */
const MAX_SERIES_HOURS = 8760;
/** Largest magnitude of a power, energy, cost or time in a run report (kW, kWh, the run's cost unit, ms). */
const MAX_REPORT_MAGNITUDE = 1e12;
/** Deepest nesting of a kind's own fields in a run report (a market's outcome: 3). */
const MAX_JSON_DEPTH = 8;
/** Largest block height (u32). */
const MAX_HEIGHT = 0xffff_ffff;

/** What one day's report may still hold; shared by the fields read from it. */
class Budget {
  values = 0;
  chars = 0;
}

/** A value at a JSON path; the readers below return it checked, or throw a ReportFileError naming the path. */
class Field {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: unknown,
    readonly budget: Budget,
  ) {}

  /** The field `key` (own properties only: `constructor` or `__proto__` are missing unless written). */
  at(key: string | number): Field {
    const path = typeof key === "number" ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    const v = this.value;
    const own = typeof v === "object" && v !== null && Object.hasOwn(v, key);
    return new Field(
      this.file,
      path,
      own ? (v as Record<string | number, unknown>)[key] : undefined,
      this.budget,
    );
  }

  fail(detail: string): never {
    throw new ReportFileError(this.file, `${this.path || "the top level"}: ${detail}`);
  }

  expected(what: string): never {
    const v = this.value;
    if (v === undefined) this.fail("missing");
    const got = v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
    this.fail(typeof v === "number" ? `expected ${what}, got ${v}` : `expected ${what}, got ${got}`);
  }

  private spend(chars = 0): void {
    const b = this.budget;
    b.values++;
    b.chars += chars;
    if (b.values > MAX_REPORT_VALUES) this.fail(`a day's report holds more than ${MAX_REPORT_VALUES} values`);
    if (b.chars > MAX_REPORT_CHARS) {
      this.fail(`a day's report holds more than ${MAX_REPORT_CHARS} characters`);
    }
  }

  object(): this {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.expected("an object");
    return this;
  }

  text(): string {
    const v = this.value;
    if (typeof v !== "string") this.expected("a string");
    if (v.length > MAX_REPORT_TEXT_CHARS) {
      this.fail(`${v.length} characters; at most ${MAX_REPORT_TEXT_CHARS} are allowed`);
    }
    this.spend(v.length);
    return v;
  }

  oneOf<T extends string>(choices: readonly T[]): T {
    const v = this.value;
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
      this.expected(`one of ${choices.join(", ")}`);
    }
    this.spend(v.length);
    return v as T;
  }

  /** A finite number of magnitude at most {@link MAX_REPORT_MAGNITUDE}. */
  number(): number {
    const v = this.value;
    if (typeof v !== "number") this.expected("a number");
    if (!Number.isFinite(v) || Math.abs(v) > MAX_REPORT_MAGNITUDE) {
      this.expected(`a number from -${MAX_REPORT_MAGNITUDE} to ${MAX_REPORT_MAGNITUDE}`);
    }
    this.spend();
    return v;
  }

  int(lo: number, hi: number): number {
    const v = this.value;
    if (typeof v !== "number") this.expected("a number");
    if (!Number.isInteger(v) || v < lo || v > hi) this.expected(`an integer from ${lo} to ${hi}`);
    this.spend();
    return v;
  }

  /** A list of at most `max` items (exactly `length` when given), each read by `each`. */
  list<T>(each: (f: Field) => T, max = MAX_REPORT_LIST, length?: number): T[] {
    const v = this.value;
    if (!Array.isArray(v)) this.expected("an array");
    if (length !== undefined && v.length !== length) this.fail(`${v.length} items; expected ${length}`);
    if (v.length > max) this.fail(`${v.length} items; at most ${max} are allowed`);
    return v.map((_, i) => each(this.at(i)));
  }

  /** An object of at most `max` entries, each value read by `each`; its keys are texts too. */
  record<T>(each: (f: Field) => T, max = MAX_PARTICIPANTS): Record<string, T> {
    const keys = Object.keys(this.object().value as object);
    if (keys.length > max) this.fail(`${keys.length} entries; at most ${max} are allowed`);
    return Object.fromEntries(
      keys.map((k) => [new Field(this.file, this.path, k, this.budget).text(), each(this.at(k))]),
    );
  }

  /**
   * Any JSON value of at most {@link MAX_JSON_DEPTH} levels (a kind's own fields): texts, finite
   * numbers, booleans, null, lists and objects, each checked as the fields above are.
   */
  json(depth = 0): unknown {
    const v = this.value;
    if (depth > MAX_JSON_DEPTH) this.fail(`nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (v === null || typeof v === "boolean") return this.spend(), v;
    if (typeof v === "string") return this.text();
    if (typeof v === "number") return this.number();
    if (Array.isArray(v)) return this.list((f) => f.json(depth + 1));
    if (typeof v === "object") return this.record((f) => f.json(depth + 1), MAX_REPORT_LIST);
    this.expected("a JSON value");
  }

  /** `read(this)` when the field is present, else undefined. */
  optional<T>(read: (f: Field) => T): T | undefined {
    return this.value === undefined ? undefined : read(this);
  }
}

const texts = (f: Field) => f.list((c) => c.text());

function readPowerSeries(f: Field, hours: number): PowerSeries {
  f.object();
  return {
    key: f.at("key").text(),
    label: f.at("label").text(),
    hub: f.at("hub").value === null ? null : f.at("hub").int(0, MAX_HEIGHT),
    kw: f.at("kw").list((v) => v.number(), MAX_SERIES_HOURS, hours),
  };
}

function readBalance(f: Field, hours: number, carrier: BalanceSeries["carrier"]): BalanceSeries {
  f.object();
  const hourly = (k: string) => f.at(k).list((v) => v.number(), MAX_SERIES_HOURS, hours);
  return {
    carrier: f.at("carrier").oneOf([carrier]),
    supply: f.at("supply").list((s) => readPowerSeries(s, hours)),
    charge: f.at("charge").list((s) => readPowerSeries(s, hours)),
    loadKw: hourly("loadKw"),
    lossKw: hourly("lossKw"),
    residualKw: hourly("residualKw"),
    toleranceKw: hourly("toleranceKw"),
  };
}

function readStorage(f: Field, hours: number): StorageSeries {
  f.object();
  return {
    key: f.at("key").text(),
    label: f.at("label").text(),
    hub: f.at("hub").int(0, MAX_HEIGHT),
    kwh: f.at("kwh").list((v) => v.number(), MAX_SERIES_HOURS, hours),
    minKwh: f.at("minKwh").number(),
    capacityKwh: f.at("capacityKwh").number(),
  };
}

/**
 * The accepted solution's summary: a dispatch's series checked field by field (the charts draw
 * it), any other kind's series, outcome fields and lines as checked JSON.
 */
function readSummary(d: Field): ProblemSummary {
  d.object();
  const s = d.at("series").object();
  if (s.at("hours").value !== undefined) return readDispatch(d);
  const gap = d.at("gapUsd");
  const outcome = d.at("outcome").optional((o) => o.object().json() as Record<string, unknown>);
  const lines = d.at("outcomeLines").optional(texts);
  return {
    costUsd: d.at("costUsd").number(),
    gapUsd: gap.value === null ? NaN : gap.number(),
    verdict: d.at("verdict").text(),
    series: s.json(),
    ...(outcome === undefined ? {} : { outcome }),
    ...(lines === undefined ? {} : { outcomeLines: lines }),
  };
}

function readDispatch(d: Field): DispatchSummary {
  d.object();
  const s = d.at("series").object();
  const hours = s.at("hours").int(1, MAX_SERIES_HOURS);
  const gap = d.at("gapUsd");
  return {
    costUsd: d.at("costUsd").number(),
    // JSON has no NaN: a gap that is not a number (no accepted certificate) was written as null.
    gapUsd: gap.value === null ? NaN : gap.number(),
    verdict: d.at("verdict").text(),
    series: {
      caseName: s.at("caseName").text(),
      hours,
      electricity: readBalance(s.at("electricity"), hours, "electricity"),
      heat: readBalance(s.at("heat"), hours, "heat"),
      battery: s.at("battery").list((b) => readStorage(b, hours)),
      heatTank: s.at("heatTank").list((b) => readStorage(b, hours)),
    },
  };
}

/** The run's cost unit (problems/types.ts readCostUnit: every field checked, a fresh object). */
function readUnit(u: Field): CostUnit {
  try {
    return readCostUnit(u.value);
  } catch (e) {
    u.fail(e instanceof Error ? e.message : String(e));
  }
}

function readRound(r: Field): RoundReport {
  r.object();
  const failures = r.at("signatureFailures").optional((l) =>
    l.list((x) => {
      x.object();
      const blame = x.at("blame").optional((b) => b.text());
      return {
        to: x.at("to").text(),
        signer: x.at("signer").text(),
        ...(blame === undefined ? {} : { blame }),
      };
    })
  );
  return {
    round: r.at("round").int(1, MAX_PARTICIPANTS),
    leader: r.at("leader").text(),
    received: r.at("received").record(texts),
    decision: r.at("decision").record((c) => c.oneOf(["commit", "blacklist", "none"])),
    rejected: r.at("rejected").record(texts),
    blacklist: r.at("blacklist").record(texts),
    dropped: r.at("dropped").list((d) => {
      d.object();
      return { to: d.at("to").text(), reason: d.at("reason").text() };
    }),
    notes: texts(r.at("notes")),
    ...(failures === undefined ? {} : { signatureFailures: failures }),
  };
}

function readTimings(t: Field): RunTimings {
  t.object();
  const ms = (k: string) => t.at(k).number();
  const signing = t.at("signing").optional((f) => f.number());
  const ledger = t.at("ledger").optional((f) => f.number());
  const skipped = t.at("skipped").optional((f) => f.number());
  const building = t.at("building").optional((f) => f.number());
  return {
    total: ms("total"),
    startup: ms("startup"),
    solving: ms("solving"),
    checking: ms("checking"),
    waiting: ms("waiting"),
    other: ms("other"),
    ...(signing === undefined ? {} : { signing }),
    ...(ledger === undefined ? {} : { ledger }),
    ...(skipped === undefined ? {} : { skipped }),
    ...(building === undefined ? {} : { building }),
  };
}

/** The outcome: round, leader and cost, then the problem kind's own fields as checked JSON. */
function readOutcome(o: Field): Outcome {
  o.object();
  const own = Object.keys(o.value as object).filter((k) => !["round", "leader", "costUsd"].includes(k));
  if (own.length > MAX_OUTCOME_FIELDS) {
    o.fail(`${own.length} fields of its kind; at most ${MAX_OUTCOME_FIELDS}`);
  }
  return {
    round: o.at("round").int(1, MAX_PARTICIPANTS),
    leader: o.at("leader").text(),
    costUsd: o.at("costUsd").number(),
    ...Object.fromEntries(own.map((k) => [k, o.at(k).json(1)])),
  };
}

/** Most fields of its kind an outcome may hold besides round, leader and cost. */
const MAX_OUTCOME_FIELDS = 32;

/**
 * Reads one run report: every field the HTML report shows, checked for type,
 * range, length and size, into a fresh object (fields it does not show, such
 * as `evidence`, are left out). Throws a ReportFileError naming the first bad field.
 */
function readRunReport(f: Field): RunReport {
  f.object();
  const outcome = f.at("outcome");
  const normal = f.at("normal").object();
  const day = f.at("day").optional((d) => {
    d.object();
    return {
      height: d.at("height").int(1, MAX_HEIGHT),
      loadFactor: d.at("loadFactor").number(),
      blocksWritten: d.at("blocksWritten").int(0, MAX_PARTICIPANTS),
      blockBytes: d.at("blockBytes").int(0, Number.MAX_SAFE_INTEGER),
    };
  });
  const timings = f.at("timings").optional(readTimings);
  const costUnit = f.at("costUnit").optional(readUnit);
  const dispatch = f.at("dispatch").optional(readSummary);
  return {
    scenario: f.at("scenario").text(),
    runtime: f.at("runtime").oneOf(["workers", "simulator", "processes"]),
    seed: f.at("seed").int(0, MAX_SEED),
    rounds: f.at("rounds").list(readRound, MAX_PARTICIPANTS),
    normal: {
      received: normal.at("received").record(texts),
      accepted: normal.at("accepted").record((c) => c.value === null ? null : c.number()),
    },
    outcome: outcome.value === null ? null : readOutcome(outcome),
    notices: texts(f.at("notices")),
    ...(day === undefined ? {} : { day }),
    ...(timings === undefined ? {} : { timings }),
    ...(costUnit === undefined ? {} : { costUnit }),
    ...(dispatch === undefined ? {} : { dispatch }),
  };
}

/**
 * The run reports of a file: the whole text as one JSON value (one run report, or an array of them as
 * older versions printed a multi-day run), else JSON Lines (one run report per line, as `poso run --json`
 * prints a multi-day run; blank lines are skipped). Each report comes with the name its errors start with
 * (`file`, or `file:line` for JSON Lines) and its path in the file.
 */
function parseRunReports(file: string, text: string): { where: string; path: string; value: unknown }[] {
  let json: unknown;
  let wholeError: Error | undefined;
  try {
    json = JSON.parse(text);
  } catch (e) {
    wholeError = e as Error;
  }
  if (wholeError === undefined) {
    if (!Array.isArray(json)) return [{ where: file, path: "", value: json }];
    if (json.length === 0) {
      throw new ReportFileError(file, "holds an empty array; expected at least one run report");
    }
    if (json.length > MAX_DAYS) {
      throw new ReportFileError(file, `${json.length} days; at most ${MAX_DAYS} are allowed`);
    }
    return json.map((value, i) => ({ where: file, path: `[${i}]`, value }));
  }
  const lines = text.split("\n");
  const entries: { where: string; path: string; value: unknown }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const where = `${file}:${i + 1}`;
    if (entries.length === MAX_DAYS) {
      throw new ReportFileError(where, `more than ${MAX_DAYS} days; at most ${MAX_DAYS} are allowed`);
    }
    try {
      entries.push({ where, path: "", value: JSON.parse(lines[i]) });
    } catch (e) {
      // One line that is not JSON: the file is neither one JSON value nor JSON Lines.
      throw new ReportFileError(
        entries.length === 0 && lines.filter((l) => l.trim() !== "").length === 1 ? file : where,
        `not valid JSON (${(entries.length === 0 ? wholeError : e as Error).message}); expected what ` +
          "`poso run --json` prints (one run report per line)",
      );
    }
  }
  return entries;
}

/**
 * The text of a saved run report (`poso run --json`), at most {@link MAX_REPORT_BYTES}; a file that
 * cannot be read is a {@link ReportFileError} naming it.
 */
export async function readReportText(file: string): Promise<string> {
  try {
    return await readCappedText(file, MAX_REPORT_BYTES, "run-report files");
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new ReportFileError(file, e.detail);
  }
}

/**
 * Reads the JSON that `poso run --json` printed (one run report per line, a
 * line per day of a multi-day run: JSON Lines; or the single object or array
 * of days older versions printed), takes the requested day (default the last)
 * and checks every field the HTML report reads. Returns that report, the
 * number of days in the file and the day taken. Every problem is a
 * {@link ReportFileError} naming the file (and for JSON Lines the line) and
 * the field, e.g. `run.json: rounds: missing` or
 * `week.jsonl:2: outcome.costUsd: expected a number, got string`.
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
): Promise<{ report: RunReport; days: number; day: number; all: RunReport[] }> {
  const text = await readReportText(file);
  if (text.trim() === "") throw new ReportFileError(file, "is empty; expected what `poso run --json` prints");
  // Every day is checked, each against its own budget; then the one asked for is taken.
  const reports = parseRunReports(file, text).map((e) =>
    readRunReport(new Field(e.where, e.path, e.value, new Budget()))
  );
  if (reports.length === 1) {
    const [report] = reports;
    const day = report.day?.height ?? 1;
    if (options.day !== undefined && options.day !== day) {
      throw new ReportFileError(file, `holds one day (day ${day}), not day ${options.day}`);
    }
    return { report, days: 1, day, all: reports };
  }
  /** The block height a report names, else its 1-based position. */
  const heights = reports.map((r, i) => r.day?.height ?? i + 1);
  const index = options.day === undefined ? reports.length - 1 : heights.indexOf(options.day);
  if (index < 0) {
    throw new ReportFileError(file, `has no day ${options.day}; its days are ${heights.join(", ")}`);
  }
  return { report: reports[index], days: reports.length, day: heights[index], all: reports };
}
