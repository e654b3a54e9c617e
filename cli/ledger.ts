/**
 * `poso ledger verify <dir>`: checks every participant's ledger in a data
 * directory, on its own and against the others.
 *
 * The directory: every normal participant of the genesis has a ledger file
 * (`<name>.ledger.jsonl`; one that has none is **missing**), every ledger file
 * is a normal participant's (another is **extra**), and each is a regular
 * file (a directory, a symbolic link or a device is **not regular**: a
 * symbolic link is never followed, so one node's ledger cannot stand in for
 * another's). Each of these is a failure.
 *
 * Per file, stopping at the first bad block (named by height and line):
 * - every complete line parses, is canonical and hashes to its `hash`; line 1
 *   is the genesis, heights are consecutive from 1 and each `prev` is the hash
 *   of the line before (consensus/ledger.ts scanLedger);
 * - the genesis is the same in every file of the directory (the one most
 *   files hold is the reference; a file with another names the fields that
 *   differ), has a delegate, the load variation this program draws days with,
 *   distinct keys, the file's participant, and (with `keysDir`) the public
 *   keys of the `<name>.pub` files there;
 * - each block passes every check of actors/chain_check.ts: link, day and
 *   load factor, the blacklist and round leader derived from the previous
 *   block, digests, leader signature, quorum, evidence signatures, and the
 *   certificate against the day's problem, rebuilt from the case the genesis
 *   names (its problem kind, and the case file whose SHA-256 is the genesis'
 *   `caseDigest`: the bundled case, or the one `casePath` names; any other is
 *   refused before a block is checked, saying which digests differ or that a
 *   case file must be given);
 *   A block's settlement (a market's purchases and bills per community) is
 *   checked against the one recomputed from its certificate and the case;
 * - with `recheck`, also `costUsd` against the true cost within the kind's
 *   claim tolerance ({@link COST_TOLERANCE_USD} for the dispatch).
 *
 * Across files: a ledger that verifies but holds fewer blocks than the
 * longest one that verifies is **lagging** (a failure: the next `poso run` on
 * the directory catches it up), and a height at which two ledgers decide
 * differently is a fork. An incomplete last line is reported as torn bytes but
 * is not a failure by itself: it is an append cut off by a crash, never
 * acknowledged, which LedgerFile.open truncates. A whole last record missing
 * only its final newline is a record like any other (LedgerFile.open writes
 * the newline). A complete last line that is bad is a failure like any other.
 *
 * Each distinct block is checked once per run (its hash pins the whole chain
 * before it), so seven ledgers of one run cost about as much as one.
 *
 * @module
 */
import { chainProblemOf, COST_TOLERANCE_USD, makeChainChecker } from "../actors/chain_check.ts";
import { LEDGER_FILE_SUFFIX, ledgerFileName } from "../actors/ledger_file.ts";
import {
  type BlockRecord,
  genesisDifferences,
  type GenesisRecord,
  type LedgerScan,
  scanLedger,
} from "../consensus/ledger.ts";

export { COST_TOLERANCE_USD };

/** Read size once a file's announced size has been read (it grew meanwhile), bytes. */
const READ_CHUNK_BYTES = 64 * 1024;

const short = (hash: string) => hash.slice(0, 19) + "…";
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** Options of {@link verifyLedgerDir}. */
export interface VerifyOptions {
  /** Rebuild each day's LP and recheck every certificate and cost (slower: one LP build per distinct day). */
  recheck?: boolean;
  /** A key directory (actors/keys.ts): the genesis keys must equal its `<name>.pub` files. */
  keysDir?: string;
  /**
   * The chain's case file, when the genesis names a case other than the bundled one (`poso ledger
   * verify --case`); its SHA-256 must be the genesis' `caseDigest`.
   */
  casePath?: string;
}

