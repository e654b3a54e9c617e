/**
 * The contract between PoSo and a problem a leader solves and followers
 * certify. Consensus, the runtimes and the ledger hold a problem only as a
 * {@link Problem} behind this contract; adding a kind means one folder under
 * `problems/` and one line in `problems/registry.ts` (docs/adding-a-problem.md).
 *
 * A kind turns a validated case and a day into a {@link Problem}: what the
 * leader solves (with a solver of lp/), how a proposal is checked (the
 * {@link Verifier}), what misbehaving proposals the adversaries send, and how
 * a result reads for people (its cost for the trace, a summary for reports).
 * The kind's {@link CostUnit} says what its objective is measured in: every
 * sentence and trace cell that shows an amount takes its wording from it.
 *
 * @module
 */
import { type Certificate, groupedFixed, withSymbol } from "../lp/certificate.ts";
import type { SparseLp } from "../lp/lp.ts";
import type { SolverName } from "../lp/solver.ts";
import type { MessageShape } from "../consensus/messages.ts";
import type { ProposalVariant, Verifier } from "../consensus/types.ts";

// ---------------------------------------------------------------------------
// What a kind's objective is measured in

/**
 * What a problem kind's objective (its "cost") is measured in, and how people read an amount of
 * it. Every human-facing string that shows an amount (trace cells, claim verdicts, outcomes, reports,
 * `poso solve`) takes its wording from here; JSON and ledger fields keep their historical names
 * (`costUsd`, `claimedCostUsd`, `gapUsd`) and hold amounts in this unit whatever it is.
 *
 * @example
 * ```ts
 * import { type CostUnit, costCell, formatAmount } from "../mod.ts";
 * const cny: CostUnit = {
 *   symbol: "¥", currency: "CNY", quantity: "cost", solution: "market clearing", per: "hour",
 *   decimals: 2, claimTolerance: 1,
 * };
 * console.log(costCell(cny, 1686957.15, "E"), formatAmount(cny, 1686957.149)); // <¥1,686,957>E ¥1,686,957.15
 * ```
 */
export interface CostUnit {
  /**
   * Written right before an amount, no space: `$`, `¥`, `Σ`. 0 to {@link MAX_COST_SYMBOL_CHARS}
   * characters, none of them a digit, a sign, a comma, a dot, `<`, `>` or white space (so that a
   * trace cell `<$744>DE` reads back unambiguously).
   */
  readonly symbol: string;
  /** ISO 4217 code when the objective is money (`USD`, `CNY`); absent for a quantity that is not. */
  readonly currency?: string;
  /** The objective in words, lower case: `cost`, `sum` ("the true cost is $743.91"). */
  readonly quantity: string;
  /** What a proposal's solution is called, lower case: `dispatch`, `sum` ("the accepted $744 dispatch"). */
  readonly solution: string;
  /**
   * The period one amount covers ("$743.91 per day"): `day`, `hour`, `48 h`; absent when an amount
   * covers one block and no period (SimpleSum's sum).
   */
  readonly per?: string;
  /** Decimals of an exact amount in sentences (cents: 2), 0 to {@link MAX_COST_DECIMALS}. */
  readonly decimals: number;
  /**
   * Largest accepted difference between the amount a leader claims for its proposal and the true
   * amount a receiver computes, in this unit (per {@link CostUnit.per}); a claim further off is
   * rejected as `misclaimed`. Finite, above 0 and at most {@link MAX_CLAIM_TOLERANCE}. It covers
   * only rounding in other implementations (receivers compute the same amount from the same
   * model): $0.01 for the dispatch.
   */
  readonly claimTolerance: number;
}

/** Longest {@link CostUnit.symbol}, characters. */
export const MAX_COST_SYMBOL_CHARS = 4;
/** Most {@link CostUnit.decimals}. */
export const MAX_COST_DECIMALS = 6;
/** Largest {@link CostUnit.claimTolerance}, in the unit. */
export const MAX_CLAIM_TOLERANCE = 1e6;
/** Longest {@link CostUnit.quantity}, {@link CostUnit.solution} or {@link CostUnit.per}, characters. */
const MAX_COST_WORDS_CHARS = 32;

/** What a symbol must not hold: digits, signs, separators, the cell's brackets, white space. */
const SYMBOL_FORBIDDEN = /[\d+\-.,<>\s]/u;
/** Lower-case words: `cost`, `market clearing`. */
const WORDS = /^[a-z][a-z ]*$/;
/** A period: `day`, `hour`, `48 h`. */
const PERIOD = /^[A-Za-z0-9][A-Za-z0-9 ]*$/;

