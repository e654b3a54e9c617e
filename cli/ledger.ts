/**
 * `poso ledger verify <dir>`: checks every participant's ledger in a data
 * directory, on its own and against the others.
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
 * - each block: `day` = `height`; `loadFactor` = dayLoadFactor(seed, day);
 *   the leader is a delegate; `dispatch` and `proposal` are the digests of the
 *   stored certificate and proposal; `leaderSig` verifies; the quorum holds
 *   distinct delegates sorted by id, more than half of all delegates, each
 *   decision signature verifying; each evidence has two different proposal
 *   digests both signed by its leader, who is blacklisted; the blacklist is
 *   sorted, holds delegates only, keeps every id of the previous block's and
 *   not this block's leader;
 * - with `recheck`: the day's LP is rebuilt from the bundled case, the
 *   certificate must be for it and accepted, and `costUsd` must be the true
 *   cost within {@link COST_TOLERANCE_USD}.
 *
 * Across files: a height whose block hash differs between ledgers of the same
 * chain is a fork. An incomplete last line (no final `\n`) is reported as torn
 * bytes but is not a failure by itself: it is an append cut off by a crash,
 * never acknowledged, which LedgerFile.open truncates. A complete last line
 * that is bad is a failure like any other.
 *
 * Each distinct block is checked once per run (its hash pins the whole chain
 * before it), so seven ledgers of one run cost about as much as one.
 *
 * @module
 */
import { COST_TOLERANCE_USD, makeChainChecker } from "../actors/chain_check.ts";
import { LEDGER_FILE_SUFFIX } from "../actors/ledger_file.ts";
import {
  type BlockRecord,
  genesisDifferences,
  type GenesisRecord,
  type LedgerScan,
  scanLedger,
} from "../consensus/ledger.ts";

export { COST_TOLERANCE_USD };

const short = (hash: string) => hash.slice(0, 19) + "…";

/** Options of {@link verifyLedgerDir}. */
export interface VerifyOptions {
  /** Rebuild each day's LP and recheck every certificate and cost (slower: one LP build per distinct day). */
  recheck?: boolean;
  /** A key directory (actors/keys.ts): the genesis keys must equal its `<name>.pub` files. */
  keysDir?: string;
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
  /** One verdict per `*.ledger.jsonl` file, sorted by file name. */
  files: FileVerdict[];
  /** One line per fork: the height and which files hold which block hash. */
  forks: string[];
  /** One line for a person: how many ledgers verified, which failed, forks, torn records. */
  summary: string;
}

