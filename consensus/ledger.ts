/**
 * The per-participant append-only ledger: its records, their canonical
 * encoding and hashes, and the structural scan of a ledger file's bytes.
 * Pure: no Deno APIs (actors/ledger_file.ts does the file IO,
 * actors/chain_check.ts the signature, derivation and certificate checks).
 *
 * A ledger is a JSON Lines file: line 1 is the {@link GenesisRecord} (the
 * run's scenario, seed, case and participants with their public keys), line
 * k + 1 is the {@link BlockRecord} of height k (day k). Every record carries
 * `hash`, SHA-256 of its canonical JSON without `hash`, and every block
 * carries `prev`, the hash of the record before it, so the last hash pins the
 * whole chain. The genesis hash is the chain id every signature binds to
 * (consensus/signing.ts).
 *
 * Canonical form: each record is written as `JSON.stringify` of an object
 * built with a fixed key order (the order of the interfaces below, `hash`
 * last), no spaces, one record per line, ending in `\n`. A line is accepted
 * only when it is exactly the canonical encoding of what it parses to, so any
 * byte changed anywhere in a record either breaks its JSON, its shape, its
 * canonical form or its hash.
 *
 * Torn versus corrupt: a line is complete when its final `\n` is present.
 * Only bytes after the last `\n` (an incomplete last line) are "torn": an
 * append that was cut off (the writer writes the record, fsyncs, then writes
 * the `\n` and fsyncs again, so a `\n` on disk means the whole line before
 * it is on disk, and an append resolves only after its `\n` is on disk). A
 * complete line that fails to parse or to hash, wherever it is, is
 * corruption and is never truncated or skipped. Two cases have no final `\n`
 * but are not torn: a whole valid next record with nothing after it is a
 * record (the crash came between its fsync and its newline's, so all of it
 * was on disk; LedgerFile.open writes the `\n`), and a whole valid record
 * followed by one byte other than `\n` and NUL is corruption (its newline
 * overwritten; a crash leaves a prefix of the line, or NUL bytes after a
 * power loss, never another byte).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Settlement } from "../problems/types.ts";
import { type Certificate, CERTIFICATE_FORMAT } from "../lp/certificate.ts";
import {
  type EquivocationEvidence,
  type NodeId,
  type Proposal,
  PROTOCOLS,
  type ProtocolVariant,
} from "./types.ts";

/** Format tag of a ledger (in the genesis record). */
export const LEDGER_FORMAT = "poso-ledger/3";

/**
 * Encoding of the certificate vectors in a block: for a vector of n Float64
 * entries, a bitmap of ceil(n / 8) bytes (bit k & 7 of byte k >> 3 set when
 * entry k is not +0; -0 counts as nonzero so it round-trips) followed by the
 * set entries as little-endian Float64 in index order, the whole as
 * base64url without padding. The encoding is canonical: decoding rejects
 * anything the encoder would not have written (padding bits, stored +0,
 * non-canonical base64url), so one certificate has exactly one encoding.
 */
export const CERTIFICATE_ENCODING = "f64-bitmap-sparse/1";

/** Bytes of one Float64 entry. */
const FLOAT64_BYTES = 8;

/** A `sha256:<64 hex>` digest, as every hash and digest of the ledger is written. */
const SHA256_PATTERN = /^sha256:[0-9a-f]{64}$/;
/** Longest problem kind name a genesis may record, characters. */
const MAX_KIND_NAME_CHARS = 64;
/** A raw Ed25519 public key as base64url: 32 bytes, 43 characters. */
const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** An Ed25519 signature as base64url: 64 bytes, 86 characters. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;
/** Base64url without padding. */
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** A certificate as stored in a block: its vectors in {@link CERTIFICATE_ENCODING}. */
export interface EncodedCertificate {
  /** The certificate's format tag (lp/certificate.ts CERTIFICATE_FORMAT). */
  format: typeof CERTIFICATE_FORMAT;
  /** Fingerprint of the LP the certificate is for (lp/certificate.ts lpFingerprint). */
  lpId: string;
  /** What the leader says it solved (informational); absent when the certificate had none. */
  variant?: string;
  /** How `x` and `y` are encoded: {@link CERTIFICATE_ENCODING}. */
  encoding: typeof CERTIFICATE_ENCODING;
  /** Entries of x (LP columns). */
  xLength: number;
  /** Entries of y (LP rows). */
  yLength: number;
  /** x, encoded. */
  x: string;
  /** y, encoded. */
  y: string;
}

/** A participant as the genesis records it. */
export interface GenesisParticipant {
  /** Node id (u32). */
  id: NodeId;
  /** Short name (`C`, `D`, ...), which also names its ledger file. */
  name: string;
  /** Takes part in the delegate phase. */
  delegate: boolean;
  /** Receives decisions and keeps a ledger. */
  normal: boolean;
  /** Raw Ed25519 public key, base64url (actors/keys.ts). */
  publicKey: string;
}

/**
 * Line 1 of every ledger of a run: what the chain is about. Its hash is the chain id.
 *
 * @example
 * ```ts
 * import { makeGenesis } from "../mod.ts";
 * const genesis = makeGenesis({
 *   scenario: "scenario1", seed: 1, problem: "ies-dispatch", caseName: "uom",
 *   caseDigest: `sha256:${"0".repeat(64)}`, loadVariation: 0.05, protocol: "paper",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }],
 * });
 * console.log(genesis.kind, genesis.format, genesis.height); // genesis poso-ledger/3 0
 * ```
 */
