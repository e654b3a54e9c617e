/**
 * The verification of one chain's blocks, shared by `poso ledger verify`
 * (cli/ledger.ts) and the runtime (which verifies its own ledger on
 * continuation and every block it takes from another participant's ledger).
 *
 * Nothing a block says is trusted: what can be derived from signed data is
 * derived and compared. A block of height h that follows `prev` verifies when
 * - its content hashes to its `hash` and has the ledger's shape
 *   (consensus/ledger.ts parseRecord), it links to `prev` (height and hash),
 *   and `prev` verified before it (the genesis of this chain for height 1);
 * - `day` = `height` and `loadFactor` = dayLoadFactor(seed, day);
 * - its blacklist is the derived one: blacklistAfter({ delegates, startAfter },
 *   prev's blacklist, round) (consensus/delegate.ts), with `startAfter` =
 *   prev's leader when the genesis rotates leaders; its leader is the leader
 *   of its round under that blacklist (leaderOf);
 * - `dispatch` and `proposal` are the digests of the stored certificate and
 *   proposal, `leaderSig` verifies, the quorum holds distinct delegates sorted
 *   by id, more than half of all delegates, each decision signature verifying;
 * - each evidence names a delegate, is for this height or an earlier one, has
 *   two different proposal digests, both signed by that delegate;
 * - the certificate is for the day's problem, rebuilt from the case the
 *   genesis names (its kind, and a case file whose bytes have the genesis'
 *   `caseDigest`: the bundled case, or the one given), and is accepted by the
 *   kind's checker; the block's settlement (problems/types.ts Settlement: a
 *   market's purchases and bills), present exactly when the day's problem
 *   settles, is the one it computes of the certificate, within
 *   {@link SETTLEMENT_TOLERANCE}, naming the party and the column that differ
 *   (cheap: no solve); with `recheck`, `costUsd` is also the true cost within
 *   {@link COST_TOLERANCE_USD} (the kind's claim tolerance).
 *
 * Evidence is not required to name a blacklisted delegate. The blacklist
 * follows from the rounds alone (the leaders of the rounds that did not
 * commit), while evidence is a proof that stands on its own signatures; a
 * leader whose equivocation reached only a minority (paper protocol) may
 * still have committed its round, and then it is both the block's leader and
 * the subject of the block's evidence. Requiring it to be blacklisted would
 * refuse that honest block and add nothing the derivation does not already
 * fix.
 *
 * @module
 */
import { blacklistAfter, leaderOf } from "../consensus/delegate.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import {
  blockProposal,
  type BlockRecord,
  chainId,
  decodeCertificate,
  encodeRecord,
  type GenesisParticipant,
  type GenesisRecord,
  type LedgerRecord,
  parseRecord,
} from "../consensus/ledger.ts";
import {
  certificateDigest,
  decisionStatement,
  leaderStatement,
  proposalDigest,
} from "../consensus/signing.ts";
import type { NodeId } from "../consensus/types.ts";
import { type Certificate, describeVerdict, withSymbol } from "../lp/certificate.ts";
import { problemKind, problemKinds, readCaseFile } from "../problems/registry.ts";
import { DAILY_LOAD_VARIATION, dayLoadFactor } from "../problems/schedule.ts";
import {
  type CaseFile,
  type CostUnit,
  formatAmount,
  type Problem,
  type ProblemKind,
  type Settlement,
} from "../problems/types.ts";
import { publicKeyFile, readPublicKey, verifySignature } from "./keys.ts";

/**
 * The dispatch's largest accepted difference between a block's `costUsd` and the recomputed true
 * cost, $ per day. A recheck allows each problem kind its own cost unit's `claimTolerance` (this
 * for `ies-dispatch`).
 *
 * @example
 * ```ts
 * import { COST_TOLERANCE_USD } from "../mod.ts";
 * console.log(COST_TOLERANCE_USD); // 0.01
 * ```
 */
export const COST_TOLERANCE_USD = 0.01;

/**
 * Day LPs kept built at once. Blocks are checked in height order and each day
 * has its own load factor, so a few suffice; each UoM model holds about 14k
 * columns and 6k rows (a few MB), and a build takes about 0.2 s.
 */
const MODEL_CACHE_SIZE = 4;