/**
 * Why `value` is not a valid {@link CostUnit} (naming the field), or undefined when it is. Only
 * own properties count; any other key is refused.
 *
 * @example
 * ```ts
 * import { costUnitProblem, problemKind } from "../mod.ts";
 * console.log(costUnitProblem(problemKind("ies-dispatch").cost)); // undefined
 * console.log(costUnitProblem({ ...problemKind("ies-dispatch").cost, symbol: "1$" }));
 * // symbol: "1$" holds a digit, a sign, a separator, "<", ">" or white space
 * ```
 */
export function costUnitProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected an object";
  const u = value as Record<string, unknown>;
  const own = (k: string) => Object.hasOwn(u, k) ? u[k] : undefined;
  const known = ["symbol", "currency", "quantity", "solution", "per", "decimals", "claimTolerance"];
  const extra = Object.keys(u).find((k) => !known.includes(k));
  if (extra !== undefined) return `${JSON.stringify(extra.slice(0, 40))}: unknown field`;
  const symbol = own("symbol");
  if (typeof symbol !== "string") return "symbol: expected a string";
  if ([...symbol].length > MAX_COST_SYMBOL_CHARS) {
    return `symbol: at most ${MAX_COST_SYMBOL_CHARS} characters`;
  }
  if (SYMBOL_FORBIDDEN.test(symbol)) {
    return `symbol: ${JSON.stringify(symbol)} holds a digit, a sign, a separator, "<", ">" or white space`;
  }
  const currency = own("currency");
  if (currency !== undefined && (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency))) {
    return "currency: expected an ISO 4217 code (three capital letters)";
  }
  for (const k of ["quantity", "solution"]) {
    const w = own(k);
    if (typeof w !== "string" || !WORDS.test(w) || w.length > MAX_COST_WORDS_CHARS) {
      return `${k}: expected 1 to ${MAX_COST_WORDS_CHARS} lower-case letters and spaces`;
    }
  }
  const per = own("per");
  if (
    per !== undefined && (typeof per !== "string" || !PERIOD.test(per) || per.length > MAX_COST_WORDS_CHARS)
  ) {
    return `per: expected 1 to ${MAX_COST_WORDS_CHARS} letters, digits and spaces`;
  }
  const decimals = own("decimals");
  if (
    typeof decimals !== "number" || !Number.isInteger(decimals) || decimals < 0 ||
    decimals > MAX_COST_DECIMALS
  ) {
    return `decimals: expected a whole number from 0 to ${MAX_COST_DECIMALS}`;
  }
  const tol = own("claimTolerance");
  if (typeof tol !== "number" || !(tol > 0 && tol <= MAX_CLAIM_TOLERANCE)) {
    return `claimTolerance: expected a number above 0 and at most ${MAX_CLAIM_TOLERANCE}`;
  }
  return undefined;
}

/**
 * A fresh, validated copy of a {@link CostUnit} read from outside (a run report's JSON); throws a
 * RangeError naming the field ({@link costUnitProblem}).
 *
 * @example
 * ```ts
 * import { readCostUnit } from "../mod.ts";
 * const u = readCostUnit({ symbol: "Σ", quantity: "sum", solution: "sum", decimals: 2, claimTolerance: 0.01 });
 * console.log(u.symbol, u.per); // Σ undefined
 * ```
 */
export function readCostUnit(value: unknown): CostUnit {
  const bad = costUnitProblem(value);
  if (bad) throw new RangeError(bad);
  const u = value as CostUnit;
  return {
    symbol: u.symbol,
    ...(u.currency === undefined ? {} : { currency: u.currency }),
    quantity: u.quantity,
    solution: u.solution,
    ...(u.per === undefined ? {} : { per: u.per }),
    decimals: u.decimals,
    claimTolerance: u.claimTolerance,
  };
}

/**
 * An amount as people read it: sign, symbol, digits grouped by three, `decimals` decimals (default
 * the unit's): `$743.91`, `-$0.25`, `¥1,686,957.15`, `Σ1,000.00`. NaN and infinities as JavaScript
 * writes them, after the symbol.
 *
 * @example
 * ```ts
 * import { formatAmount, problemKind } from "../mod.ts";
 * const usd = problemKind("ies-dispatch").cost;
 * console.log(formatAmount(usd, 743.914), formatAmount(usd, 744, 0), formatAmount(usd, -0.25)); // $743.91 $744 -$0.25
 * ```
 */