export interface GenesisRecord {
  /** Record kind tag. */
  kind: "genesis";
  /** Ledger format tag, {@link LEDGER_FORMAT}. */
  format: typeof LEDGER_FORMAT;
  /** Always 0: the genesis precedes block 1. */
  height: 0;
  /** Scenario name. */
  scenario: string;
  /** Run seed (dimensionless integer): fixes every day's load factor (problems/ies-dispatch/days.ts). */
  seed: number;
  /** The problem kind every day poses (problems/registry.ts), e.g. `ies-dispatch`. */
  problem: string;
  /** The case's own name (for people; two cases may share one: the digest tells them apart). */
  caseName: string;
  /**
   * `sha256:<hex>` of the case file's bytes (problems/registry.ts caseDigest): the data every day's
   * problem is built from. A run continues a chain only with this case, and a verifier rebuilds each
   * day's problem only from a case with this digest.
   */
  caseDigest: string;
  /** Largest relative daily load change (dimensionless, problems/ies-dispatch/days.ts DAILY_LOAD_VARIATION). */
  loadVariation: number;
  /** The protocol variant of the run: the article's rules, Dolev-Strong relay phases or the published code's rules. */
  protocol: ProtocolVariant;
  /**
   * Leader rotation across days (scenario `days.rotate_leader`): day d + 1's
   * first leader is the first non-blacklisted delegate after day d's leader.
   * Verifiers need it to derive each block's blacklist (actors/chain_check.ts).
   */
  rotateLeader: boolean;
  /** Every participant, sorted by id. */
  participants: GenesisParticipant[];
  /**
   * The chain's clock, for participants that run as processes of their own (net/schedule.ts): when
   * day 1 starts, how far apart days are, how long rounds and relay phases last. Absent for a chain
   * that one supervisor drives (it keeps the clock itself).
   */
  schedule?: GenesisSchedule;
  /** `sha256:<hex>` of the canonical record without `hash`. */
  hash: string;
}

/**
 * The schedule every participant of a networked chain keeps by its own clock: day `h` starts at
 * `startMs + (h - 1) * blockMs`; its round `r` starts `(r - 1) * (roundMs + phases * phaseMs)` later;
 * a round's relay phase `k` (2 .. phases + 1, strict protocol) starts `roundMs + (k - 2) * phaseMs`
 * after the round, and the round ends once its phases are over.
 */
export interface GenesisSchedule {
  /** When day 1's first round starts: Unix time, ms (UTC). */
  startMs: number;
  /** Time from one day's start to the next's, ms. */
  blockMs: number;
  /** A round's timeout (its first phase), ms. */
  roundMs: number;
  /** Relay phases after the timeout (the strict protocol's f; 0 otherwise). */
  phases: number;
  /** Length of each relay phase, ms. */
  phaseMs: number;
  /** Rounds a day may take. */
  maxRounds: number;
}

/** Proof that a leader signed two different proposals for one round of one block. */
export type Evidence = EquivocationEvidence;

/**
 * One accepted dispatch decision: the block of height `height` (day `day`).
 *
 * @example
 * ```ts ignore
 * import { readLedger } from "../mod.ts";
 * const { records } = await readLedger("poso-data/C.ledger.jsonl");
 * for (const r of records) if (r.kind === "block") console.log(r.day, r.leader, r.costUsd, r.quorum.length);
 * ```
 */
export interface BlockRecord {
  /** Record kind tag. */
  kind: "block";
  /** Block height (1-based): its line in the ledger is height + 1. */
  height: number;
  /** Hash of the record before it (the genesis for height 1). */
  prev: string;
  /** Day number (1-based); equals `height`. */
  day: number;
  /** The day's load factor (dimensionless), problems/ies-dispatch/days.ts dayLoadFactor(seed, day). */
  loadFactor: number;
  /** Round in which the delegates committed. */
  round: number;
  /** The round's leader (node id). */
  leader: NodeId;
  /** dispatchDigest of the certificate (consensus/digest.ts). */
  dispatch: string;
  /** proposalDigest of {@link blockProposal} (consensus/signing.ts). */
  proposal: string;
  /** True cost of the solution, in the problem kind's cost unit ($ per day for the dispatch). */
  costUsd: number;
  /** Cost the leader claimed, in the same unit. */
  claimedCostUsd: number;
  /** The leader's signature of leaderStatement(chain, height, round, leader, proposal), base64url. */
  leaderSig: string;
  /** Decision signatures of more than half of all delegates, sorted by id. */
  quorum: { id: NodeId; sig: string }[];
  /** Delegates blacklisted after this block, sorted by id. */
  blacklist: NodeId[];
  /** Equivocation proofs gathered while deciding this block. */
  evidence: Evidence[];
  /** The full certificate. */
  certificate: EncodedCertificate;
  /**
   * Optional: each party's share of the solution (a market: every community's purchases and bill),
   * from the day's problem (problems/types.ts Problem.settlement); absent for a problem that settles
   * nothing. Not signed (the signatures cover the proposal): `poso ledger verify --recheck`
   * recomputes it from the certificate and the case.
   */
  settlement?: Settlement;
  /** `sha256:<hex>` of the canonical record without `hash`. */
  hash: string;
}

/** Any line of a ledger. */
export type LedgerRecord = GenesisRecord | BlockRecord;

/** A record without its `hash` (distributes over the union). */
export type UnhashedRecord<T extends LedgerRecord = LedgerRecord> = T extends unknown ? Omit<T, "hash">
  : never;

/**
 * The caller-supplied fields of a genesis. `rotateLeader` may be left out for
 * a chain without leader rotation (it is then recorded as false).
 */
export type GenesisFields =
  & Omit<GenesisRecord, "kind" | "format" | "height" | "hash" | "rotateLeader">
  & { rotateLeader?: boolean };
/** The caller-supplied fields of a block. */
export type BlockFields = Omit<BlockRecord, "kind" | "height" | "prev" | "hash">;

// ---------------------------------------------------------------------------
// Shape checks: each returns a reason naming the field, or undefined.

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const isU32 = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;
const isCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

function keysProblem(o: Obj, where: string, required: readonly string[], optional: readonly string[] = []) {
  for (const k of required) if (!(k in o)) return `${where}.${k} is missing`;
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) return `${where} has an unknown key ${show(k)}`;
  }
  return undefined;
}

