/**
 * A participant's ledger on disk (`<dataDir>/<name>.ledger.jsonl`): the file
 * IO around consensus/ledger.ts.
 *
 * Durability: an append writes the record's JSON (one `write`, O_APPEND),
 * fsyncs, then writes its `\n` and fsyncs again before it resolves. The `\n`
 * is the commit mark: a line that ends in `\n` was entirely on disk before
 * its `\n` was written, even if the machine lost power, so
 * - bytes after the last `\n` (an incomplete last line) are a torn append
 *   that was never acknowledged: {@link LedgerFile.open} truncates them and
 *   reports how many bytes it cut;
 * - except a whole valid record missing only its `\n` (the crash came between
 *   the record's fsync and its newline's): the record was entirely on disk,
 *   so open keeps it and writes the `\n` (fsynced) instead of cutting it;
 * - a complete line that does not parse, whose hash is wrong or whose link is
 *   broken is corruption, wherever it is (the last line included): open
 *   throws a {@link LedgerError} naming the file, line and height, and
 *   changes nothing. So is a whole record followed by one byte other than
 *   `\n` or NUL (its newline overwritten: a crash leaves a prefix of the
 *   line, or NUL bytes after a power loss, never another byte).
 *
 * A new ledger is written to `<file>.tmp`, fsynced, renamed into place and
 * the directory fsynced, so the file either does not exist or holds the
 * genesis line.
 *
 * @module
 */
import {
  type BlockFields,
  type BlockRecord,
  encodeRecord,
  genesisDifferences,
  type GenesisRecord,
  type LedgerRecord,
  makeBlock,
  parseRecord,
  recordHash,
  scanLedger,
} from "../consensus/ledger.ts";
import { nodeNameProblem } from "./files.ts";

/** Suffix of a participant's ledger file. */
export const LEDGER_FILE_SUFFIX = ".ledger.jsonl";

/**
 * A ledger file that cannot be used as it is: names the file, the 1-based line and the height it should hold.
 *
 * @example
 * ```ts
 * import { LedgerError } from "../mod.ts";
 * const e = new LedgerError("poso-data/C.ledger.jsonl", 3, 2, "prev is not the hash of line 2");
 * console.log(e.message); // poso-data/C.ledger.jsonl:3 (height 2): prev is not the hash of line 2
 * ```
 */
export class LedgerError extends Error {
  /**
   * An error about line `line` of `file`; the message is `<file>:<line> (height <height>): <detail>`.
   *
   * @param file the ledger file
   * @param line 1-based line number
   * @param height the height that line holds or should hold (line − 1)
   * @param detail what is wrong
   */
  constructor(
    readonly file: string,
    readonly line: number,
    readonly height: number,
    readonly detail: string,
  ) {
    super(`${file}:${line} (height ${height}): ${detail}`);
    this.name = "LedgerError";
  }
}

/**
 * The ledger file of participant `participantName` in `dataDir`:
 * `${dataDir}/${participantName}.ledger.jsonl`. Throws a RangeError for a
 * name that breaks the participant-name rule (actors/files.ts
 * `nodeNameProblem`: 1 to 32 letters, digits, `_` or `-`), so the file never
 * lands outside `dataDir`.
 *
 * @example
 * ```ts
 * console.log(ledgerFileName("poso-data", "C")); // "poso-data/C.ledger.jsonl"
 * ```
 */
export function ledgerFileName(dataDir: string, participantName: string): string {
  const problem = nodeNameProblem(participantName);
  if (problem !== undefined) {
    throw new RangeError(`no ledger file can be named after this participant: ${problem}`);
  }
  return `${dataDir}/${participantName}${LEDGER_FILE_SUFFIX}`;
}