export function formatAmount(unit: CostUnit, value: number, decimals: number = unit.decimals): string {
  return withSymbol(unit.symbol, groupedFixed(value, decimals));
}

/**
 * The period phrase after an amount: ` per day`, or "" for a unit without a period.
 *
 * @example
 * ```ts
 * import { perPeriod, problemKind } from "../mod.ts";
 * console.log(JSON.stringify(perPeriod(problemKind("ies-dispatch").cost)), JSON.stringify(perPeriod(problemKind("simple-sum").cost))); // " per day" ""
 * ```
 */
export function perPeriod(unit: CostUnit): string {
  return unit.per === undefined ? "" : ` per ${unit.per}`;
}

/**
 * A trace cell: the amount rounded to a whole number in brackets, then the path (names of the leader
 * and every relayer): `<$744>DE`, `<¥1,686,957>E`, `<Σ1,000>D`; `<$?>D` when the amount is not known.
 *
 * @example
 * ```ts
 * import { costCell, problemKind } from "../mod.ts";
 * console.log(costCell(problemKind("ies-dispatch").cost, 743.91, "DE")); // <$744>DE
 * ```
 */
export function costCell(unit: CostUnit, value: number | undefined, path: string): string {
  const amount = value === undefined || !Number.isFinite(value)
    ? `${unit.symbol}?`
    : formatAmount(unit, Math.round(value), 0);
  return `<${amount}>${path}`;
}

/**
 * The whole amount of a trace cell ({@link costCell}) of any unit, or undefined when `cell` is not
 * one or its amount is unknown.
 *
 * @example
 * ```ts
 * import { cellAmount } from "../mod.ts";
 * console.log(cellAmount("<$744>DE"), cellAmount("<¥1,686,957>E"), cellAmount("<-Σ5>D"), cellAmount("<$?>D")); // 744 1686957 -5 undefined
 * ```
 */
export function cellAmount(cell: string): number | undefined {
  const m = /^<(-?)[^\d<>,.\s+-]{0,4}(\d{1,3}(?:,\d{3})*|\d+)>/u.exec(cell);
  if (!m) return undefined;
  const v = Number(m[2].replaceAll(",", ""));
  return m[1] ? -v : v;
}

// ---------------------------------------------------------------------------
// Problems and kinds

/** Which day of a chain a problem is for. */
export interface DayParams {
  /** Block height = day number (1-based). */
  height: number;
  /** The day's load factor (dimensionless, problems/schedule.ts dayLoadFactor): demand scales with it. */
  loadFactor: number;
}

/** A solved proposal: the certificate and the cost the leader claims for it. */
export interface Solved {
  /** The solution and its certificate. */
  certificate: Certificate;
  /** The solution's true cost under the problem's own objective, in the kind's {@link CostUnit}. */
  costUsd: number;
}

/**
 * What a report and the JSON output say about an accepted solution.
 *
 * @example
 * ```ts
 * import type { ProblemSummary } from "../mod.ts";
 * const s: ProblemSummary = { costUsd: 743.91, gapUsd: 1e-8, verdict: "accepted", series: {} };
 * console.log(s.verdict); // accepted
 * ```
 */
export interface ProblemSummary {
  /** True cost (the problem's objective), in the kind's {@link CostUnit} ($ per day for a dispatch). */
  costUsd: number;
  /** Certified optimality gap, in the same unit (NaN when the certificate was not accepted). */
  gapUsd: number;
  /** The checker's verdict in words. */
  verdict: string;
  /** The kind's own series, for its charts and its CSV ({@link ProblemCsv}; `ies-dispatch`: a DispatchSeries). */
  series: unknown;
  /**
   * Optional: the kind's own fields of a run's outcome, which the run report copies into its
   * `outcome` next to `round`, `leader` and `costUsd` (never replacing them): plain JSON values
   * (numbers, text, lists, objects), e.g. the market's `prices` and `communities`.
   */
  outcome?: Record<string, unknown>;
  /**
   * Optional: lines the trace prints under its outcome line, for people: the market's clearing
   * prices (`Prices: electricity 639.5726 CNY/MWh; heat ...`).
   */
  outcomeLines?: string[];
}