const GENESIS_KEYS = [
  "kind",
  "format",
  "height",
  "scenario",
  "seed",
  "problem",
  "caseName",
  "caseDigest",
  "loadVariation",
  "protocol",
  "rotateLeader",
  "participants",
] as const;
const PARTICIPANT_KEYS = ["id", "name", "delegate", "normal", "publicKey"] as const;
const SCHEDULE_KEYS = ["startMs", "blockMs", "roundMs", "phases", "phaseMs", "maxRounds"] as const;
/** Longest a schedule's day, round or phase may be, ms (one week: beyond it a value is a mistake in units). */
export const MAX_SCHEDULE_SPAN_MS = 7 * 24 * 3600 * 1000;
/** Most rounds or relay phases a schedule may have. */
const MAX_SCHEDULE_COUNT = 1000;
const BLOCK_KEYS = [
  "kind",
  "height",
  "prev",
  "day",
  "loadFactor",
  "round",
  "leader",
  "dispatch",
  "proposal",
  "costUsd",
  "claimedCostUsd",
  "leaderSig",
  "quorum",
  "blacklist",
  "evidence",
  "certificate",
] as const;
const EVIDENCE_KEYS = ["leader", "height", "round", "a", "b"] as const;
const SIGNED_KEYS = ["proposal", "sig"] as const;
const QUORUM_KEYS = ["id", "sig"] as const;
const CERTIFICATE_KEYS = ["format", "lpId", "encoding", "xLength", "yLength", "x", "y"] as const;
const SETTLEMENT_KEYS = ["party", "columns", "rows"] as const;
const SETTLEMENT_ROW_KEYS = ["id", "values"] as const;
/** Most columns of a block's settlement. */
export const MAX_SETTLEMENT_COLUMNS = 16;
/** Most rows (parties) of a block's settlement. */
export const MAX_SETTLEMENT_ROWS = 10_000;
/** A settlement column's name: a letter, then letters and digits, at most 40 characters (`billCny`). */
const SETTLEMENT_COLUMN_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,39}$/;
/** A settlement's party word: lower-case letters and spaces, at most 32 characters (`community`). */
const SETTLEMENT_PARTY_PATTERN = /^[a-z][a-z ]{0,31}$/;

function settlementProblem(st: unknown, where: string): string | undefined {
  if (!isObject(st)) return `${where} is not an object`;
  const k = keysProblem(st, where, SETTLEMENT_KEYS);
  if (k) return k;
  if (typeof st.party !== "string" || !SETTLEMENT_PARTY_PATTERN.test(st.party)) {
    return `${where}.party is not 1 to 32 lower-case letters and spaces`;
  }
  const cols = st.columns;
  if (!Array.isArray(cols) || cols.length === 0 || cols.length > MAX_SETTLEMENT_COLUMNS) {
    return `${where}.columns is not an array of 1 to ${MAX_SETTLEMENT_COLUMNS} names`;
  }
  for (const [i, c] of cols.entries()) {
    if (typeof c !== "string" || !SETTLEMENT_COLUMN_PATTERN.test(c)) {
      return `${where}.columns[${i}] is not a name (a letter, then letters and digits, at most 40)`;
    }
    if (cols.indexOf(c) !== i) return `${where}.columns[${i}] ${show(c)} appears twice`;
  }
  if (!Array.isArray(st.rows) || st.rows.length > MAX_SETTLEMENT_ROWS) {
    return `${where}.rows is not an array of at most ${MAX_SETTLEMENT_ROWS} rows`;
  }
  const ids = new Set<number>();
  for (const [i, r] of st.rows.entries()) {
    const at = `${where}.rows[${i}]`;
    if (!isObject(r)) return `${at} is not an object`;
    const rk = keysProblem(r, at, SETTLEMENT_ROW_KEYS);
    if (rk) return rk;
    if (!isU32(r.id)) return `${at}.id is not a u32 id`;
    if (ids.has(r.id)) return `${at}.id ${r.id} appears twice`;
    ids.add(r.id);
    if (!Array.isArray(r.values) || r.values.length !== cols.length) {
      return `${at}.values is not an array of ${cols.length} numbers (one per column)`;
    }
    for (const [j, v] of r.values.entries()) {
      if (!isFiniteNumber(v)) return `${at}.values[${j}] is not a finite number`;
    }
  }
  return undefined;
}

function genesisProblem(g: Obj, where = "genesis"): string | undefined {
  // The format first: a ledger of another format version differs in its keys too.
  if (g.format !== LEDGER_FORMAT) return `${where}.format is ${show(g.format)}, expected "${LEDGER_FORMAT}"`;
  const k = keysProblem(g, where, GENESIS_KEYS, ["schedule"]);
  if (k) return k;
  if (g.schedule !== undefined) {
    const bad = scheduleProblem(g.schedule, `${where}.schedule`);
    if (bad) return bad;
  }
  if (g.height !== 0) return `${where}.height is ${show(g.height)}, expected 0`;
  if (typeof g.scenario !== "string") return `${where}.scenario is not text`;
  if (!Number.isSafeInteger(g.seed)) return `${where}.seed is not an integer`;
  if (typeof g.problem !== "string" || g.problem === "" || g.problem.length > MAX_KIND_NAME_CHARS) {
    return `${where}.problem is not a problem kind's name (1 to ${MAX_KIND_NAME_CHARS} characters)`;
  }
  if (typeof g.caseName !== "string") return `${where}.caseName is not text`;
  if (typeof g.caseDigest !== "string" || !SHA256_PATTERN.test(g.caseDigest)) {
    return `${where}.caseDigest is not a sha256 digest`;
  }
  if (!isFiniteNumber(g.loadVariation) || g.loadVariation < 0) {
    return `${where}.loadVariation is not a number >= 0`;
  }
  if (!(PROTOCOLS as readonly unknown[]).includes(g.protocol)) {
    return `${where}.protocol is ${show(g.protocol)}, expected one of ${
      PROTOCOLS.map((p) => `"${p}"`).join(", ")
    }`;
  }
  if (typeof g.rotateLeader !== "boolean") return `${where}.rotateLeader is not true or false`;
  if (!Array.isArray(g.participants) || g.participants.length === 0) {
    return `${where}.participants is not a non-empty array`;
  }
  const ids = new Set<number>(), names = new Set<string>();
  for (const [i, p] of g.participants.entries()) {
    const at = `${where}.participants[${i}]`;
    if (!isObject(p)) return `${at} is not an object`;
    const pk = keysProblem(p, at, PARTICIPANT_KEYS);
    if (pk) return pk;
    if (!isU32(p.id)) return `${at}.id is not a u32 id`;
    if (typeof p.name !== "string" || p.name === "") return `${at}.name is not a non-empty text`;
    if (typeof p.delegate !== "boolean") return `${at}.delegate is not true or false`;
    if (typeof p.normal !== "boolean") return `${at}.normal is not true or false`;
    if (typeof p.publicKey !== "string" || !PUBLIC_KEY_PATTERN.test(p.publicKey)) {
      return `${at}.publicKey is not a base64url Ed25519 public key (43 characters)`;
    }
    if (ids.has(p.id)) return `${at}.id ${p.id} appears twice`;
    if (names.has(p.name)) return `${at}.name ${show(p.name)} appears twice`;
    ids.add(p.id);
    names.add(p.name);
  }
  return undefined;
}