function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** fsync of a directory, so a new entry in it (a created or renamed file) is durable. */
async function syncDir(dir: string): Promise<void> {
  let d: Deno.FsFile | undefined;
  try {
    d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch (e) {
    // Windows cannot open a directory as a file; there the rename is as durable as it gets.
    if (Deno.build.os !== "windows") throw e;
  } finally {
    d?.close();
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

async function readBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

const encoder = new TextEncoder();

/**
 * Reads a ledger without changing it: every complete line parsed and linked
 * (consensus/ledger.ts scanLedger), and the size of an incomplete last line.
 * Throws a {@link LedgerError} at the first bad complete line, or when the
 * file holds no complete genesis line.
 *
 * @example
 * ```ts ignore
 * const { records, tornBytes } = await readLedger("poso-data/C.ledger.jsonl");
 * console.log(records.length - 1, "blocks", tornBytes, "torn bytes");
 * ```
 */
export async function readLedger(path: string): Promise<{ records: LedgerRecord[]; tornBytes: number }> {
  const scan = scanLedger(await Deno.readFile(path));
  if (scan.bad) throw new LedgerError(path, scan.bad.line, scan.bad.height, scan.bad.reason);
  if (scan.records.length === 0) throw new LedgerError(path, 1, 0, "no complete genesis record");
  return { records: scan.records, tornBytes: scan.tornBytes };
}

/**
 * One participant's open ledger: its genesis and its tip in memory (not every
 * block: a long run's memory must not grow with its chain; {@link readLedger}
 * reads them all), appends made durable (fsync) before they resolve. Appends
 * are serialised in call order.
 *
 * @example
 * ```ts ignore
 * const { ledger, truncatedBytes } = await LedgerFile.open(ledgerFileName("poso-data", "C"), genesis);
 * const block = await ledger.append({ day: 1, loadFactor: 1, round: 1, leader: 8, ... });
 * ledger.close();
 * ```
 */
export class LedgerFile {
  readonly #genesis: GenesisRecord;
  #tip: LedgerRecord;
  #file: Deno.FsFile | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #lastLineBytes = 0;
  /** Set when an append was cut short or failed: the file's end is unknown until it is reopened. */
  #broken: string | undefined;

  private constructor(readonly path: string, records: LedgerRecord[], file: Deno.FsFile) {
    this.#genesis = records[0] as GenesisRecord;
    this.#tip = records[records.length - 1];
    this.#file = file;
  }

  /**
   * Opens the ledger at `path` for chain `genesis`, creating it (and its
   * directories) when missing. A torn last line is truncated and its size
   * returned as `truncatedBytes`; a whole last record missing only its final
   * newline is kept, the newline written and fsynced (`newlineWritten`); any
   * bad complete line, a genesis of another chain or a broken link throws a
   * {@link LedgerError} and leaves the file as it was.
   *
   * @example
   * ```ts ignore
   * const { ledger, truncatedBytes, newlineWritten } = await LedgerFile.open("poso-data/C.ledger.jsonl", genesis);
   * if (truncatedBytes > 0) console.log(`cut a torn record of ${truncatedBytes} bytes`);
   * if (newlineWritten) console.log(`kept block ${ledger.tip.height}, whose final newline was missing`);
   * ```
   */
  static async open(
    path: string,
    genesis: GenesisRecord,
  ): Promise<{ ledger: LedgerFile; truncatedBytes: number; newlineWritten: boolean }> {
    const line = encodeRecord(genesis);
    const own = parseRecord(line);
    if (!own.ok || own.record.kind !== "genesis" || recordHash(genesis) !== genesis.hash) {
      throw new TypeError(
        `LedgerFile.open: the genesis given is not valid (${own.ok ? "hash" : own.reason})`,
      );
    }
    const dir = dirName(path);
    await Deno.mkdir(dir, { recursive: true });
    const bytes = await readBytes(path);
    if (bytes === undefined) {
      const tmp = `${path}.tmp`;
      const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
      try {
        await writeAll(f, encoder.encode(line));
        await f.syncData();
      } finally {
        f.close();
      }
      await Deno.rename(tmp, path);
      await syncDir(dir);
      return {
        ledger: new LedgerFile(path, [genesis], await Deno.open(path, { append: true })),
        truncatedBytes: 0,
        newlineWritten: false,
      };
    }

    const scan = scanLedger(bytes);
    if (scan.bad) throw new LedgerError(path, scan.bad.line, scan.bad.height, scan.bad.reason);
    const first = scan.records[0];
    if (first && first.kind === "genesis" && first.hash !== genesis.hash) {
      const fields = genesisDifferences(first, genesis);
      throw new LedgerError(
        path,
        1,
        0,
        `genesis of another chain (${first.hash}, expected ${genesis.hash}; differs in ${fields.join(", ")})`,
      );
    }
    if (scan.tornBytes > 0) {
      const f = await Deno.open(path, { write: true });
      try {
        await f.truncate(bytes.length - scan.tornBytes);
        await f.syncData();
      } finally {
        f.close();
      }
    }
    const file = await Deno.open(path, { append: true });
    const records = scan.records;
    try {
      if (scan.unterminated) {
        await writeAll(file, encoder.encode("\n"));
        await file.syncData();
      }
      if (records.length === 0) {
        // Empty, or only a torn genesis (a ledger not created by open): write the genesis.
        await writeAll(file, encoder.encode(line));
        await file.syncData();
        records.push(genesis);
      }
    } catch (e) {
      file.close();
      throw e;
    }
    return {
      ledger: new LedgerFile(path, records, file),
      truncatedBytes: scan.tornBytes,
      newlineWritten: scan.unterminated,
    };
  }

  /** The last record (the genesis when there is no block yet). */
  get tip(): LedgerRecord {
    return this.#tip;
  }

  /** The genesis record (line 1). */
  get genesis(): GenesisRecord {
    return this.#genesis;
  }

  /**
   * Bytes of the last record appended by this object, its newline included (0 before the first).
   *
   * @example
   * ```ts ignore
   * await ledger.append(fields);
   * console.log(ledger.lastLineBytes); // about 70,000 for a UoM block
   * ```
   */
  get lastLineBytes(): number {
    return this.#lastLineBytes;
  }

  /**
   * Appends the block that follows the tip and resolves once it is on disk
   * (written, fsynced, `\n` written, fsynced). With `stopAfterBytes` (tests:
   * a kill mid-write) only that many bytes of the line are written and
   * fsynced (0 <= stopAfterBytes < line length), the tip is not updated and
   * the ledger refuses further appends: the Worker is meant to die now and
   * reopen the file.
   *
   * @example
   * ```ts ignore
   * const b = await ledger.append({ day: 2, loadFactor: 1.0123, round: 1, leader: 8, ... });
   * console.log(b.height === ledger.tip.height); // true
   * ```
   */
  append(fields: BlockFields, options: { stopAfterBytes?: number } = {}): Promise<BlockRecord> {
    const next = this.#queue.then(() => this.#append(fields, options));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #append(fields: BlockFields, options: { stopAfterBytes?: number }): Promise<BlockRecord> {
    if (this.#broken) throw new Error(`${this.path}: ${this.#broken}; reopen the ledger`);
    if (!this.#file) throw new Error(`${this.path}: the ledger is closed`);
    const file = this.#file;
    const block = makeBlock(this.tip, fields);
    const bytes = encoder.encode(encodeRecord(block));
    const stop = options.stopAfterBytes;
    if (stop !== undefined && !(Number.isSafeInteger(stop) && stop >= 0 && stop < bytes.length)) {
      throw new RangeError(`stopAfterBytes must be an integer in [0, ${bytes.length}), got ${stop}`);
    }
    try {
      if (stop !== undefined) {
        this.#broken = `an append was cut after ${stop} of ${bytes.length} bytes (stopAfterBytes)`;
        await writeAll(file, bytes.subarray(0, stop));
        await file.syncData();
        return block;
      }
      await writeAll(file, bytes.subarray(0, bytes.length - 1));
      await file.syncData();
      await writeAll(file, bytes.subarray(bytes.length - 1));
      await file.syncData();
    } catch (e) {
      this.#broken ??= `an append failed (${(e as Error).message})`;
      throw e;
    }
    this.#tip = block;
    this.#lastLineBytes = bytes.length;
    return block;
  }

  /**
   * Closes the file (idempotent). Call it once the last append has resolved:
   * an append still in flight fails, and later ones are refused.
   *
   * @example
   * ```ts ignore
   * ledger.close();
   * ```
   */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}