/**
 * What a block records of each party's share of an accepted solution (a market's purchases and
 * bills): one row per party, the same columns for every row. A problem that settles nothing has
 * none. `poso ledger verify --recheck` recomputes it from the case ({@link Problem.settlement}).
 *
 * @example
 * ```ts
 * import type { Settlement } from "../mod.ts";
 * const s: Settlement = { party: "community", columns: ["electricityMw", "billCny"], rows: [{ id: 5, values: [-560, -353914] }] };
 * console.log(s.rows[0].values[1]); // -353914
 * ```
 */
export interface Settlement {
  /** What a row is, in words, lower case: `community`. */
  party: string;
  /** Each column's name, with its unit in it: `gasMw`, `billCny` (letters and digits, a letter first). */
  columns: string[];
  /** One row per party: its id in the case and its values in column order. */
  rows: { id: number; values: number[] }[];
}

/** A table of {@link SolutionDetails}: `poso solve` prints it under its title. */
export interface DetailsTable {
  /** A line above the table, units included: `Energy over the day, kWh`. */
  title: string;
  /** Column headers. */
  header: string[];
  /** Rows of cells, as many as there are headers. */
  rows: string[][];
  /** Each column's alignment (default left): numbers right. */
  align?: ("left" | "right")[];
}

/**
 * What `poso solve` shows of a kind's solution beyond what every kind shows (problem, case, variant,
 * solver, true cost, verdict, sizes, times).
 *
 * @example
 * ```ts
 * import type { SolutionDetails } from "../mod.ts";
 * const d: SolutionDetails = { fields: { nodes: 7 }, lines: ["  7 numbers"], tables: [] };
 * console.log(d.lines.length); // 1
 * ```
 */
export interface SolutionDetails {
  /** Fields `poso solve --json` adds next to its own (which they never replace). */
  fields: Record<string, unknown>;
  /** Written after the amount on the cost line, e.g. `(published: $744.09, -0.024 %)`. */
  costNote?: string;
  /** Lines for people after the cost line, e.g. the cost by source. */
  lines: string[];
  /** Tables after those lines. */
  tables: DetailsTable[];
}

/**
 * A CSV file a kind writes of its solutions, for spreadsheets and pandas (`poso solve --csv DIR`,
 * `poso run --csv DIR`): RFC 4180, a header line, CRLF line ends, every column name carrying its
 * unit (problems/csv.ts has the field rules). A run also writes `days.csv`, one record per day,
 * whatever its kind.
 *
 * @example
 * ```ts
 * import { problemKind } from "../mod.ts";
 * console.log(problemKind("ies-dispatch").csv?.file, problemKind("simple-sum").csv?.file); // dispatch.csv values.csv
 * ```
 */
export interface ProblemCsv {
  /** The file's name in the directory: letters, digits, `_` or `-`, then `.csv` (e.g. `dispatch.csv`). */
  readonly file: string;
  /** What it holds, a few words for --help: `the hourly dispatch per source and hub`. */
  readonly title: string;
  /** The CSV of one solution (`poso solve`), from its summary's series; throws if the series is not this kind's. */
  solution(series: unknown): string;
  /**
   * The CSV of a run (`poso run`): a `day` column first, then each given day's records, in the order
   * given. A day whose series is not this kind's is left out; no day gives the header line alone.
   */
  days(days: readonly { day: number; series: unknown }[]): string;
}

/**
 * One day of one case of a problem kind: everything a participant needs to
 * lead, follow and report.
 */