function scheduleProblem(v: unknown, where: string): string | undefined {
  if (!isObject(v)) return `${where} is not an object`;
  const k = keysProblem(v, where, SCHEDULE_KEYS);
  if (k) return k;
  if (!Number.isSafeInteger(v.startMs) || (v.startMs as number) < 0) {
    return `${where}.startMs is not a Unix time in ms`;
  }
  for (const key of ["blockMs", "roundMs", "phaseMs"] as const) {
    const x = v[key];
    if (!Number.isSafeInteger(x) || (x as number) < 0 || (x as number) > MAX_SCHEDULE_SPAN_MS) {
      return `${where}.${key} is not a whole number of ms from 0 to ${MAX_SCHEDULE_SPAN_MS}`;
    }
  }
  if (!isCount(v.phases, 0) || (v.phases as number) > MAX_SCHEDULE_COUNT) {
    return `${where}.phases is not a count from 0 to ${MAX_SCHEDULE_COUNT}`;
  }
  if (!isCount(v.maxRounds, 1) || (v.maxRounds as number) > MAX_SCHEDULE_COUNT) {
    return `${where}.maxRounds is not a count from 1 to ${MAX_SCHEDULE_COUNT}`;
  }
  const s = v as unknown as GenesisSchedule;
  if (s.roundMs === 0) return `${where}.roundMs is 0: a round needs time`;
  const day = s.maxRounds * (s.roundMs + s.phases * s.phaseMs);
  if (s.blockMs <= day) {
    return `${where}.blockMs (${s.blockMs}) leaves no time after ${s.maxRounds} rounds of ` +
      `${s.roundMs + s.phases * s.phaseMs} ms for the decisions to reach the normal nodes`;
  }
  return undefined;
}

function certificateProblem(c: unknown, where: string): string | undefined {
  if (!isObject(c)) return `${where} is not an object`;
  const k = keysProblem(c, where, CERTIFICATE_KEYS, ["variant"]);
  if (k) return k;
  if (c.format !== CERTIFICATE_FORMAT) {
    return `${where}.format is ${show(c.format)}, expected "${CERTIFICATE_FORMAT}"`;
  }
  if (typeof c.lpId !== "string") return `${where}.lpId is not text`;
  if ("variant" in c && typeof c.variant !== "string") return `${where}.variant is not text`;
  if (c.encoding !== CERTIFICATE_ENCODING) {
    return `${where}.encoding is ${show(c.encoding)}, expected "${CERTIFICATE_ENCODING}"`;
  }
  if (!isCount(c.xLength, 0)) return `${where}.xLength is not an integer >= 0`;
  if (!isCount(c.yLength, 0)) return `${where}.yLength is not an integer >= 0`;
  if (typeof c.x !== "string") return `${where}.x is not text`;
  if (typeof c.y !== "string") return `${where}.y is not text`;
  return undefined;
}

function signedProblem(s: unknown, where: string): string | undefined {
  if (!isObject(s)) return `${where} is not an object`;
  const k = keysProblem(s, where, SIGNED_KEYS);
  if (k) return k;
  if (typeof s.proposal !== "string" || !SHA256_PATTERN.test(s.proposal)) {
    return `${where}.proposal is not a sha256 digest`;
  }
  if (typeof s.sig !== "string" || !SIGNATURE_PATTERN.test(s.sig)) {
    return `${where}.sig is not a base64url signature`;
  }
  return undefined;
}