/** The verdict on one ledger file. */
export interface FileVerdict {
  /** The ledger file's path. */
  file: string;
  /** Participant name (the file name without `.ledger.jsonl`). */
  participant: string;
  /** Blocks that verified (all of them when ok; those before `firstBad` otherwise). */
  blocks: number;
  /** True when every complete record verified. */
  ok: boolean;
  /** The first bad record: its height, 1-based line, and why. */
  firstBad?: { height: number; line: number; reason: string };
  /** Bytes of an incomplete last line (a torn append; not a failure by itself). */
  tornBytes: number;
  /** True when the last record is whole but its final newline is missing (kept; not a failure). */
  unterminated?: boolean;
  /** What is wrong with the file as a whole, if anything (then `ok` is false). */
  problem?: FileProblem;
}

/** A failure of a ledger file as a whole rather than of one of its records. */
export interface FileProblem {
  /**
   * `missing`: a normal participant of the genesis has no ledger file; `extra`: the file is no normal
   * participant's; `not-regular`: a directory, symbolic link or device; `lagging`: it verifies but holds
   * fewer blocks than the longest ledger that verifies.
   */
  kind: "missing" | "extra" | "not-regular" | "lagging";
  /** One line for a person. */
  detail: string;
}

/**
 * The verdict on a directory of ledgers.
 *
 * @example
 * ```ts ignore
 * import { verifyLedgerDir } from "../mod.ts";
 * const v = await verifyLedgerDir("poso-data");
 * for (const f of v.files) if (!f.ok) console.log(f.participant, f.firstBad?.height, f.firstBad?.reason);
 * ```
 */
export interface LedgerVerdict {
  /** True when every file verified and no two ledgers fork. */
  ok: boolean;
  /** One verdict per `*.ledger.jsonl` entry and per missing ledger, sorted by file name. */
  files: FileVerdict[];
  /** One line per fork: the height and which files hold which block hash. */
  forks: string[];
  /** One line for a person: how many ledgers verified, which failed, forks, torn records. */
  summary: string;
}

/** One ledger file as read (no scan when it is not a regular file). */
interface Read {
  file: string;
  participant: string;
  scan?: LedgerScan;
  genesis?: GenesisRecord;
  problem?: FileProblem;
}

/**
 * Reports forks: the first height at which two ledgers hold blocks that
 * decide differently (another round, leader or proposal). Each participant
 * records the decision signatures it received itself, so the quorum, the
 * evidence and therefore the block hashes may differ between honest ledgers;
 * the decision may not.
 */
function findForks(reads: Read[]): string[] {
  const forks: string[] = [];
  const heights = Math.max(0, ...reads.map((r) => r.scan?.records.length ?? 0));
  for (let h = 1; h < heights; h++) {
    const byDecision = new Map<string, Read[]>();
    for (const r of reads) {
      const rec = r.scan?.records[h] as BlockRecord | undefined;
      if (!rec || rec.kind !== "block") continue;
      const key = `round ${rec.round}, leader ${rec.leader}, proposal ${short(rec.proposal)}`;
      byDecision.set(key, [...byDecision.get(key) ?? [], r]);
    }
    if (byDecision.size > 1) {
      const sides = [...byDecision].map(([key, rs]) => `${rs.map((r) => r.participant).join(", ")}: ${key}`);
      forks.push(`height ${h}: ${sides.join("; ")}`);
      break;
    }
  }
  return forks;
}

