/**
 * Output paths, checked before a command does its work: a run or a solve that
 * ends with "cannot write the report" would lose its result. Every file a
 * command will write (`--report`, `--out`, `-o`) and every directory it will
 * write in (`--data`, `--csv`) is checked up front:
 *
 * - the path is not empty, and a file is not named with a trailing `/`;
 * - its parent directory exists or can be made (it is made then, as the
 *   write would make it);
 * - a file is not an existing directory, nor anything but a regular file
 *   (a FIFO would block, a device would swallow it), and a directory is not
 *   an existing file;
 * - this process may write there (the file is opened for writing, or created
 *   and removed again; a directory gets a probe file, removed again);
 * - no two outputs, and no output and input, are the same file.
 *
 * A permission this Deno process lacks surfaces as Deno's NotCapable error,
 * which the CLI turns into one line naming the path.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";

/**
 * An output path that cannot be used: the message names the path, the option and why.
 *
 * @example
 * ```ts
 * import { OutputPathError } from "./outputs.ts";
 * console.log(new OutputPathError("out", "--report", "is a directory").message);
 * // out: is a directory (--report)
 * ```
 */
export class OutputPathError extends Error {
  /**
   * @param path the path as the user named it
   * @param option the option that named it, e.g. `--report`
   * @param detail what is wrong with it
   */
  constructor(readonly path: string, readonly option: string, readonly detail: string) {
    super(`${path}: ${detail} (${option})`);
    this.name = "OutputPathError";
  }
}

/** A path a command reads or writes, for {@link checkDistinct}. */
export interface NamedPath {
  /** The path as the user named it (or as the command derives it). */
  path: string;
  /** What it is, for messages: `--report`, `the scenario file`, `the ledger of A`. */
  what: string;
}

/** The stat of `path` (following symbolic links); undefined when nothing is there. */
async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Makes `dir` and its parents when missing; an existing non-directory on the way is an OutputPathError. */
async function makeDir(dir: string, option: string, shown: string): Promise<void> {
  const before = await statOrUndefined(dir);
  if (before?.isDirectory) return; // nothing to make (and no write access to it needed)
  if (before) throw new OutputPathError(shown, option, `${dir} is not a directory`);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory) {
      throw new OutputPathError(shown, option, `${dirname(dir)} or a folder above it is not a directory`);
    }
    throw notWritable(e, shown, option);
  }
}

/** A file-system refusal (not Deno's permission) as an OutputPathError; anything else unchanged. */
function notWritable(e: unknown, path: string, option: string): unknown {
  if (e instanceof Deno.errors.PermissionDenied) {
    return new OutputPathError(path, option, "not writable: the file system refuses it (permission denied)");
  }
  if (e instanceof Error && /read-only file system/i.test(e.message)) {
    return new OutputPathError(path, option, "not writable: a read-only file system");
  }
  return e;
}

/**
 * Checks, before any work, that `path` can be written as a file by `option`
 * (rules in the module doc). Makes its parent directory when missing; leaves
 * an existing file unchanged and removes the empty file it made to test a new
 * one. Throws an {@link OutputPathError}, or Deno's NotCapable when this
 * process may not write there.
 *
 * @example
 * ```ts ignore
 * await checkOutputFile("../reports/s4.html", "--report");
 * ```
 */
export async function checkOutputFile(path: string, option: string): Promise<void> {
  if (path.trim() === "") throw new OutputPathError(JSON.stringify(path), option, "empty; name a file");
  if (/[\\/]$/.test(path)) {
    throw new OutputPathError(path, option, "ends with a path separator; name a file, not a directory");
  }
  await makeDir(dirname(path), option, path);
  const info = await statOrUndefined(path);
  if (info?.isDirectory) throw new OutputPathError(path, option, "is a directory; name a file");
  if (info && !info.isFile) {
    throw new OutputPathError(
      path,
      option,
      "exists and is not a regular file; poso replaces only a regular file",
    );
  }
  try {
    if (info) {
      // Opened for writing, not truncated: proof of access that leaves the file as it is.
      (await Deno.open(path, { write: true })).close();
      return;
    }
    (await Deno.open(path, { write: true, createNew: true })).close();
  } catch (e) {
    throw notWritable(e, path, option);
  }
  await Deno.remove(path);
}

/**
 * Checks, before any work, that `dir` is a directory `option` can write in:
 * makes it (and its parents) when missing, and writes and removes a probe
 * file in it. Throws an {@link OutputPathError}, or Deno's NotCapable when
 * this process may not write there.
 *
 * @example
 * ```ts ignore
 * await checkOutputDir("../runs/x", "--data");
 * ```
 */
export async function checkOutputDir(dir: string, option: string): Promise<void> {
  if (dir.trim() === "") throw new OutputPathError(JSON.stringify(dir), option, "empty; name a directory");
  const info = await statOrUndefined(dir);
  if (info && !info.isDirectory) throw new OutputPathError(dir, option, "not a directory");
  await makeDir(dir, option, dir);
  let probe: string;
  try {
    probe = await Deno.makeTempFile({ dir, prefix: ".poso-probe-" });
  } catch (e) {
    throw notWritable(e, dir, option);
  }
  await Deno.remove(probe);
}

/**
 * The path a file name stands for on this machine: its real path when it
 * exists, else its parent's real path joined with its name, else the
 * absolute path. Two names of one file (`a/../b.html`, a symbolic link to it,
 * `./b.html`) have the same key.
 */
async function fileKey(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    try {
      return join(await Deno.realPath(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/**
 * Throws an {@link OutputPathError} when two of `paths` name the same file;
 * each of `outputs` must differ from every other output and from every one
 * of `inputs` (inputs may coincide with each other: a scenario may name its
 * own case twice). Run after the outputs' directories exist.
 *
 * @example
 * ```ts ignore
 * await checkDistinct(
 *   [{ path: "out/run.html", what: "--report" }, { path: "out/csv/days.csv", what: "--csv's days.csv" }],
 *   [{ path: "scenarios/scenario1.yaml", what: "the scenario file" }],
 * );
 * ```
 */
export async function checkDistinct(outputs: NamedPath[], inputs: NamedPath[] = []): Promise<void> {
  const seen = new Map<string, NamedPath>();
  for (const input of inputs) seen.set(await fileKey(input.path), input);
  for (const output of outputs) {
    const key = await fileKey(output.path);
    const other = seen.get(key);
    if (other) {
      const wrote = inputs.includes(other) ? "would overwrite" : "is also";
      throw new OutputPathError(
        output.path,
        output.what,
        `${wrote} ${other.what}${other.path === output.path ? "" : ` (${other.path})`}; name another file`,
      );
    }
    seen.set(key, output);
  }
}