/** Options of {@link makeChainChecker}. */
export interface ChainCheckOptions {
  /** Also recompute each block's true cost from the day's model (`poso ledger verify --recheck`). */
  recheck?: boolean;
  /** A key directory (actors/keys.ts): the genesis keys must equal its `<name>.pub` files. */
  keysDir?: string;
  /**
   * Check each block's certificate against the day's LP (default true). `false` checks everything
   * signed (links, digests, signatures, quorum, derived blacklist) but builds no LP: what a run
   * does on start-up over its whole chain, whose blocks its participants verified when they
   * appended them; a block taken from another ledger is always checked in full.
   */
  certificates?: boolean;
  /**
   * The chain's problem kind and case (default: {@link chainProblemOf} the genesis, i.e. the
   * genesis' kind with its bundled case when that is the case the genesis names). With `digest`,
   * the genesis must name this kind and this digest (else {@link ChainChecker.genesisProblem}).
   */
  problem?: { kind: ProblemKind; case: unknown; digest?: string };
}

/**
 * The chain's case cannot be had: an unknown problem kind, a case file whose digest is not the
 * one the genesis names, or a chain of a case other than the bundled one and no case file given.
 *
 * @example
 * ```ts
 * import { ChainCaseError } from "./chain_check.ts";
 * console.log(new ChainCaseError("pass --case").name); // ChainCaseError
 * ```
 */