function blockProblem(b: Obj, where = "block"): string | undefined {
  const k = keysProblem(b, where, BLOCK_KEYS, ["settlement"]);
  if (k) return k;
  if (!isCount(b.height, 1)) return `${where}.height is not an integer >= 1`;
  for (const f of ["prev", "dispatch", "proposal"] as const) {
    if (typeof b[f] !== "string" || !SHA256_PATTERN.test(b[f] as string)) {
      return `${where}.${f} is not a sha256 digest`;
    }
  }
  if (!isCount(b.day, 1)) return `${where}.day is not an integer >= 1`;
  if (!isFiniteNumber(b.loadFactor) || b.loadFactor <= 0) return `${where}.loadFactor is not a number > 0`;
  if (!isCount(b.round, 1)) return `${where}.round is not an integer >= 1`;
  if (!isU32(b.leader)) return `${where}.leader is not a u32 id`;
  if (!isFiniteNumber(b.costUsd)) return `${where}.costUsd is not a finite number`;
  if (!isFiniteNumber(b.claimedCostUsd)) return `${where}.claimedCostUsd is not a finite number`;
  if (typeof b.leaderSig !== "string" || !SIGNATURE_PATTERN.test(b.leaderSig)) {
    return `${where}.leaderSig is not a base64url signature`;
  }
  if (!Array.isArray(b.quorum)) return `${where}.quorum is not an array`;
  for (const [i, q] of b.quorum.entries()) {
    const at = `${where}.quorum[${i}]`;
    if (!isObject(q)) return `${at} is not an object`;
    const qk = keysProblem(q, at, QUORUM_KEYS);
    if (qk) return qk;
    if (!isU32(q.id)) return `${at}.id is not a u32 id`;
    if (typeof q.sig !== "string" || !SIGNATURE_PATTERN.test(q.sig)) {
      return `${at}.sig is not a base64url signature`;
    }
  }
  if (!Array.isArray(b.blacklist)) return `${where}.blacklist is not an array`;
  for (const [i, id] of b.blacklist.entries()) {
    if (!isU32(id)) return `${where}.blacklist[${i}] is not a u32 id`;
  }
  if (!Array.isArray(b.evidence)) return `${where}.evidence is not an array`;
  for (const [i, e] of b.evidence.entries()) {
    const at = `${where}.evidence[${i}]`;
    if (!isObject(e)) return `${at} is not an object`;
    const ek = keysProblem(e, at, EVIDENCE_KEYS);
    if (ek) return ek;
    if (!isU32(e.leader)) return `${at}.leader is not a u32 id`;
    if (!isCount(e.height, 1)) return `${at}.height is not an integer >= 1`;
    if (!isCount(e.round, 1)) return `${at}.round is not an integer >= 1`;
    const s = signedProblem(e.a, `${at}.a`) ?? signedProblem(e.b, `${at}.b`);
    if (s) return s;
  }
  return certificateProblem(b.certificate, `${where}.certificate`) ??
    ("settlement" in b ? settlementProblem(b.settlement, `${where}.settlement`) : undefined);
}

// ---------------------------------------------------------------------------
// Canonical form and hashes

function canonicalCertificate(c: EncodedCertificate): EncodedCertificate {
  return {
    format: c.format,
    lpId: c.lpId,
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    encoding: c.encoding,
    xLength: c.xLength,
    yLength: c.yLength,
    x: c.x,
    y: c.y,
  };
}

/** The record without `hash`, as a fresh object in canonical key order. */
function canonical(r: UnhashedRecord): UnhashedRecord {
  if (r.kind === "genesis") {
    return {
      kind: "genesis",
      format: r.format,
      height: 0,
      scenario: r.scenario,
      seed: r.seed,
      problem: r.problem,
      caseName: r.caseName,
      caseDigest: r.caseDigest,
      loadVariation: r.loadVariation,
      protocol: r.protocol,
      rotateLeader: r.rotateLeader,
      participants: r.participants.map((p) => ({
        id: p.id,
        name: p.name,
        delegate: p.delegate,
        normal: p.normal,
        publicKey: p.publicKey,
      })),
      ...(r.schedule
        ? {
          schedule: {
            startMs: r.schedule.startMs,
            blockMs: r.schedule.blockMs,
            roundMs: r.schedule.roundMs,
            phases: r.schedule.phases,
            phaseMs: r.schedule.phaseMs,
            maxRounds: r.schedule.maxRounds,
          },
        }
        : {}),
    };
  }
  if (r.kind === "block") {
    return {
      kind: "block",
      height: r.height,
      prev: r.prev,
      day: r.day,
      loadFactor: r.loadFactor,
      round: r.round,
      leader: r.leader,
      dispatch: r.dispatch,
      proposal: r.proposal,
      costUsd: r.costUsd,
      claimedCostUsd: r.claimedCostUsd,
      leaderSig: r.leaderSig,
      quorum: r.quorum.map((q) => ({ id: q.id, sig: q.sig })),
      blacklist: [...r.blacklist],
      evidence: r.evidence.map((e) => ({
        leader: e.leader,
        height: e.height,
        round: e.round,
        a: { proposal: e.a.proposal, sig: e.a.sig },
        b: { proposal: e.b.proposal, sig: e.b.sig },
      })),
      certificate: canonicalCertificate(r.certificate),
      ...(r.settlement === undefined ? {} : {
        settlement: {
          party: r.settlement.party,
          columns: [...r.settlement.columns],
          rows: r.settlement.rows.map((row) => ({ id: row.id, values: [...row.values] })),
        },
      }),
    };
  }
  throw new TypeError(`unknown record kind ${show((r as { kind: unknown }).kind)}`);
}

const sha256 = (text: string): string => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/**
 * The hash of a record: `sha256:<hex>` of the canonical JSON of the record
 * without `hash` (a `hash` field present in `r` is ignored).
 *
 * @example
 * ```ts
 * const key = "A".repeat(43);
 * const g = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: key }] });
 * console.log(recordHash(g) === g.hash); // true
 * ```
 */
export function recordHash(r: UnhashedRecord): string {
  return sha256(JSON.stringify(canonical(r)));
}

/**
 * The genesis record of a chain (participants sorted by id; `rotateLeader`
 * false unless given). Throws a TypeError naming the field when a field has
 * the wrong shape.
 *
 * @example
 * ```ts
 * const g = makeGenesis({ scenario: "scenario1", seed: 7, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`,
 *   protocol: "paper", participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * console.log(g.height, g.hash.startsWith("sha256:")); // 0 true
 * ```
 */
