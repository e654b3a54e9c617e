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
import { publicKeyFile, readPublicKey, verifySignature } from "../actors/keys.ts";
import { LEDGER_FILE_SUFFIX } from "../actors/ledger_file.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import {
  blockProposal,
  type BlockRecord,
  chainId,
  decodeCertificate,
  genesisDifferences,
  type GenesisParticipant,
  type GenesisRecord,
  type LedgerScan,
  scanLedger,
} from "../consensus/ledger.ts";
import { decisionStatement, leaderStatement, proposalDigest } from "../consensus/signing.ts";
import type { IesCase } from "../models/case.ts";
import { loadUomCase } from "../models/case.ts";
import { type Certificate, checkCertificate, describeVerdict, lpFingerprint } from "../models/certificate.ts";
import { trueCost } from "../models/cost.ts";
import { caseForDay, DAILY_LOAD_VARIATION, dayLoadFactor } from "../models/days.ts";
import { buildDispatchModel, type DispatchModel } from "../models/dispatch.ts";

/** Largest accepted difference between a block's `costUsd` and the recomputed true cost, $ per day. */
export const COST_TOLERANCE_USD = 0.01;

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

type Reason = string | undefined;

/** What checking the blocks of one chain needs, and the verdicts so far (block hash → reason). */
interface Chain {
  genesis: GenesisRecord;
  id: string;
  byId: Map<number, GenesisParticipant>;
  delegates: number;
  recheck?: (b: BlockRecord, cert: Certificate) => Promise<Reason>;
  verdicts: Map<string, Promise<Reason>>;
}

const label = (p: GenesisParticipant) => `${p.name} (${p.id})`;
const short = (hash: string) => hash.slice(0, 19) + "…";

function chainOf(genesis: GenesisRecord, recheck: Chain["recheck"]): Chain {
  return {
    genesis,
    id: chainId(genesis),
    byId: new Map(genesis.participants.map((p) => [p.id, p])),
    delegates: genesis.participants.filter((p) => p.delegate).length,
    recheck,
    verdicts: new Map(),
  };
}

async function genesisProblem(g: GenesisRecord, keysDir: string | undefined): Promise<Reason> {
  if (!g.participants.some((p) => p.delegate)) return "the genesis names no delegate";
  if (g.loadVariation !== DAILY_LOAD_VARIATION) {
    return `loadVariation ${g.loadVariation} is not the ${DAILY_LOAD_VARIATION} this program draws days with`;
  }
  const keys = new Map<string, GenesisParticipant>();
  for (const p of g.participants) {
    const other = keys.get(p.publicKey);
    if (other) return `${label(p)} has the same public key as ${label(other)}`;
    keys.set(p.publicKey, p);
  }
  if (keysDir === undefined) return undefined;
  for (const p of g.participants) {
    const file = publicKeyFile(keysDir, p.name);
    let pub: string | undefined;
    try {
      pub = await readPublicKey(keysDir, p.name);
    } catch (e) {
      return (e as Error).message;
    }
    if (pub === undefined) return `${file}: no such file`;
    if (pub !== p.publicKey) return `the public key of ${label(p)} differs from ${file}`;
  }
  return undefined;
}

function sig(publicKey: string, bytes: Uint8Array, s: string): Promise<boolean> {
  return verifySignature(publicKey, bytes, s);
}