/** Every byte of an open file, whose size was `size` when opened (it may grow meanwhile). */
async function readAll(f: Deno.FsFile, size: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = new Uint8Array(Math.max(size, 1));;) {
    const n = await f.read(chunk);
    if (n === null) break;
    chunks.push(chunk.slice(0, n));
    total += n;
    if (total >= size) chunk = new Uint8Array(READ_CHUNK_BYTES);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** What an entry that is not a regular file is, for a person. */
async function notRegular(file: string, info: Deno.FileInfo): Promise<string> {
  if (info.isSymlink) {
    const target = await Deno.readLink(file).catch(() => undefined);
    return `is a symbolic link${target === undefined ? "" : ` to ${target}`}, which verify never follows: ` +
      "a ledger must be a regular file of its own";
  }
  if (info.isDirectory) return "is a directory, not a ledger file";
  return "is not a regular file (a device, socket or FIFO)";
}

/**
 * Reads one directory entry without following a symbolic link: lstat, then
 * the file opened and checked to be the same regular file before its bytes
 * are read (so an entry swapped for a link in between is not followed).
 */
async function readEntry(dir: string, name: string): Promise<Read> {
  const file = `${dir}/${name}`;
  const read: Read = { file, participant: name.slice(0, -LEDGER_FILE_SUFFIX.length) };
  const unreadable = (e: unknown): Read => ({
    ...read,
    scan: {
      records: [],
      tornBytes: 0,
      unterminated: false,
      bad: { line: 1, height: 0, reason: `cannot read: ${(e as Error).message}` },
    },
  });
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(file);
  } catch (e) {
    return unreadable(e);
  }
  if (!info.isFile) {
    return { ...read, problem: { kind: "not-regular", detail: await notRegular(file, info) } };
  }
  let bytes: Uint8Array;
  try {
    using f = await Deno.open(file, { read: true });
    const opened = await f.stat();
    if (!opened.isFile || opened.ino !== info.ino || opened.dev !== info.dev) {
      return { ...read, problem: { kind: "not-regular", detail: "was replaced while being read" } };
    }
    bytes = await readAll(f, opened.size);
  } catch (e) {
    return unreadable(e);
  }
  const scan = scanLedger(bytes);
  const first = scan.records[0];
  return { ...read, scan, genesis: first?.kind === "genesis" ? first : undefined };
}

/** The genesis most files hold (the first file's on a tie), and which files hold it. */
function referenceOf(reads: Read[]): { genesis: GenesisRecord; files: string[] } | undefined {
  const counts = new Map<string, { genesis: GenesisRecord; files: string[] }>();
  for (const r of reads) {
    if (!r.genesis) continue;
    const c = counts.get(r.genesis.hash) ?? { genesis: r.genesis, files: [] };
    c.files.push(r.participant);
    counts.set(r.genesis.hash, c);
  }
  return [...counts.values()].reduce<{ genesis: GenesisRecord; files: string[] } | undefined>(
    (best, c) => !best || c.files.length > best.files.length ? c : best,
    undefined,
  );
}

/** The verdicts of the normal participants of `genesis` that have no ledger entry in `dir`. */
function missingLedgers(dir: string, genesis: GenesisRecord, reads: Read[]): FileVerdict[] {
  const present = new Set(reads.map((r) => r.participant));
  return genesis.participants.filter((p) => p.normal && !present.has(p.name)).map((p) => {
    let file: string;
    let detail = `${p.name} (${p.id}) is a normal participant of the genesis but has no ledger file`;
    try {
      file = ledgerFileName(dir, p.name);
    } catch (e) {
      file = `${dir}/${p.name}${LEDGER_FILE_SUFFIX}`;
      detail = `${p.name} (${p.id}) has no ledger file: ${(e as Error).message}`;
    }
    return {
      file,
      participant: p.name,
      blocks: 0,
      ok: false,
      tornBytes: 0,
      problem: { kind: "missing" as const, detail },
    };
  });
}

/** Marks the ledgers that verify but hold fewer blocks than the longest one that verifies. */
function markLagging(dir: string, files: FileVerdict[]): void {
  const valid = files.filter((f) => f.ok);
  const longest = valid.reduce<FileVerdict | undefined>(
    (a, f) => !a || f.blocks > a.blocks ? f : a,
    undefined,
  );
  if (!longest) return;
  for (const f of valid) {
    const behind = longest.blocks - f.blocks;
    if (behind <= 0) continue;
    f.ok = false;
    f.problem = {
      kind: "lagging",
      detail: `lags ${plural(behind, "block")} behind ${longest.participant}'s ledger (${f.blocks} of ` +
        `${longest.blocks} blocks); the next \`poso run\` on ${dir} catches it up`,
    };
  }
}

