/**
 * Input files and the names that become file names.
 *
 * - {@link readCapped} / {@link readCappedText}: every file the CLI reads
 *   (scenario YAML, case JSON, run-report JSON, key files) is read in chunks
 *   and at most `cap + 1` bytes of it, so `/dev/zero`, a FIFO or a huge file
 *   ends in a one-line {@link InputFileError} naming the file and the cap
 *   instead of exhausting memory.
 * - {@link nodeNameProblem} / {@link isSafeName}: the one rule for participant
 *   names, which name key files (`<name>.key`, `<name>.pub`) and ledger files
 *   (`<name>.ledger.jsonl`): 1 to {@link MAX_NODE_NAME_CHARS} characters from
 *   `A-Z a-z 0-9 _ -`, and not a Windows device name. No such name can hold a
 *   path separator or a dot, so a file named after it never leaves its directory.
 * - {@link nearestKey}: the "did you mean" of an unknown key, shared by the
 *   scenario loader and every problem kind's case reader.
 *
 * @module
 */

/** Bytes read at a time by {@link readCapped}. */
const READ_CHUNK_BYTES = 64 * 1024;

/** Bytes per kibibyte. */
const KIB = 1024;

/**
 * Why a file could not be read, in words a user can act on (for messages of
 * the form `file: why`).
 *
 * @example
 * ```ts
 * import { readFailure } from "./files.ts";
 * console.log(readFailure(new Deno.errors.NotFound("x"))); // "no such file"
 * ```
 */