/** One ledger file as read. */
interface Read {
  file: string;
  participant: string;
  scan: LedgerScan;
  genesis?: GenesisRecord;
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
  const heights = Math.max(0, ...reads.map((r) => r.scan.records.length));
  for (let h = 1; h < heights; h++) {
    const byDecision = new Map<string, Read[]>();
    for (const r of reads) {
      const rec = r.scan.records[h] as BlockRecord | undefined;
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

/**
 * Verifies every `*.ledger.jsonl` in `dir` (see the module documentation for
 * every check). Never throws for what it finds in the files; an unreadable
 * or empty directory is a failed verdict.
 *
 * @example
 * ```ts ignore
 * const v = await verifyLedgerDir("poso-data", { recheck: true });
 * console.log(formatLedgerVerdict(v));
 * Deno.exit(v.ok ? 0 : 1);
 * ```
 */
export async function verifyLedgerDir(dir: string, options: VerifyOptions = {}): Promise<LedgerVerdict> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(LEDGER_FILE_SUFFIX)) names.push(e.name);
    }
  } catch (e) {
    return { ok: false, files: [], forks: [], summary: `cannot read ${dir}: ${(e as Error).message}` };
  }
  if (names.length === 0) {
    return { ok: false, files: [], forks: [], summary: `no ledger (*${LEDGER_FILE_SUFFIX}) in ${dir}` };
  }
  names.sort();
  const reads: Read[] = [];
  for (const name of names) {
    const file = `${dir}/${name}`;
    let scan: LedgerScan;
    try {
      scan = scanLedger(await Deno.readFile(file));
    } catch (e) {
      scan = {
        records: [],
        tornBytes: 0,
        bad: { line: 1, height: 0, reason: `cannot read: ${(e as Error).message}` },
      };
    }
    const first = scan.records[0];
    reads.push({
      file,
      participant: name.slice(0, -LEDGER_FILE_SUFFIX.length),
      scan,
      genesis: first?.kind === "genesis" ? first : undefined,
    });
  }

  // The reference genesis: the one most files hold (the first file's on a tie).
  const counts = new Map<string, { genesis: GenesisRecord; files: string[] }>();
  for (const r of reads) {
    if (!r.genesis) continue;
    const c = counts.get(r.genesis.hash) ?? { genesis: r.genesis, files: [] };
    c.files.push(r.participant);
    counts.set(r.genesis.hash, c);
  }
  const reference = [...counts.values()].reduce<{ genesis: GenesisRecord; files: string[] } | undefined>(
    (best, c) => !best || c.files.length > best.files.length ? c : best,
    undefined,
  );
  const checker = reference ? makeChainChecker(reference.genesis, options) : undefined;
  const genesisBad = await checker?.genesisProblem();

  const files: FileVerdict[] = [];
  for (const r of reads) {
    const verdict: FileVerdict = {
      file: r.file,
      participant: r.participant,
      blocks: 0,
      ok: true,
      tornBytes: r.scan.tornBytes,
    };
    const fail = (line: number, height: number, reason: string) => {
      verdict.ok = false;
      verdict.firstBad = { height, line, reason };
    };
    if (!r.genesis || !checker || !reference) {
      const bad = r.scan.bad ?? { line: 1, height: 0, reason: "no complete genesis record" };
      fail(bad.line, bad.height, bad.reason);
    } else if (r.genesis.hash !== reference.genesis.hash) {
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
    } else if (!reference.genesis.participants.some((p) => p.name === r.participant)) {
      fail(1, 0, `the genesis has no participant named ${r.participant}`);
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
    files.push(verdict);
  }

  const forks = findForks(reads.filter((r) => reference && r.genesis?.hash === reference.genesis.hash));
  const failed = files.filter((f) => !f.ok);
  const torn = files.filter((f) => f.tornBytes > 0);
  const ok = failed.length === 0 && forks.length === 0;
  const parts: string[] = [];
  if (ok) {
    const heights = [...new Set(files.map((f) => f.blocks))].sort((a, b) => a - b);
    parts.push(
      `${files.length} ledger${files.length === 1 ? "" : "s"} verified (${heights.join("-")} blocks each; ` +
        `links, digests and signatures checked${
          options.recheck ? ", certificates and costs rechecked against each day's LP" : ""
        })`,
    );
  } else {
    if (failed.length > 0) {
      parts.push(
        `${failed.length} of ${files.length} ledgers fail: ` +
          failed.map((f) => `${f.participant} at height ${f.firstBad!.height} (line ${f.firstBad!.line})`)
            .join(", "),
      );
    }
    if (forks.length > 0) parts.push(`${forks.length} fork${forks.length === 1 ? "" : "s"} between ledgers`);
  }
  if (torn.length > 0) {
    parts.push(
      `torn last record in ${torn.map((f) => `${f.participant} (${f.tornBytes} bytes)`).join(", ")}: ` +
        "an append cut off by a crash, not a failure by itself (opening the ledger truncates it)",
    );
  }
  return { ok, files, forks, summary: parts.join("; ") };
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
    const blocks = `${f.blocks} block${f.blocks === 1 ? "" : "s"}`;
    const torn = f.tornBytes > 0 ? `, torn last record of ${f.tornBytes} bytes (not a failure)` : "";
    if (f.ok) return `${f.file}: ${blocks}, ok${torn}`;
    const bad = f.firstBad!;
    return `${f.file}: FAILS at height ${bad.height} (line ${bad.line}): ${bad.reason}; ${blocks} verified before it${torn}`;
  });
  for (const fork of v.forks) lines.push(`fork at ${fork}`);
  lines.push(v.summary);
  return lines.join("\n");
}