export function makeGenesis(fields: GenesisFields): GenesisRecord {
  const raw: Obj = {
    kind: "genesis",
    format: LEDGER_FORMAT,
    height: 0,
    rotateLeader: fields.rotateLeader ?? false,
  };
  for (const k of GENESIS_KEYS) if (!(k in raw)) raw[k] = (fields as unknown as Obj)[k];
  if (fields.schedule !== undefined) raw.schedule = fields.schedule;
  if (Array.isArray(raw.participants)) {
    raw.participants = [...raw.participants].sort((a, b) => (a?.id ?? 0) - (b?.id ?? 0));
  }
  const bad = genesisProblem(raw);
  if (bad) throw new TypeError(`makeGenesis: ${bad}`);
  const body = canonical(raw as unknown as UnhashedRecord) as UnhashedRecord<GenesisRecord>;
  return { ...body, hash: recordHash(body) };
}

/**
 * The signed fields of a block: what another ledger needs to append the same decision after its own
 * tip (the block without its kind, height, link and hash).
 *
 * @example
 * ```ts ignore
 * const copy = makeBlock(myTip, blockFieldsOf(theirBlock)); // the same decision, linked to my ledger
 * ```
 */
export function blockFieldsOf(b: BlockRecord): BlockFields {
  const { kind: _k, height: _h, prev: _p, hash: _x, ...fields } = b;
  return fields;
}

/**
 * The block that follows `prev`: height prev.height + 1, `prev` = prev.hash,
 * quorum and blacklist sorted by id (fields `kind`, `height`, `prev` and
 * `hash` of `fields`, if any, are ignored). Throws a TypeError naming the
 * field when a field has the wrong shape (e.g. a non-finite cost, which JSON
 * cannot hold) or the certificate does not decode. Checks no signature: that
 * is the verifier's job (actors/chain_check.ts).
 *
 * @example
 * ```ts ignore
 * const b1 = makeBlock(genesis, { day: 1, loadFactor: 1, round: 1, leader: 8, dispatch, proposal,
 *   costUsd: 744.09, claimedCostUsd: 744.09, leaderSig, quorum, blacklist: [], evidence: [],
 *   certificate: encodeCertificate(cert) });
 * ```
 */
export function makeBlock(prev: LedgerRecord, fields: BlockFields): BlockRecord {
  const raw: Obj = { kind: "block", height: prev.height + 1, prev: prev.hash };
  for (const k of BLOCK_KEYS) if (!(k in raw)) raw[k] = (fields as unknown as Obj)[k];
  if (fields.settlement !== undefined) raw.settlement = fields.settlement;
  const bad = blockProblem(raw);
  if (bad) throw new TypeError(`makeBlock: ${bad}`);
  const body = canonical(raw as unknown as UnhashedRecord) as UnhashedRecord<BlockRecord>;
  body.quorum.sort((a, b) => a.id - b.id);
  body.blacklist.sort((a, b) => a - b);
  try {
    decodeCertificate(body.certificate);
  } catch (e) {
    throw new TypeError(`makeBlock: block.certificate: ${(e as Error).message}`);
  }
  return { ...body, hash: recordHash(body) };
}

/**
 * One ledger line: the canonical JSON of the record (`hash` last) and `\n`.
 *
 * @example
 * ```ts
 * const g = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * console.log(encodeRecord(g).endsWith('"}\n')); // true
 * ```
 */
export function encodeRecord(r: LedgerRecord): string {
  return `${JSON.stringify({ ...canonical(r), hash: r.hash })}\n`;
}

/** The result of {@link parseRecord}. */
export type ParsedRecord = { ok: true; record: LedgerRecord } | { ok: false; reason: string };

/**
 * Parses one ledger line (with or without its final `\n`): JSON, exact shape
 * (no missing or unknown key), a decodable certificate, the hash, and the
 * canonical form (the line must be exactly {@link encodeRecord} of what it
 * parses to). Never throws.
 *
 * @example
 * ```ts
 * const g = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * console.log(parseRecord(encodeRecord(g)).ok); // true
 * console.log(parseRecord(encodeRecord(g).replace('"seed":1', '"seed":2')).ok); // false (hash)
 * ```
 */