/**
 * Verifies every `*.ledger.jsonl` in `dir` and reports the ledgers missing
 * there (see the module documentation for every check). Never throws for
 * what it finds; an unreadable or empty directory is a failed verdict.
 *
 * @example
 * ```ts ignore
 * const v = await verifyLedgerDir("poso-data", { recheck: true });
 * console.log(formatLedgerVerdict(v));
 * Deno.exit(v.ok ? 0 : 1);
 * ```
 */
export async function verifyLedgerDir(dir: string, options: VerifyOptions = {}): Promise<LedgerVerdict> {
  // A Worker run's directory holds every ledger; a networked run's (`poso net up`) a folder per node,
  // `<name>/<name>.ledger.jsonl`.
  const entries: { dir: string; name: string }[] = [];
  const folders: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(LEDGER_FILE_SUFFIX)) entries.push({ dir, name: e.name });
      else if (e.isDirectory) folders.push(e.name);
    }
    if (entries.length === 0) {
      for (const f of folders) {
        const name = `${f}${LEDGER_FILE_SUFFIX}`;
        const found = await Deno.lstat(`${dir}/${f}/${name}`).then(() => true, () => false);
        if (found) entries.push({ dir: `${dir}/${f}`, name });
      }
    }
  } catch (e) {
    return { ok: false, files: [], forks: [], summary: `cannot read ${dir}: ${(e as Error).message}` };
  }
  if (entries.length === 0) {
    return { ok: false, files: [], forks: [], summary: `no ledger (*${LEDGER_FILE_SUFFIX}) in ${dir}` };
  }
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const reads: Read[] = [];
  for (const e of entries) reads.push(await readEntry(e.dir, e.name));
  const reference = referenceOf(reads);
  let problem;
  try {
    problem = reference ? await chainProblemOf(reference.genesis, options.casePath) : undefined;
  } catch (e) {
    // Without the chain's case no certificate can be checked: nothing is verified.
    return { ok: false, files: [], forks: [], summary: (e as Error).message };
  }
  const checker = reference ? makeChainChecker(reference.genesis, { ...options, problem }) : undefined;
  const genesisBad = await checker?.genesisProblem();

  const files: FileVerdict[] = [];
  for (const r of reads) {
    const verdict: FileVerdict = {
      file: r.file,
      participant: r.participant,
      blocks: 0,
      ok: true,
      tornBytes: r.scan?.tornBytes ?? 0,
      ...(r.scan?.unterminated ? { unterminated: true } : {}),
    };
    files.push(verdict);
    const fail = (line: number, height: number, reason: string) => {
      verdict.ok = false;
      verdict.firstBad = { height, line, reason };
    };
    if (r.problem || !r.scan) {
      verdict.ok = false;
      verdict.problem = r.problem;
      continue;
    }
    if (!r.genesis || !checker || !reference) {
      const bad = r.scan.bad ?? { line: 1, height: 0, reason: "no complete genesis record" };
      fail(bad.line, bad.height, bad.reason);
      continue;
    }
    const own = reference.genesis.participants.find((p) => p.name === r.participant);
    if (r.genesis.hash !== reference.genesis.hash) {
      fail(
        1,
        0,
        `genesis of another chain: differs in ${
          genesisDifferences(r.genesis, reference.genesis).join(", ")
        } ` +
          `from the genesis of ${
            reference.files.join(", ")
          } (${reference.files.length} of ${reads.length} ledgers)`,
      );
    } else if (!own || (!own.normal && !reference.genesis.schedule)) {
      // On a networked chain (a genesis with a schedule) every participant keeps a ledger.
      verdict.ok = false;
      verdict.problem = {
        kind: "extra",
        detail: own
          ? `${own.name} (${own.id}) is not a normal participant of the genesis, so it keeps no ledger`
          : `the genesis has no participant named ${r.participant}: a ledger of no participant`,
      };
    } else if (genesisBad) {
      fail(1, 0, genesisBad);
    } else {
      const records = r.scan.records;
      for (let h = 1; h < records.length && verdict.ok; h++) {
        const reason = await checker.check(records[h] as BlockRecord, records[h - 1]);
        if (reason) fail(h + 1, h, reason);
        else verdict.blocks++;
      }
      if (verdict.ok && r.scan.bad) fail(r.scan.bad.line, r.scan.bad.height, r.scan.bad.reason);
    }
  }
  if (reference) files.push(...missingLedgers(dir, reference.genesis, reads));
  files.sort((a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  markLagging(dir, files);

  const forks = findForks(reads.filter((r) => reference && r.genesis?.hash === reference.genesis.hash));
  return {
    ok: files.every((f) => f.ok) && forks.length === 0,
    files,
    forks,
    summary: summaryOf(files, forks, options),
  };
}

/** How a failed file is named in the summary. */
function failureOf(f: FileVerdict): string {
  if (f.firstBad) return `${f.participant} at height ${f.firstBad.height} (line ${f.firstBad.line})`;
  switch (f.problem?.kind) {
    case "missing":
      return `${f.participant} missing`;
    case "extra":
      return `${f.participant} of no normal participant`;
    case "not-regular":
      return `${f.participant} not a regular file`;
    case "lagging":
      return `${f.participant} lagging`;
  }
  return f.participant;
}

function summaryOf(files: FileVerdict[], forks: string[], options: VerifyOptions): string {
  const failed = files.filter((f) => !f.ok);
  const torn = files.filter((f) => f.tornBytes > 0);
  const parts: string[] = [];
  if (failed.length === 0 && forks.length === 0) {
    const heights = [...new Set(files.map((f) => f.blocks))].sort((a, b) => a - b);
    parts.push(
      `${plural(files.length, "ledger")} verified (${heights.join("-")} blocks each; links, digests, ` +
        `signatures, derived blacklists and certificates against each day's LP checked${
          options.recheck ? ", costs rechecked" : ""
        })`,
    );
  }
  if (failed.length > 0) {
    parts.push(`${failed.length} of ${files.length} ledgers fail: ${failed.map(failureOf).join(", ")}`);
  }
  if (forks.length > 0) parts.push(`${plural(forks.length, "fork")} between ledgers`);
  if (torn.length > 0) {
    parts.push(
      `torn last record in ${torn.map((f) => `${f.participant} (${f.tornBytes} bytes)`).join(", ")}: ` +
        "an append cut off by a crash, not a failure by itself (opening the ledger truncates it)",
    );
  }
  return parts.join("; ");
}

/**
 * The verdict as lines a person can read: one per file, one per fork, then the summary.
 *
 * @example
 * ```ts
 * const v = { ok: true, forks: [], summary: "1 ledger verified",
 *   files: [{ file: "d/C.ledger.jsonl", participant: "C", blocks: 3, ok: true, tornBytes: 0 }] };
 * console.log(formatLedgerVerdict(v)); // "d/C.ledger.jsonl: 3 blocks, ok\n1 ledger verified"
 * ```
 */
export function formatLedgerVerdict(v: LedgerVerdict): string {
  const lines = v.files.map((f) => {
    const blocks = plural(f.blocks, "block");
    const torn = f.tornBytes > 0 ? `, torn last record of ${f.tornBytes} bytes (not a failure)` : "";
    const unterminated = f.unterminated ? ", last record's final newline missing (kept; not a failure)" : "";
    const notes = `${torn}${unterminated}`;
    if (f.problem) return `${f.file}: FAILS: ${f.problem.detail}${notes}`;
    if (f.ok) return `${f.file}: ${blocks}, ok${notes}`;
    const bad = f.firstBad!;
    return `${f.file}: FAILS at height ${bad.height} (line ${bad.line}): ${bad.reason}; ${blocks} verified before it${notes}`;
  });
  for (const fork of v.forks) lines.push(`fork at ${fork}`);
  lines.push(v.summary);
  return lines.join("\n");
}
