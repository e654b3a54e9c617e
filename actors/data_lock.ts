/**
 * One writer per data directory: an exclusive advisory lock (flock) on
 * `<dataDir>/LOCK`, held for the whole run. A second run on the same
 * directory fails at once and names the holder; the kernel drops the lock
 * when the holding process dies, however it dies (kill -9 included), so a
 * crash never leaves a stale lock behind. The file's content (the holder's
 * pid and start time) is only informative: the lock, not the file, decides.
 *
 * @module
 */

/** Name of the lock file inside a data directory. */
export const LOCK_FILE_NAME = "LOCK";

/** Longest holder note read back from a lock file, bytes (it is one short line). */
const MAX_HOLDER_NOTE_BYTES = 512;
/**
 * A holder writes its note just after it took the lock: a contender that finds the file still
 * empty looks again this many times, this many ms apart, only to name the holder (the lock
 * itself was decided already).
 */
const HOLDER_NOTE_TRIES = 20;
const HOLDER_NOTE_RETRY_MS = 5;

/** A held data-directory lock; {@link DataLock.release} (or process exit) frees it. */
export interface DataLock {
  /** The lock file's path. */
  readonly path: string;
  /** Releases the lock and closes the file (idempotent). */
  release(): void;
}

/**
 * The data directory is in use by another run (or another process holds its lock).
 *
 * @example
 * ```ts
 * import { DataDirBusyError } from "./data_lock.ts";
 * const e = new DataDirBusyError("poso-data", "pid 4242, started 2026-12-02T10:00:00.000Z");
 * console.log(e.message.startsWith("poso-data is in use by another run")); // true
 * ```
 */
export class DataDirBusyError extends Error {
  /**
   * @param dir the data directory
   * @param holder what the holder wrote into the lock file (may be empty)
   */
  constructor(readonly dir: string, readonly holder: string) {
    super(
      `${dir} is in use by another run (${holder || "holder unknown"}); ` +
        `wait for it to end, or use another --data directory`,
    );
    this.name = "DataDirBusyError";
  }
}

async function holderNote(path: string): Promise<string> {
  try {
    const f = await Deno.open(path, { read: true });
    try {
      const buf = new Uint8Array(MAX_HOLDER_NOTE_BYTES);
      const n = await f.read(buf) ?? 0;
      const text = new TextDecoder().decode(buf.subarray(0, n)).trim();
      return [...text].map((ch) => (ch.charCodeAt(0) < 0x20 ? " " : ch)).join("");
    } finally {
      f.close();
    }
  } catch {
    return "";
  }
}

/**
 * Takes the exclusive lock of `dir` (creating the directory and its lock
 * file when missing) or throws a {@link DataDirBusyError} at once, naming
 * the holder. Never waits.
 *
 * @example
 * ```ts ignore
 * const lock = await lockDataDir("poso-data");
 * try {
 *   // ... write ledgers and keys in poso-data ...
 * } finally {
 *   lock.release();
 * }
 * ```
 */
export async function lockDataDir(dir: string): Promise<DataLock> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${LOCK_FILE_NAME}`;
  const info = await Deno.lstat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
  if (info && !info.isFile) throw new Error(`${path} is not a regular file; remove it`);
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = await file.tryLock(true);
  } catch (e) {
    file.close();
    throw e;
  }
  if (!locked) {
    file.close();
    let note = await holderNote(path);
    for (let k = 1; k < HOLDER_NOTE_TRIES && !note; k++) {
      await new Promise((resolve) => setTimeout(resolve, HOLDER_NOTE_RETRY_MS));
      note = await holderNote(path);
    }
    throw new DataDirBusyError(dir, note);
  }
  try {
    const note = new TextEncoder().encode(`pid ${Deno.pid}, started ${new Date().toISOString()}\n`);
    await file.write(note);
    await file.truncate(note.length);
  } catch {
    // The note is informative only; the lock is what counts.
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}