export function parseRecord(line: string): ParsedRecord {
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  if (/[\n\r]/.test(text)) return { ok: false, reason: "the record spans more than one line" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message})` };
  }
  if (!isObject(raw)) return { ok: false, reason: "not a JSON object" };
  const { hash, ...body } = raw;
  if (typeof hash !== "string" || !SHA256_PATTERN.test(hash)) {
    return { ok: false, reason: "hash is not a sha256 digest" };
  }
  let bad: string | undefined;
  if (body.kind === "genesis") bad = genesisProblem(body);
  else if (body.kind === "block") bad = blockProblem(body);
  else bad = `kind is ${show(body.kind)}, expected "genesis" or "block"`;
  if (bad) return { ok: false, reason: bad };
  const record = { ...canonical(body as unknown as UnhashedRecord), hash } as LedgerRecord;
  if (record.kind === "block") {
    try {
      decodeCertificate(record.certificate);
    } catch (e) {
      return { ok: false, reason: `block.certificate: ${(e as Error).message}` };
    }
  }
  const canonicalBody = JSON.stringify(canonical(record));
  const actual = sha256(canonicalBody);
  if (actual !== hash) {
    return { ok: false, reason: `hash mismatch: the record says ${hash}, its content hashes to ${actual}` };
  }
  // encodeRecord(record) without a second stringify: `hash` is the last key.
  if (`${canonicalBody.slice(0, -1)},"hash":${JSON.stringify(hash)}}` !== text) {
    return { ok: false, reason: "not in canonical form (key order, spacing or number format)" };
  }
  return { ok: true, record };
}

/**
 * The chain id of a ledger: its genesis hash, what every signature binds to.
 *
 * @example
 * ```ts
 * const g = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * console.log(chainId(g) === g.hash); // true
 * ```
 */
export function chainId(genesis: GenesisRecord): string {
  return genesis.hash;
}

/**
 * The top-level fields in which two genesis records differ (empty when the
 * same chain), e.g. `["seed", "participants"]`.
 *
 * @example
 * ```ts
 * const p = [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }];
 * const f = { scenario: "s", caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict" as const, participants: p };
 * console.log(genesisDifferences(makeGenesis({ ...f, seed: 1 }), makeGenesis({ ...f, seed: 2 }))); // ["seed"]
 * ```
 */
export function genesisDifferences(a: GenesisRecord, b: GenesisRecord): string[] {
  const ca = canonical(a) as unknown as Obj, cb = canonical(b) as unknown as Obj;
  return [...GENESIS_KEYS, "schedule"].filter((k) => JSON.stringify(ca[k]) !== JSON.stringify(cb[k]));
}

// ---------------------------------------------------------------------------
// Certificates

/** An entry as it is encoded: a number, or NaN for anything else. */
const entry = (e: unknown): number => typeof e === "number" ? e : NaN;

function encodeVector(v: ArrayLike<number>): string {
  const n = v.length;
  const mapBytes = (n + 7) >> 3;
  let set = 0;
  for (let k = 0; k < n; k++) if (!Object.is(entry(v[k]), 0)) set++;
  const bytes = new Uint8Array(mapBytes + FLOAT64_BYTES * set);
  const view = new DataView(bytes.buffer);
  for (let k = 0, offset = mapBytes; k < n; k++) {
    const x = entry(v[k]);
    if (Object.is(x, 0)) continue;
    bytes[k >> 3] |= 1 << (k & 7);
    view.setFloat64(offset, x, true);
    offset += FLOAT64_BYTES;
  }
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function decodeVector(s: string, n: number, name: string): Float64Array {
  if (!BASE64URL_PATTERN.test(s)) throw new TypeError(`${name} is not base64url`);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(s, { alphabet: "base64url", lastChunkHandling: "loose" });
  } catch (e) {
    throw new TypeError(`${name} is not base64url (${(e as Error).message})`);
  }
  if (bytes.toBase64({ alphabet: "base64url", omitPadding: true }) !== s) {
    throw new TypeError(`${name} is not canonical base64url`);
  }
  const mapBytes = (n + 7) >> 3;
  if (bytes.length < mapBytes) throw new TypeError(`${name} is shorter than its bitmap (${mapBytes} bytes)`);
  let set = 0;
  for (let i = 0; i < mapBytes; i++) {
    let b = bytes[i];
    for (; b; b &= b - 1) set++;
  }
  if (n & 7 && bytes[mapBytes - 1] >> (n & 7)) {
    throw new TypeError(`${name} has bitmap bits beyond entry ${n - 1}`);
  }
  if (bytes.length !== mapBytes + FLOAT64_BYTES * set) {
    throw new TypeError(
      `${name} holds ${bytes.length - mapBytes} value bytes, its bitmap announces ${set} entries of 8 bytes`,
    );
  }
  const out = new Float64Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0, i = 0; k < n; k++) {
    if (!(bytes[k >> 3] & (1 << (k & 7)))) continue;
    const x = view.getFloat64(mapBytes + FLOAT64_BYTES * i++, true);
    if (Object.is(x, 0)) throw new TypeError(`${name}[${k}] is stored as +0 (the bitmap must leave it out)`);
    out[k] = x;
  }
  return out;
}

const decodedCertificates = new WeakMap<EncodedCertificate, Certificate>();

/**
 * The compact, canonical form of a certificate for a block
 * ({@link CERTIFICATE_ENCODING}); entries that are not numbers encode as NaN.
 *
 * @example
 * ```ts
 * const c = { format: "poso-certificate/1" as const, lpId: "sha256:0", x: [0, 1.5, -0, 0], y: [2] };
 * const back = decodeCertificate(encodeCertificate(c));
 * console.log(Array.from(back.x), Object.is(back.x[2], -0)); // [0, 1.5, -0, 0] true
 * ```
 */
export function encodeCertificate(c: Certificate): EncodedCertificate {
  const e: EncodedCertificate = {
    format: c.format,
    lpId: c.lpId,
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    encoding: CERTIFICATE_ENCODING,
    xLength: c.x.length,
    yLength: c.y.length,
    x: encodeVector(c.x),
    y: encodeVector(c.y),
  };
  return e;
}

/**
 * The certificate an {@link EncodedCertificate} holds, bit for bit (x and y
 * as Float64Array). Throws a TypeError when the encoding is malformed or not
 * canonical. Memoised per encoded object (records are never mutated).
 *
 * @example
 * ```ts
 * const c = { format: "poso-certificate/1" as const, lpId: "sha256:0", x: [1, 2], y: [] };
 * console.log(decodeCertificate(encodeCertificate(c)).x[1]); // 2
 * ```
 */
export function decodeCertificate(e: EncodedCertificate): Certificate {
  const hit = decodedCertificates.get(e);
  if (hit) return hit;
  const bad = certificateProblem(e, "certificate");
  if (bad) throw new TypeError(bad);
  const c: Certificate = {
    format: e.format,
    lpId: e.lpId,
    ...(e.variant !== undefined ? { variant: e.variant } : {}),
    x: decodeVector(e.x, e.xLength, "x"),
    y: decodeVector(e.y, e.yLength, "y"),
  };
  decodedCertificates.set(e, c);
  return c;
}

const proposals = new WeakMap<BlockRecord, Proposal>();

/**
 * The proposal a block commits (what the leader signed and proposalDigest
 * covers). Memoised per block object, so its digests are computed once.
 *
 * @example
 * ```ts ignore
 * console.log(proposalDigest(blockProposal(block)) === block.proposal); // true for a valid block
 * ```
 */
export function blockProposal(b: BlockRecord): Proposal {
  let p = proposals.get(b);
  if (!p) {
    p = {
      height: b.height,
      round: b.round,
      leader: b.leader,
      certificate: decodeCertificate(b.certificate),
      claimedCostUsd: b.claimedCostUsd,
    };
    proposals.set(b, p);
  }
  return p;
}

// ---------------------------------------------------------------------------
// Whole ledgers

/** The first bad line of a ledger: 1-based line, the height it should hold (line − 1), why. */
export interface LedgerDefect {
  /** 1-based line number. */
  line: number;
  /** The height that line should hold (line − 1). */
  height: number;
  /** What is wrong with it. */
  reason: string;
}

/** What {@link scanLedger} finds in a ledger's bytes. */
export interface LedgerScan {
  /** The records before the first bad line (all of them when there is none). */
  records: LedgerRecord[];
  /** Bytes after the last complete record: an incomplete last line (0 when there is none). */
  tornBytes: number;
  /**
   * True when the last record is whole and valid but its final `\n` is missing (a crash between
   * writing a record and its newline): it is in `records`; LedgerFile.open writes the `\n`.
   */
  unterminated: boolean;
  /** The first complete line that is not a valid next record, if any. */
  bad?: LedgerDefect;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Longest record line {@link scanLedger} parses, bytes without its `\n` (16 MiB). A UoM block is about
 * 70 kB, its certificate ~13.8k columns and ~6.5k rows; this allows certificates of about 1.5 million
 * nonzero entries, and bounds what one forged line costs to parse and verify.
 *
 * @example
 * ```ts
 * import { MAX_RECORD_BYTES } from "../mod.ts";
 * console.log(MAX_RECORD_BYTES / 2 ** 20); // 16
 * ```
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const tooLong = (bytes: number) =>
  `the line holds ${bytes} bytes, more than the ${MAX_RECORD_BYTES} a record may hold (MAX_RECORD_BYTES)`;

/** `bytes` as UTF-8 text, or undefined when they are not valid UTF-8. */
function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The record of line `line` after `records`, or why it is not the valid next record. */
function nextRecord(text: string | undefined, line: number, records: LedgerRecord[]): LedgerRecord | string {
  if (text === undefined) return "not valid UTF-8";
  const parsed = parseRecord(text);
  if (!parsed.ok) return parsed.reason;
  const r = parsed.record;
  const height = line - 1;
  if (line === 1) return r.kind === "genesis" ? r : "line 1 is not a genesis record";
  const before = records[records.length - 1];
  if (r.kind !== "block") return `expected the block of height ${height}, found a genesis record`;
  if (r.height !== height) return `holds height ${r.height}, expected ${height} (heights are consecutive)`;
  if (r.prev !== before.hash) {
    return `prev ${r.prev} is not the hash of the record before it (${before.hash}): broken link`;
  }
  return r;
}

/**
 * Reads a ledger's bytes line by line: every complete line must parse
 * ({@link parseRecord}), line 1 must be a genesis and line k + 1 the block of
 * height k whose `prev` is the hash of line k. Stops at the first bad line.
 * Bytes after the last `\n`:
 * - a whole valid next record (only its `\n` missing) is a record, flagged
 *   `unterminated`; a whole record that is not the valid next one is bad;
 * - a whole record followed by one byte other than `\n` or NUL is bad (its
 *   newline was overwritten);
 * - anything else (a prefix of a record, possibly NUL-padded after a power
 *   loss) is torn: reported in `tornBytes`, not returned as a record.
 *
 * @example
 * ```ts
 * const g = makeGenesis({ scenario: "s", seed: 1, caseName: "uom", loadVariation: 0.05,
 *   problem: "ies-dispatch", caseDigest: `sha256:${"0".repeat(64)}`, protocol: "strict",
 *   participants: [{ id: 8, name: "C", delegate: true, normal: true, publicKey: "A".repeat(43) }] });
 * const bytes = new TextEncoder().encode(encodeRecord(g) + '{"kind":"blo');
 * const scan = scanLedger(bytes);
 * console.log(scan.records.length, scan.tornBytes, scan.bad); // 1 12 undefined
 * const whole = scanLedger(new TextEncoder().encode(encodeRecord(g).slice(0, -1)));
 * console.log(whole.records.length, whole.tornBytes, whole.unterminated); // 1 0 true
 * ```
 */
export function scanLedger(bytes: Uint8Array): LedgerScan {
  const records: LedgerRecord[] = [];
  const end = bytes.lastIndexOf(0x0a) + 1;
  const tail = bytes.length - end;
  const fail = (line: number, reason: string, tornBytes = tail): LedgerScan => ({
    records,
    tornBytes,
    unterminated: false,
    bad: { line, height: line - 1, reason },
  });
  let line = 1;
  for (let start = 0; start < end; line++) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl - start > MAX_RECORD_BYTES) return fail(line, tooLong(nl - start));
    const r = nextRecord(utf8Text(bytes.subarray(start, nl)), line, records);
    if (typeof r === "string") return fail(line, r);
    records.push(r);
    start = nl + 1;
  }
  if (tail === 0) return { records, tornBytes: 0, unterminated: false };
  // Longer than any record can be: not a record (nor a torn one), so not parsed either.
  if (tail > MAX_RECORD_BYTES + 1) return fail(line, tooLong(tail));
  // A whole record (a prefix of a JSON object never parses) missing only its newline.
  const whole = utf8Text(bytes.subarray(end));
  if (whole !== undefined && parseRecord(whole).ok) {
    const r = nextRecord(whole, line, records);
    if (typeof r === "string") return fail(line, `${r} (the last record, its final newline missing)`, 0);
    records.push(r);
    return { records, tornBytes: 0, unterminated: true };
  }
  const lastByte = bytes[bytes.length - 1];
  if (tail > 1 && lastByte !== 0) {
    // A crash leaves a prefix of `record\n` (or, after a power loss, zero bytes where the `\n` would be):
    // a whole record followed by one other byte is its newline overwritten, which is corruption.
    const body = utf8Text(bytes.subarray(end, bytes.length - 1));
    if (body !== undefined && parseRecord(body).ok) {
      const byte = lastByte.toString(16).padStart(2, "0");
      return fail(line, `a whole record whose final newline was replaced by byte 0x${byte}`);
    }
  }
  return { records, tornBytes: tail, unterminated: false };
}
