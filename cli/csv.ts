/**
 * The files of `--csv DIR` (`poso solve`, `poso run`): the directory is made and checked
 * before any work starts, and after the work the problem kind's own CSV file (problems/types.ts
 * ProblemCsv: `dispatch.csv` for the dispatch, `values.csv` for SimpleSum) and, for a run,
 * `days.csv` (problems/csv.ts) are written into it.
 *
 * @module
 */
import { join } from "node:path";
import type { RunReport } from "../consensus/report.ts";
import { type DayRow, DAYS_CSV, daysCsv } from "../problems/csv.ts";
import { problemKind, problemKinds } from "../problems/registry.ts";
import type { ProblemKind, ProblemSummary } from "../problems/types.ts";

export { DAYS_CSV };

/**
 * The files a `--csv` directory may receive from a command of any kind: `days.csv` (runs only) and
 * every registered kind's own file, for checking the directory before the kind is known.
 *
 * @example
 * ```ts
 * import { csvFilesOfAnyKind } from "./csv.ts";
 * console.log(csvFilesOfAnyKind(true)); // [ "days.csv", "dispatch.csv", "values.csv" ]
 * ```
 */
export function csvFilesOfAnyKind(run: boolean): string[] {
  const own = problemKinds().flatMap((k) => problemKind(k).csv?.file ?? []);
  return [...new Set([...(run ? [DAYS_CSV] : []), ...own])];
}

/**
 * What `--csv` writes, for a command's help: `days.csv` for a run, then each kind's file (or that it
 * writes none).
 *
 * @example
 * ```ts
 * import { csvHelp } from "./csv.ts";
 * console.log(csvHelp(false).startsWith("ies-dispatch: dispatch.csv")); // true
 * ```
 */
export function csvHelp(run: boolean): string {
  const kinds = problemKinds().map((name) => {
    const csv = problemKind(name).csv;
    return `${name}: ${csv ? `${csv.file} (${csv.title})` : "no file of its own"}`;
  });
  return (run ? `${DAYS_CSV} (one row per day: round, leader, cost, gap) and, by problem kind, ` : "") +
    kinds.join("; ");
}

/**
 * A `--csv` directory that cannot be used; the message names it and says why.
 *
 * @example
 * ```ts
 * import { CsvDirError } from "./csv.ts";
 * console.log(new CsvDirError("out/x", "not a directory").message); // out/x: not a directory
 * ```
 */
export class CsvDirError extends Error {
  /**
   * @param dir the directory named with --csv
   * @param detail what is wrong with it
   */
  constructor(readonly dir: string, readonly detail: string) {
    super(`${dir}: ${detail}`);
    this.name = "CsvDirError";
  }
}

/**
 * Makes `dir` (and its parents) when missing, and checks that it is a directory this
 * process may write in and that none of `files` in it is anything but a regular file
 * (each is replaced): called before a run or solve starts, so that its results are
 * never lost to a bad path. A permission this process lacks surfaces as Deno's error.
 *
 * @example
 * ```ts ignore
 * await prepareCsvDir("out/week", ["dispatch.csv", "days.csv"]);
 * ```
 */
export async function prepareCsvDir(dir: string, files: readonly string[]): Promise<void> {
  if (dir.trim() === "") {
    throw new CsvDirError(JSON.stringify(dir), "empty; name the directory to write CSV in");
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory)) throw e;
    throw new CsvDirError(dir, "not a directory (--csv names the directory to write CSV files in)");
  }
  const info = await Deno.stat(dir);
  if (!info.isDirectory) {
    throw new CsvDirError(dir, "not a directory (--csv names the directory to write CSV files in)");
  }
  for (const name of files) {
    const file = join(dir, name);
    const existing = await Deno.lstat(file).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    });
    if (existing && !existing.isFile) {
      throw new CsvDirError(file, "exists and is not a regular file; poso replaces only a regular file");
    }
  }
  // Writing is the only proof of write access (permissions, a read-only mount): try it now.
  const probe = await Deno.makeTempFile({ dir, prefix: ".poso-csv-probe-" });
  await Deno.remove(probe);
}

/** Writes one file; the CLI's io (tests capture it). */
export type WriteFile = (path: string, text: string) => Promise<void>;

/**
 * Writes the kind's CSV of one solution (its summary's series) into `dir`; returns the path
 * written, or undefined for a kind that has no CSV of its own.
 *
 * @example
 * ```ts ignore
 * const file = await writeSolveCsv("out/x4", kind, summary, (p, t) => Deno.writeTextFile(p, t));
 * ```
 */
export async function writeSolveCsv(
  dir: string,
  kind: ProblemKind,
  summary: ProblemSummary,
  write: WriteFile,
): Promise<string | undefined> {
  if (!kind.csv) return undefined;
  const file = join(dir, kind.csv.file);
  await write(file, kind.csv.solution(summary.series));
  return file;
}

/** A run report's day as `days.csv` shows it. */
export function dayRow(r: RunReport, position: number): DayRow {
  const gap = r.dispatch?.gapUsd;
  return {
    day: r.day?.height ?? position,
    loadFactor: r.day?.loadFactor,
    round: r.outcome?.round,
    leader: r.outcome?.leader,
    costUsd: r.outcome ? r.dispatch?.costUsd ?? r.outcome.costUsd : undefined,
    gapUsd: r.outcome && gap !== undefined && Number.isFinite(gap) ? gap : undefined,
  };
}

/**
 * Writes a run's CSV files into `dir`: the kind's own file (`dispatch.csv` for the dispatch: every
 * hour of every day whose block was accepted), when the kind has one and a block was accepted, and
 * `days.csv` (one record per day, amounts named after the kind's cost unit). Returns the paths
 * written.
 *
 * @example
 * ```ts ignore
 * const files = await writeRunCsv("out/week", reports, (p, t) => Deno.writeTextFile(p, t), problemKind("ies-dispatch"));
 * ```
 */
export async function writeRunCsv(
  dir: string,
  reports: RunReport[],
  write: WriteFile,
  kind: ProblemKind,
): Promise<string[]> {
  const rows = reports.map((r, i) => dayRow(r, i + 1));
  const days = reports.flatMap((r, i) =>
    r.outcome && r.dispatch ? [{ day: rows[i].day, series: r.dispatch.series }] : []
  );
  const written: string[] = [];
  if (kind.csv && days.length > 0) {
    const file = join(dir, kind.csv.file);
    await write(file, kind.csv.days(days));
    written.push(file);
  }
  const file = join(dir, DAYS_CSV);
  await write(file, daysCsv(rows, reports.find((r) => r.costUnit)?.costUnit ?? kind.cost));
  written.push(file);
  return written;
}