/** The first problem of block `b` (whose predecessor is `prev`, undefined for height 1). */
async function checkBlock(c: Chain, b: BlockRecord, prev: BlockRecord | undefined): Promise<Reason> {
  const { genesis, byId } = c;
  if (b.day !== b.height) return `day ${b.day} differs from height ${b.height}`;
  const factor = dayLoadFactor(genesis.seed, b.day);
  if (b.loadFactor !== factor) {
    return `loadFactor ${b.loadFactor} is not day ${b.day}'s load factor ${factor} (seed ${genesis.seed})`;
  }
  const leader = byId.get(b.leader);
  if (!leader?.delegate) return `leader ${b.leader} is not a delegate of the genesis`;
  const cert = decodeCertificate(b.certificate);
  const dispatch = dispatchDigest(cert);
  if (dispatch !== b.dispatch) {
    return `dispatch ${short(b.dispatch)} is not the digest of the stored certificate (${short(dispatch)})`;
  }
  const proposal = proposalDigest(blockProposal(b));
  if (proposal !== b.proposal) {
    return `proposal ${short(b.proposal)} is not the digest of the stored proposal (${short(proposal)})`;
  }
  if (
    !await sig(leader.publicKey, leaderStatement(c.id, b.height, b.round, b.leader, b.proposal), b.leaderSig)
  ) {
    return `leaderSig: ${label(leader)}'s signature of the proposal does not verify`;
  }

  const seen = new Set<number>();
  for (const q of b.quorum) {
    if (seen.has(q.id)) return `quorum: delegate ${q.id} appears more than once`;
    seen.add(q.id);
    if (!byId.get(q.id)?.delegate) return `quorum: ${q.id} is not a delegate`;
  }
  for (let i = 1; i < b.quorum.length; i++) {
    if (b.quorum[i].id < b.quorum[i - 1].id) return "quorum is not sorted by id";
  }
  const needed = Math.floor(c.delegates / 2) + 1;
  if (b.quorum.length < needed) {
    return `quorum: ${b.quorum.length} of ${c.delegates} delegates signed; more than half (${needed}) are needed`;
  }
  const decisions = await Promise.all(b.quorum.map((q) =>
    sig(
      byId.get(q.id)!.publicKey,
      decisionStatement(c.id, b.height, b.round, b.leader, b.dispatch, b.proposal, q.id),
      q.sig,
    )
  ));
  const forged = decisions.indexOf(false);
  if (forged >= 0) {
    return `quorum: the decision signature of ${label(byId.get(b.quorum[forged].id)!)} does not verify`;
  }

  for (const [i, e] of b.evidence.entries()) {
    const at = `evidence[${i}]`;
    const accused = byId.get(e.leader);
    if (!accused?.delegate) return `${at}: ${e.leader} is not a delegate`;
    if (e.height > b.height) return `${at} is for height ${e.height}, after this block`;
    if (e.a.proposal === e.b.proposal) return `${at}: both proposals have the same digest (no equivocation)`;
    for (const side of ["a", "b"] as const) {
      const s = e[side];
      if (
        !await sig(accused.publicKey, leaderStatement(c.id, e.height, e.round, e.leader, s.proposal), s.sig)
      ) {
        return `${at}.${side}: ${label(accused)}'s signature of proposal ${
          short(s.proposal)
        } does not verify`;
      }
    }
    if (!b.blacklist.includes(e.leader)) {
      return `${at} proves ${label(accused)} equivocated, but it is not blacklisted`;
    }
  }

  for (let i = 0; i < b.blacklist.length; i++) {
    const id = b.blacklist[i];
    if (i > 0 && id <= b.blacklist[i - 1]) return "blacklist is not sorted by id or repeats an id";
    if (!byId.get(id)?.delegate) return `blacklist: ${id} is not a delegate`;
  }
  if (b.blacklist.includes(b.leader)) return `blacklist holds this block's own leader ${label(leader)}`;
  for (const id of prev?.blacklist ?? []) {
    if (!b.blacklist.includes(id)) {
      return `blacklist drops ${label(byId.get(id)!)}, blacklisted after block ${prev!.height}`;
    }
  }
  return c.recheck ? await c.recheck(b, cert) : undefined;
}

function rechecker(): (b: BlockRecord, cert: Certificate) => Promise<Reason> {
  let ies: Promise<IesCase> | undefined;
  const models = new Map<number, Promise<DispatchModel>>();
  return async (b, cert) => {
    ies ??= loadUomCase();
    let m = models.get(b.loadFactor);
    if (!m) models.set(b.loadFactor, m = ies.then((c) => buildDispatchModel(caseForDay(c, b.loadFactor))));
    const model = await m;
    const lpId = lpFingerprint(model.lp);
    if (cert.lpId !== lpId) {
      return `recheck: the certificate is for LP ${short(cert.lpId)}, day ${b.day}'s LP is ${short(lpId)}`;
    }
    const v = checkCertificate(model.lp, cert);
    if (v.verdict !== "accepted") return `recheck: certificate ${describeVerdict(v)}`;
    const cost = trueCost(model, cert.x).total;
    if (!(Math.abs(cost - b.costUsd) <= COST_TOLERANCE_USD)) {
      return `recheck: costUsd is $${b.costUsd}, the dispatch's true cost is $${cost.toFixed(4)} ` +
        `(tolerance $${COST_TOLERANCE_USD})`;
    }
    return undefined;
  };
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
  const chain = reference ? chainOf(reference.genesis, options.recheck ? rechecker() : undefined) : undefined;
  const genesisBad = reference ? await genesisProblem(reference.genesis, options.keysDir) : undefined;

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
    if (!r.genesis || !chain || !reference) {
      const bad = r.scan.bad ?? { line: 1, height: 0, reason: "no complete genesis record" };
      fail(bad.line, bad.height, bad.reason);
    } else if (r.genesis.hash !== chain.id) {
      fail(
        1,
        0,
        `genesis of another chain: differs in ${genesisDifferences(r.genesis, chain.genesis).join(", ")} ` +
          `from the genesis of ${
            reference.files.join(", ")
          } (${reference.files.length} of ${reads.length} ledgers)`,
      );
    } else if (!chain.genesis.participants.some((p) => p.name === r.participant)) {
      fail(1, 0, `the genesis has no participant named ${r.participant}`);
    } else if (genesisBad) {
      fail(1, 0, genesisBad);
    } else {
      const records = r.scan.records;
      for (let h = 1; h < records.length && verdict.ok; h++) {
        const b = records[h] as BlockRecord;
        let v = chain.verdicts.get(b.hash);
        if (!v) {
          chain.verdicts.set(
            b.hash,
            v = checkBlock(chain, b, h > 1 ? records[h - 1] as BlockRecord : undefined)
              .catch((e) => `the check failed: ${(e as Error).message}`),
          );
        }
        const reason = await v;
        if (reason) fail(h + 1, h, reason);
        else verdict.blocks++;
      }
      if (verdict.ok && r.scan.bad) fail(r.scan.bad.line, r.scan.bad.height, r.scan.bad.reason);
    }
    files.push(verdict);
  }

  const forks = findForks(reads.filter((r) => chain && r.genesis?.hash === chain.id));
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