export class ChainCaseError extends Error {
  /** An error whose message says which case the chain needs and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "ChainCaseError";
  }
}

/**
 * The problem kind and case a chain's blocks are checked against: the kind
 * the genesis names, and the case file at `casePath` or, without one, the
 * kind's bundled case, which must hash to the genesis' `caseDigest`. Throws a
 * {@link ChainCaseError} saying which digests differ, or to pass the case
 * file; the case's own errors (unreadable, not of the kind) name the file.
 *
 * @example
 * ```ts ignore
 * const { readLedger } = await import("../mod.ts");
 * const [genesis] = (await readLedger("poso-data/A.ledger.jsonl")).records;
 * const chainCase = await chainProblemOf(genesis as GenesisRecord, "my-case.json");
 * console.log(chainCase.digest === (genesis as GenesisRecord).caseDigest); // true
 * ```
 */
export async function chainProblemOf(genesis: GenesisRecord, casePath?: string): Promise<CaseFile> {
  if (!problemKinds().includes(genesis.problem)) {
    throw new ChainCaseError(
      `the chain's problem kind ${JSON.stringify(genesis.problem)} is not one this program knows ` +
        `(known: ${problemKinds().join(", ")})`,
    );
  }
  const kind = problemKind(genesis.problem);
  const named = `case ${JSON.stringify(genesis.caseName)} (${genesis.caseDigest})`;
  const found = await readCaseFile(kind, casePath ?? kind.defaultCase);
  if (found.digest === genesis.caseDigest) return found;
  if (casePath !== undefined) {
    throw new ChainCaseError(
      `${casePath} is not the chain's case: its digest is ${found.digest}, the genesis names ${named}`,
    );
  }
  throw new ChainCaseError(
    `the chain was built from ${named}, not from the bundled case of ${kind.name} (${found.digest}); ` +
      "pass that case file with --case <file>",
  );
}

/**
 * Verifies the blocks of one chain (see the module documentation for every check).
 *
 * @example
 * ```ts ignore
 * const checker = makeChainChecker(genesis);
 * let prev: LedgerRecord = genesis;
 * for (const block of blocks) {
 *   const problem = await checker.check(block, prev);
 *   if (problem) throw new Error(`block ${block.height}: ${problem}`);
 *   prev = block;
 * }
 * ```
 */
export interface ChainChecker {
  /**
   * The first problem of `block` as the record after `prev` (the genesis for height 1), or undefined when it verifies. Memoised by block hash.
   * `prev`, when a block, must have been checked by this checker first (blocks are checked in height order):
   * the derived blacklist starts from its blacklist. Never throws: an error becomes the reason.
   */
  check(block: BlockRecord, prev: LedgerRecord): Promise<string | undefined>;
  /**
   * Takes `block` as verified without checking it: a participant's own ledger tip, which it
   * verified when it appended it, so that the block after it can be checked against it.
   */
  assume(block: BlockRecord): void;
  /**
   * The first problem of the genesis itself (shape and hash, no delegate,
   * another load variation, two participants with one key, keys that differ
   * from `keysDir`), or undefined. Every {@link ChainChecker.check} fails with
   * it too.
   */
  genesisProblem(): Promise<string | undefined>;
}

type Reason = string | undefined;

const label = (p: GenesisParticipant) => `${p.name} (${p.id})`;
const short = (hash: string) => hash.slice(0, 19) + "…";
const ids = (list: readonly NodeId[]) => `[${list.join(", ")}]`;
const after = (prev: LedgerRecord) => prev.kind === "block" ? `block ${prev.height}` : "the genesis";

/** What the checks of one chain share. */
interface Chain {
  genesis: GenesisRecord;
  id: string;
  byId: Map<NodeId, GenesisParticipant>;
  delegates: NodeId[];
  recheck: boolean;
  /** Undefined when certificates are not checked. */
  certificates?: CertificateChecks;
}

/**
 * A record's shape and hash, checked on every call (about 1 ms for a UoM block): the memo by hash is
 * sound only for an object whose content hashes to its `hash`, and an object may have changed since.
 */
function recordProblem(r: LedgerRecord): Reason {
  try {
    const parsed = parseRecord(encodeRecord(r));
    if (!parsed.ok) return parsed.reason;
    return parsed.record.kind === r.kind ? undefined : `kind is ${String(r.kind)}`;
  } catch (e) {
    return `not a ledger record (${(e as Error).message})`;
  }
}

async function genesisProblemOf(g: GenesisRecord, options: ChainCheckOptions): Promise<Reason> {
  const shape = recordProblem(g);
  if (shape) return shape;
  if (g.kind !== "genesis") return "the genesis given is not a genesis record";
  const given = options.problem;
  if (given && given.kind.name !== g.problem) {
    return `the chain's problem kind is ${JSON.stringify(g.problem)}, not ${JSON.stringify(given.kind.name)}`;
  }
  if (given?.digest !== undefined && given.digest !== g.caseDigest) {
    return `the chain's case is ${JSON.stringify(g.caseName)} (${g.caseDigest}), not the case given ` +
      `(${given.digest})`;
  }
  const keysDir = options.keysDir;
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

function verify(publicKey: string, bytes: Uint8Array, sig: string): Promise<boolean> {
  return verifySignature(publicKey, bytes, sig);
}

/** The link to the record before: the next height, and `prev` its hash. */
function linkProblem(b: BlockRecord, prev: LedgerRecord): Reason {
  if (b.height !== prev.height + 1) return `height ${b.height} does not follow height ${prev.height}`;
  if (b.prev !== prev.hash) {
    return `prev ${short(b.prev)} is not the hash of the record before it (${short(prev.hash)}): broken link`;
  }
  return undefined;
}

/** Day and load factor. */
function headerProblem(c: Chain, b: BlockRecord): Reason {
  if (b.day !== b.height) return `day ${b.day} differs from height ${b.height}`;
  const factor = dayLoadFactor(c.genesis.seed, b.day);
  if (b.loadFactor !== factor) {
    return `loadFactor ${b.loadFactor} is not day ${b.day}'s load factor ${factor} (seed ${c.genesis.seed})`;
  }
  return undefined;
}

/** The leader and the blacklist, derived from the previous block, the rotation and the round. */
function derivedProblem(c: Chain, b: BlockRecord, prev: LedgerRecord): Reason {
  const leader = c.byId.get(b.leader);
  if (!leader?.delegate) return `leader ${b.leader} is not a delegate of the genesis`;
  const start = prev.kind === "block" ? prev.blacklist : [];
  const config = {
    delegates: c.delegates,
    startAfter: c.genesis.rotateLeader && prev.kind === "block" ? prev.leader : undefined,
  };
  // Each round that fails blacklists one more delegate, so no round after the last one with a leader exists
  // (this also bounds the derivation below, whatever `round` says).
  const rounds = c.delegates.filter((d) => !start.includes(d)).length;
  if (b.round > rounds) {
    return `round ${b.round} has no leader: ${rounds} delegate${rounds === 1 ? " was" : "s were"} not ` +
      `blacklisted after ${after(prev)}, and each failed round blacklists one`;
  }
  const blacklist = blacklistAfter(config, start, b.round);
  if (blacklist.length !== b.blacklist.length || blacklist.some((id, i) => id !== b.blacklist[i])) {
    return `blacklist ${ids(b.blacklist)} is not the one derived from the blacklist ${ids(start)} after ` +
      `${after(prev)} and round ${b.round}: ${ids(blacklist)}`;
  }
  const expected = leaderOf(config, blacklist);
  if (b.leader !== expected) {
    const who = expected === undefined ? "none" : label(c.byId.get(expected)!);
    return `leader ${label(leader)} is not round ${b.round}'s leader ${who} (blacklist ${ids(blacklist)}` +
      `${config.startAfter === undefined ? "" : `, rotation after ${config.startAfter}`})`;
  }
  return undefined;
}

/** The digests and the leader's signature. */
async function proposalProblem(c: Chain, b: BlockRecord, cert: Certificate): Promise<Reason> {
  const dispatch = dispatchDigest(cert);
  if (dispatch !== b.dispatch) {
    return `dispatch ${short(b.dispatch)} is not the digest of the stored certificate (${short(dispatch)})`;
  }
  const proposal = proposalDigest(blockProposal(b));
  if (proposal !== b.proposal) {
    return `proposal ${short(b.proposal)} is not the digest of the stored proposal (${short(proposal)})`;
  }
  const leader = c.byId.get(b.leader)!;
  if (
    !await verify(
      leader.publicKey,
      leaderStatement(c.id, b.height, b.round, b.leader, b.proposal),
      b.leaderSig,
    )
  ) {
    return `leaderSig: ${label(leader)}'s signature of the proposal does not verify`;
  }
  return undefined;
}

/** Distinct delegates, sorted, more than half of all, every decision signature valid. */
async function quorumProblem(c: Chain, b: BlockRecord): Promise<Reason> {
  const seen = new Set<number>();
  for (const [i, q] of b.quorum.entries()) {
    if (seen.has(q.id)) return `quorum: delegate ${q.id} appears more than once`;
    seen.add(q.id);
    if (!c.byId.get(q.id)?.delegate) return `quorum: ${q.id} is not a delegate`;
    if (i > 0 && q.id < b.quorum[i - 1].id) return "quorum is not sorted by id";
  }
  const all = c.delegates.length;
  const needed = Math.floor(all / 2) + 1;
  if (b.quorum.length < needed) {
    return `quorum: ${b.quorum.length} of ${all} delegates signed; more than half (${needed}) are needed`;
  }
  const valid = await Promise.all(b.quorum.map((q) =>
    verify(
      c.byId.get(q.id)!.publicKey,
      decisionStatement(c.id, b.height, b.round, b.leader, b.dispatch, b.proposal, q.id),
      q.sig,
    )
  ));
  const forged = valid.indexOf(false);
  if (forged >= 0) {
    return `quorum: the decision signature of ${label(c.byId.get(b.quorum[forged].id)!)} does not verify`;
  }
  return undefined;
}

/** Each evidence: a delegate, not after this block, two different proposals both signed by it. */
async function evidenceProblem(c: Chain, b: BlockRecord): Promise<Reason> {
  for (const [i, e] of b.evidence.entries()) {
    const at = `evidence[${i}]`;
    const accused = c.byId.get(e.leader);
    if (!accused?.delegate) return `${at}: ${e.leader} is not a delegate`;
    if (e.height > b.height) return `${at} is for height ${e.height}, after this block`;
    if (e.a.proposal === e.b.proposal) return `${at}: both proposals have the same digest (no equivocation)`;
    for (const side of ["a", "b"] as const) {
      const s = e[side];
      if (
        !await verify(
          accused.publicKey,
          leaderStatement(c.id, e.height, e.round, e.leader, s.proposal),
          s.sig,
        )
      ) {
        return `${at}.${side}: ${label(accused)}'s signature of proposal ${
          short(s.proposal)
        } does not verify`;
      }
    }
  }
  return undefined;
}

/** The certificate and cost checks against each day's model, memoised per (load factor, certificate). */
interface CertificateChecks {
  /** The certificate's verdict against the day's LP (undefined when accepted). */
  verdict(loadFactor: number, day: number, cert: Certificate): Promise<Reason>;
  /** The solution's true cost, and the unit of the day's problem it is measured in. */
  cost(loadFactor: number, cert: Certificate): Promise<{ cost: number; unit: CostUnit }>;
  /** The settlement the day's problem computes of the certificate, or undefined when it settles nothing. */
  settlement(loadFactor: number, cert: Certificate): Promise<Settlement | undefined>;
}

function certificateChecks(source: () => Promise<{ kind: ProblemKind; case: unknown }>): CertificateChecks {
  let run: Promise<{ kind: ProblemKind; case: unknown }> | undefined;
  const problems = new Map<number, Promise<Problem>>();
  // A kind's day problem depends on the day only through its load factor (problems/types.ts DayParams).
  const model = (factor: number, day = 1): Promise<Problem> => {
    let m = problems.get(factor);
    if (m) {
      problems.delete(factor); // most recently used last
    } else {
      run ??= source();
      m = run.then((r) => r.kind.problemFor(r.case, { height: day, loadFactor: factor }));
      if (problems.size >= MODEL_CACHE_SIZE) problems.delete(problems.keys().next().value!);
    }
    problems.set(factor, m);
    return m;
  };
  const verdicts = new Map<string, Promise<Reason>>();
  const costs = new Map<string, Promise<{ cost: number; unit: CostUnit }>>();
  const key = (factor: number, cert: Certificate) => `${factor}|${certificateDigest(cert)}`;
  return {
    verdict(factor, day, cert) {
      const k = key(factor, cert);
      let v = verdicts.get(k);
      if (!v) {
        verdicts.set(
          k,
          v = model(factor, day).then((m) => {
            if (cert.lpId !== m.id) {
              return `the certificate is for LP ${short(cert.lpId)}, day ${day}'s LP is ${short(m.id)}`;
            }
            const verdict = m.verifier.verify(cert);
            return verdict.verdict === "accepted"
              ? undefined
              : `certificate ${describeVerdict(verdict, m.verifier.cost)}`;
          }),
        );
      }
      return v;
    },
    settlement(factor, cert) {
      return model(factor).then((m) => m.settlement?.(cert));
    },
    cost(factor, cert) {
      const k = key(factor, cert);
      let v = costs.get(k);
      if (!v) {
        costs.set(
          k,
          v = model(factor).then((m) => ({ cost: m.verifier.costUsd(cert), unit: m.verifier.cost })),
        );
      }
      return v;
    },
  };
}

async function certificateProblem(c: Chain, b: BlockRecord, cert: Certificate): Promise<Reason> {
  if (!c.certificates) return undefined;
  const bad = await c.certificates.verdict(b.loadFactor, b.day, cert) ??
    settlementProblem(b.settlement, await c.certificates.settlement(b.loadFactor, cert));
  if (bad || !c.recheck) return bad;
  const { cost, unit } = await c.certificates.cost(b.loadFactor, cert);
  if (!(Math.abs(cost - b.costUsd) <= unit.claimTolerance)) {
    return `recheck: costUsd is ${withSymbol(unit.symbol, String(b.costUsd))}, the ${unit.solution}'s true ` +
      `${unit.quantity} is ${formatAmount(unit, cost, 4)} (tolerance ${
        withSymbol(unit.symbol, String(unit.claimTolerance))
      })`;
  }
  return undefined;
}

/**
 * Largest accepted difference between a settlement value a block records and the value recomputed
 * from its certificate and the case, in the column's own unit (MW or CNY for a market). The
 * recomputation is the same arithmetic on the same numbers, so an honest block matches exactly;
 * the tolerance only forgives another implementation's rounding, far below any amount that matters.
 */
export const SETTLEMENT_TOLERANCE = 1e-6;

/** Why a block's settlement is not the recomputed one (naming the party and the column), or undefined. */
function settlementProblem(stored: Settlement | undefined, want: Settlement | undefined): Reason {
  if (!want) {
    return stored ? "the block records a settlement, but its problem settles nothing" : undefined;
  }
  if (!stored) return `the block records no settlement; its problem settles each ${want.party}`;
  if (stored.party !== want.party || stored.columns.join() !== want.columns.join()) {
    return `settlement of ${stored.party}: ${stored.columns.join(", ")}; expected of ${want.party}: ${
      want.columns.join(", ")
    }`;
  }
  if (stored.rows.length !== want.rows.length) {
    return `settlement has ${stored.rows.length} rows, expected one per ${want.party} (${want.rows.length})`;
  }
  for (const [i, w] of want.rows.entries()) {
    const r = stored.rows[i];
    if (r.id !== w.id) return `settlement row ${i + 1} is ${want.party} ${r.id}, expected ${w.id}`;
    for (const [j, v] of w.values.entries()) {
      if (!(Math.abs(r.values[j] - v) <= SETTLEMENT_TOLERANCE)) {
        return `settlement of ${want.party} ${w.id}: ${want.columns[j]} is ${r.values[j]}, ` +
          `recomputed from the certificate and the case ${v} (tolerance ${SETTLEMENT_TOLERANCE})`;
      }
    }
  }
  return undefined;
}

/** Every check of one well-formed block linked to its verified, well-formed predecessor, in order. */
async function blockProblem(c: Chain, b: BlockRecord, prev: LedgerRecord): Promise<Reason> {
  const header = headerProblem(c, b) ?? derivedProblem(c, b, prev);
  if (header) return header;
  const cert = decodeCertificate(b.certificate);
  return await proposalProblem(c, b, cert) ?? await quorumProblem(c, b) ?? await evidenceProblem(c, b) ??
    await certificateProblem(c, b, cert);
}

/**
 * A checker of the blocks of `genesis`'s chain. Each block is checked once
 * (its hash pins the whole chain before it), and each day's LP is built once
 * per distinct load factor while its blocks are checked, so the seven ledgers
 * of one run cost about as much as one.
 *
 * @example
 * ```ts
 * import { makeChainChecker, makeGenesis } from "../mod.ts";
 * const genesis = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * const checker = makeChainChecker(genesis, { recheck: true });
 * console.log(await checker.genesisProblem()); // undefined
 * console.log(await checker.check(genesis as never, genesis)); // "not a block record"
 * ```
 */
export function makeChainChecker(
  genesis: GenesisRecord,
  options: ChainCheckOptions = {},
): ChainChecker {
  const problemSource = async () => options.problem ?? await chainProblemOf(genesis);
  let genesisBad: Promise<Reason> | undefined;
  const genesisProblem = () =>
    genesisBad ??= genesisProblemOf(genesis, options).catch((e) =>
      `the genesis check failed: ${(e as Error).message}`
    );
  let chain: Chain | undefined;
  const verdicts = new Map<string, Promise<Reason>>();

  const run = async (block: BlockRecord, prev: LedgerRecord): Promise<Reason> => {
    const g = await genesisProblem();
    if (g) return `genesis: ${g}`;
    chain ??= {
      genesis,
      id: chainId(genesis),
      byId: new Map(genesis.participants.map((p) => [p.id, p])),
      delegates: genesis.participants.filter((p) => p.delegate).map((p) => p.id),
      recheck: options.recheck ?? false,
      ...(options.certificates === false ? {} : { certificates: certificateChecks(problemSource) }),
    };
    if (block?.kind !== "block") return "not a block record";
    const shape = recordProblem(block);
    if (shape) return shape;
    if (prev?.kind === "genesis") {
      if (prev.hash !== chain.id || recordProblem(prev)) {
        return `it follows the genesis of another chain (${short(String(prev.hash))}, this chain is ${
          short(chain.id)
        })`;
      }
    } else if (prev?.kind === "block") {
      const bad = recordProblem(prev);
      if (bad) return `the block before it is not well formed: ${bad}`;
      const before = verdicts.get(prev.hash);
      if (!before) return `the block before it (height ${prev.height}) was not verified first`;
      const reason = await before;
      if (reason) return `the block before it (height ${prev.height}) does not verify: ${reason}`;
    } else {
      return "the record before it is not a ledger record";
    }
    // The block's hash pins `prev` (its hash is in the block), so past the link the verdict is the block's alone.
    const link = linkProblem(block, prev);
    if (link) return link;
    let v = verdicts.get(block.hash);
    if (!v) {
      verdicts.set(
        block.hash,
        v = blockProblem(chain, block, prev).catch((e) => `the check failed: ${(e as Error).message}`),
      );
    }
    return await v;
  };

  return {
    async check(block, prev) {
      try {
        return await run(block, prev);
      } catch (e) {
        return `the check failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
    assume(block) {
      if (block?.kind === "block" && typeof block.hash === "string") {
        verdicts.set(block.hash, Promise.resolve(undefined));
      }
    },
    genesisProblem,
  };
}