export function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return "no permission to read it (run with --allow-read)";
  }
  return `cannot read it: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * A byte count for messages: `512 bytes`, `64 KiB`, `1 MiB`, `1.5 MiB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./files.ts";
 * console.log(formatBytes(1024 * 1024), formatBytes(4096), formatBytes(100)); // 1 MiB 4 KiB 100 bytes
 * ```
 */
export function formatBytes(n: number): string {
  if (n < KIB) return `${n} bytes`;
  if (n < KIB * KIB) return `${Number((n / KIB).toFixed(1))} KiB`;
  return `${Number((n / (KIB * KIB)).toFixed(1))} MiB`;
}

/**
 * A file that could not be read, or is larger than its cap. The message is
 * one line, `<file>: <detail>`; callers usually wrap `detail` in their own
 * error type (ScenarioError, CaseError, ...).
 *
 * @example
 * ```ts
 * import { InputFileError } from "./files.ts";
 * console.log(new InputFileError("run.json", "no such file").message); // "run.json: no such file"
 * ```
 */
export class InputFileError extends Error {
  /**
   * @param file the file as named by the user
   * @param detail what is wrong, e.g. `no such file`
   * @param kind `missing` (no such file), `too large` (over its cap) or `unreadable` (anything else)
   */
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly kind: "missing" | "too large" | "unreadable" = "unreadable",
  ) {
    super(`${file}: ${detail}`);
    this.name = "InputFileError";
  }
}

/**
 * Reads at most `maxBytes` of `path`. Reads in chunks and stops one byte past
 * the cap, so an endless file (`/dev/zero`, a FIFO) costs at most `maxBytes + 1`
 * bytes of memory. Throws an {@link InputFileError}: when the file holds more
 * than `maxBytes` (the message names the cap and `what` the file is), and when
 * it cannot be opened or read (no such file, a directory, no permission).
 *
 * @param path the file
 * @param maxBytes the cap, bytes
 * @param what what the file is, plural, for the message: `scenario files`
 *
 * @example
 * ```ts
 * import { InputFileError, readCapped } from "./files.ts";
 * const e = await readCapped("/dev/zero", 1024, "test inputs").catch((e) => e);
 * console.log(e instanceof InputFileError, e.message);
 * // true /dev/zero: larger than 1 KiB, the most test inputs may hold
 * ```
 */
export async function readCapped(path: string | URL, maxBytes: number, what: string): Promise<Uint8Array> {
  const name = path instanceof URL ? path.pathname : path;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new InputFileError(
      name,
      readFailure(e),
      e instanceof Deno.errors.NotFound ? "missing" : "unreadable",
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const buf = new Uint8Array(Math.min(READ_CHUNK_BYTES, maxBytes + 1));
    while (true) {
      const n = await file.read(buf.subarray(0, Math.min(buf.length, maxBytes + 1 - total)));
      if (n === null) break;
      total += n;
      if (total > maxBytes) {
        throw new InputFileError(
          name,
          `larger than ${formatBytes(maxBytes)}, the most ${what} may hold`,
          "too large",
        );
      }
      chunks.push(buf.slice(0, n));
    }
  } catch (e) {
    throw e instanceof InputFileError ? e : new InputFileError(name, readFailure(e));
  } finally {
    file.close();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * {@link readCapped}, decoded as UTF-8 (a byte-order mark is dropped). Bytes
 * that are not UTF-8 are an {@link InputFileError} too.
 *
 * @example
 * ```ts
 * import { readCappedText } from "./files.ts";
 * const text = await readCappedText("scenarios/scenario1.yaml", 1024 * 1024, "scenario files");
 * console.log(text.includes("nodes:")); // true
 * ```
 */
export async function readCappedText(path: string | URL, maxBytes: number, what: string): Promise<string> {
  const bytes = await readCapped(path, maxBytes, what);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputFileError(path instanceof URL ? path.pathname : path, "is not UTF-8 text");
  }
}

// ---------------------------------------------------------------------------
// Participant names, which name files

/** Longest participant name, characters. */
export const MAX_NODE_NAME_CHARS = 32;

/** The alphabet of participant names: ASCII letters, digits, `_` and `-`. */
const NODE_NAME_CHARS = /^[A-Za-z0-9_-]+$/;

/** Names Windows reserves for devices (any case, any extension): a key file `NUL.key` would be no file. */
const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * Why `name` cannot be a participant's name, or undefined when it can. The
 * rule: 1 to {@link MAX_NODE_NAME_CHARS} characters, each an ASCII letter, a
 * digit, `_` or `-`, and not a Windows device name (CON, PRN, AUX, NUL,
 * COM0-9, LPT0-9). Such a name can name a file in any directory and never
 * leaves it (no `/`, `\`, `.` or control character).
 *
 * @example
 * ```ts
 * import { nodeNameProblem } from "./files.ts";
 * console.log(nodeNameProblem("C"), nodeNameProblem("../x"));
 * // undefined "../x" has characters other than letters, digits, _ and -
 * ```
 */
export function nodeNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "a name needs at least one character";
  if (name.length > MAX_NODE_NAME_CHARS) {
    return `a name has at most ${MAX_NODE_NAME_CHARS} characters (this one has ${name.length})`;
  }
  if (!NODE_NAME_CHARS.test(name)) {
    return `${JSON.stringify(name)} has characters other than letters, digits, _ and -`;
  }
  if (WINDOWS_DEVICE_NAMES.test(name)) {
    return `"${name}" is a device name on Windows, where no file can have it`;
  }
  return undefined;
}

/**
 * True when `name` may be a participant's name and so name its key and
 * ledger files ({@link nodeNameProblem} says why not).
 *
 * @example
 * ```ts
 * import { isSafeName } from "./files.ts";
 * console.log(isSafeName("node_7"), isSafeName(".."), isSafeName("a/b")); // true false false
 * ```
 */
export function isSafeName(name: unknown): name is string {
  return nodeNameProblem(name) === undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let prev2: number[] = [], prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j], prev2[j - 2] + 1);
      }
    }
    [prev2, prev] = [prev, row];
  }
  return prev[b.length];
}

/**
 * The known key nearest to `key` (a typo's likely meaning), or undefined when none is close: a known
 * key `k` is close when at most a third of its letters differ (at least one), edit distance ignoring
 * the case of `key`, adjacent transpositions counting one. Of several close keys the nearest (the
 * first listed on a tie) is taken. Keys whose length differs by more than that are skipped unread,
 * so a long key costs nothing.
 *
 * @example
 * ```ts
 * import { nearestKey } from "./files.ts";
 * console.log(nearestKey("folower_ignore", ["follower_ignore", "delay_ms"]), nearestKey("xyz", ["delay_ms"]));
 * // follower_ignore undefined
 * ```
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = Infinity;
  const lower = key.toLowerCase();
  for (const k of known) {
    const allowed = Math.max(1, Math.floor(k.length / 3));
    if (Math.abs(key.length - k.length) > allowed) continue; // the distance is at least this
    const d = editDistance(lower, k);
    if (d <= allowed && d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}