export interface Problem {
  /** The kind's registry name, e.g. `ies-dispatch`. */
  readonly kind: string;
  /** Fingerprint of what is asked (a certificate for another problem is refused): `sha256:<hex>`. */
  readonly id: string;
  /** Sizes of a proposal's vectors: messages of any other size are refused before hashing. */
  readonly shape: MessageShape;
  /** The checks and readings the state machines use. */
  readonly verifier: Verifier;
  /** The proposals this kind can produce, the honest `optimal` first. */
  readonly variants: readonly ProposalVariant[];
  /** Solves a variant (a leader's work; dishonest leaders ask for the others). */
  solve(variant: ProposalVariant, options?: { solver?: SolverName }): Promise<Solved>;
  /** A solution as a report shows it. */
  summary(certificate: Certificate): ProblemSummary;
  /**
   * Optional: what a block of this problem records of each party's share of a solution (a market:
   * every community's purchases and bill), computed from the certificate and the case alone, the
   * same on every participant. Cheap: no check of the certificate.
   */
  settlement?(certificate: Certificate): Settlement;
  /**
   * Optional: the LP the leader solves and the checker checks against (`poso solve` shows its size);
   * a problem that is not posed as one LP leaves it out.
   */
  readonly lp?: SparseLp;
  /**
   * Optional: what `poso solve` shows of a solution of this problem beyond what every kind shows.
   * `bundledCase` is true when the problem was built from the kind's bundled case (a kind may then
   * compare with published figures).
   */
  details?(
    certificate: Certificate,
    context: { variant: ProposalVariant; bundledCase: boolean },
  ): SolutionDetails;
  /**
   * Optional: everything {@link ProblemKind.fromData} needs to make this problem again in another
   * Worker without rebuilding it, as a structured-cloneable value (numbers in typed arrays where it
   * can, so that a `postMessage` copies them as whole buffers, or shares them when they lie in a
   * SharedArrayBuffer: ies-dispatch sends one copy of a day's LP to every Worker that way). Its arrays
   * are never this problem's own, and nobody writes to them: a receiver's problem may read them in
   * place. A kind without it is rebuilt from the case in every Worker ({@link ProblemKind.problemFor}).
   */
  data?(): unknown;
}

/**
 * A problem kind: validates its cases and builds each day's {@link Problem}.
 *
 * @example
 * ```ts
 * import { problemKind } from "../mod.ts";
 * const kind = problemKind("ies-dispatch");
 * const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
 * console.log(problem.kind, problem.shape); // ies-dispatch { x: 13800, y: 6456 }
 * ```
 */
export interface ProblemKind<Case = unknown> {
  /** Registry name (`problem:` in a scenario). */
  readonly name: string;
  /** One line for people. */
  readonly title: string;
  /** The bundled case used when a scenario names none. */
  readonly defaultCase: URL;
  /**
   * What the kind's objective is measured in. A day's problem may refine it (its verifier's
   * {@link Verifier.cost}: a dispatch case of 48 hours costs `per 48 h`), never change the symbol,
   * the words or the claim tolerance.
   */
  readonly cost: CostUnit;
  /** Optional: the CSV file a solution of this kind writes; a kind without it writes none but `days.csv`. */
  readonly csv?: ProblemCsv;
  /** Reads and validates a case file (errors name the file and the field). */
  loadCase(path: string | URL): Promise<Case>;
  /** Validates an already parsed case (e.g. one sent to a Worker); throws naming the field. */
  parseCase(value: unknown, file?: string): Case;
  /** The case's own name (recorded in the genesis). */
  caseName(c: Case): string;
  /** Day `day`'s problem. */
  problemFor(c: Case, day: DayParams): Problem;
  /**
   * Optional, with {@link Problem.data}: the problem whose `data()` gave `data`, without rebuilding
   * it. The data comes from the participant's own host (the supervisor), not from the network, but is
   * checked all the same (types, lengths, indices in range): throws naming the field on any
   * inconsistency, never returns a problem that would read out of bounds.
   */
  fromData?(data: unknown): Problem;
}

/**
 * A day's problem as it travels to a Worker: the kind's {@link Problem.data} when the kind has both
 * halves of the transfer, else nothing (the Worker then builds it from the case).
 *
 * @example
 * ```ts
 * import { problemData, problemKind } from "../mod.ts";
 * const kind = problemKind("ies-dispatch");
 * const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
 * const again = kind.fromData!(problemData(kind, problem));
 * console.log(again.id === problem.id); // true
 * ```
 */
export function problemData(kind: ProblemKind, problem: Problem): unknown | undefined {
  return kind.fromData && problem.data ? problem.data() : undefined;
}

/**
 * A case as a run reads it (problems/registry.ts readCaseFile): validated by
 * its kind, with the SHA-256 of the file's bytes, which the genesis records so
 * that a chain names exactly the data every day's problem was built from.
 *
 * @example
 * ```ts
 * import { problemKind, readCaseFile } from "../mod.ts";
 * const bundled = await readCaseFile(problemKind("ies-dispatch"));
 * console.log(bundled.kind.name, bundled.digest.startsWith("sha256:")); // ies-dispatch true
 * ```
 */
export interface CaseFile<Case = unknown> {
  /** The problem kind the case is for. */
  kind: ProblemKind<Case>;
  /** The case, validated by the kind. */
  case: Case;
  /** `sha256:<64 hex>` of the file's bytes, exactly as read. */
  digest: string;
  /** Where it was read from (for messages): the path given, or the bundled file's path. */
  file: string;
}
