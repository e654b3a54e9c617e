/**
 * The files of `--csv DIR` (`poso solve`, `poso run`): the directory is made and checked
 * before any work starts, and the CSV text of problems/ies-dispatch/csv.ts is written
 * into it after the work.
 *
 * @module
 */
import { join } from "node:path";
import type { RunReport } from "../consensus/report.ts";
import { type DayRow, daysCsv, dispatchCsv, runDispatchCsv } from "../problems/ies-dispatch/csv.ts";
import { type DispatchSeries, isDispatchSeries } from "../problems/ies-dispatch/series.ts";

/** The hourly dispatch, per source and hub. */
export const DISPATCH_CSV = "dispatch.csv";
/** One record per day of a run. */
export const DAYS_CSV = "days.csv";

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
 * Writes `dispatch.csv` of one dispatch into `dir`; returns the path written.
 *
 * @example
 * ```ts ignore
 * const file = await writeSolveCsv("out/x4", series, (p, t) => Deno.writeTextFile(p, t));
 * ```
 */
export async function writeSolveCsv(dir: string, series: DispatchSeries, write: WriteFile): Promise<string> {
  const file = join(dir, DISPATCH_CSV);
  await write(file, dispatchCsv(series));
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
 * Writes a run's CSV files into `dir`: `days.csv` (one record per day) and, when a block was
 * accepted and the run's problem has an hourly dispatch series (`ies-dispatch`), `dispatch.csv`
 * (every hour of every day whose block was accepted). Returns the paths written.
 *
 * @example
 * ```ts ignore
 * const files = await writeRunCsv("out/week", reports, (p, t) => Deno.writeTextFile(p, t));
 * ```
 */
export async function writeRunCsv(dir: string, reports: RunReport[], write: WriteFile): Promise<string[]> {
  const rows = reports.map((r, i) => dayRow(r, i + 1));
  const days = reports.flatMap((r, i) => {
    const series = r.outcome ? r.dispatch?.series : undefined;
    return isDispatchSeries(series) ? [{ day: rows[i].day, series }] : [];
  });
  const written: string[] = [];
  if (days.length > 0) {
    const file = join(dir, DISPATCH_CSV);
    await write(file, runDispatchCsv(days));
    written.push(file);
  }
  const file = join(dir, DAYS_CSV);
  await write(file, daysCsv(rows));
  written.push(file);
  return written;
}
