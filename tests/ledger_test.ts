/**
 * The ledger (issue 4): records, their canonical encoding and hashes, the
 * ledger file (durable appends, torn last records truncated, corruption
 * refused) and `poso ledger verify` (links, digests, real Ed25519 signatures,
 * quorum, evidence, blacklist, forks, and the recheck of every certificate).
 *
 * The fixture is a 3-day chain of the bundled UoM case (one GLPK solve per day,
 * once per file): delegates C..G (ids 8..12) and normal nodes A, B (6, 7),
 * keys derived from a seed (actors/keys.ts), every signature real.
 * - height 1: round 1, leader C, all five delegates sign;
 * - height 2: round 2, leader D after C equivocated in round 1 (the evidence
 *   is in the block), C blacklisted, D E F G sign;
 * - height 3: round 1, leader D, C still blacklisted, D E G sign (3 of 5).
 *
 * Files are written under `out/test-tmp/ledger-<uuid>/` (the only place the
 * test task may write), one directory per test, removed at its end.
 */
import assert from "node:assert/strict";
import { type KeyPair, seedKeyPair, sign } from "../actors/keys.ts";
import { makeChainChecker } from "../actors/chain_check.ts";
import { LedgerError, LedgerFile, ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { mulberry32 } from "../actors/simulator.ts";
import { formatLedgerVerdict, type LedgerVerdict, verifyLedgerDir } from "../cli/ledger.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import {
  type BlockFields,
  blockProposal,
  type BlockRecord,
  CERTIFICATE_ENCODING,
  chainId,
  decodeCertificate,
  encodeCertificate,
  encodeRecord,
  type Evidence,
  type GenesisRecord,
  LEDGER_FORMAT,
  type LedgerRecord,
  makeBlock,
  makeGenesis,
  MAX_RECORD_BYTES,
  parseRecord,
  recordHash,
  scanLedger,
} from "../consensus/ledger.ts";
import { decisionStatement, leaderStatement, proposalDigest } from "../consensus/signing.ts";
import type { Proposal } from "../consensus/types.ts";
import {
  buildDispatchModel,
  type Certificate,
  loadUomCase,
  problemKind,
  readCaseFile,
  solveVariant,
} from "../mod.ts";
import { caseForDay } from "../problems/ies-dispatch/days.ts";
import { DAILY_LOAD_VARIATION, dayLoadFactor } from "../problems/schedule.ts";

/** The bundled case, as a chain of it records it in its genesis. */
const BUNDLED_CASE = await readCaseFile(problemKind());

/** Scratch space of the file tests; the test task grants write access here only. */
const TEST_TMP = "out/test-tmp";
/** Seed of the participants' keys and of the run (days' load factors). */
const SEED = 2024;
const NAMES: Record<number, string> = { 6: "A", 7: "B", 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
const IDS = Object.keys(NAMES).map(Number);
const DELEGATES = [8, 9, 10, 11, 12];
const C = 8, D = 9, E = 10, F = 11, G = 12;
const DAYS = 3;

const encoder = new TextEncoder();

interface Fixture {
  keys: Map<number, KeyPair>;
  genesis: GenesisRecord;
  /** Day d's optimal certificate at index d − 1, and its true cost ($/day). */
  certs: Certificate[];
  costs: number[];
  /** The three blocks' fields, in order. */
  chain: BlockFields[];
}

/** What a block is made of; everything else is derived and signed for real. */
interface Spec {
  round: number;
  leader: number;
  signers: number[];
  blacklist: number[];
  evidence?: Evidence[];
  cert?: Certificate;
  day?: number;
}

function genesisOf(
  keys: Map<number, KeyPair>,
  seed: number,
  delegates = DELEGATES,
  rotateLeader = false,
): GenesisRecord {
  return makeGenesis({
    scenario: "ledger-test",
    seed,
    problem: BUNDLED_CASE.kind.name,
    caseName: "uom",
    caseDigest: BUNDLED_CASE.digest,
    loadVariation: DAILY_LOAD_VARIATION,
    protocol: "strict",
    rotateLeader,
    participants: IDS.map((id) => ({
      id,
      name: NAMES[id],
      delegate: delegates.includes(id),
      normal: true,
      publicKey: keys.get(id)!.publicKey,
    })),
  });
}

/** The fields of block `height` of `genesis`'s chain, signed by the leader and `spec.signers`. */
async function blockFields(
  fx: Fixture,
  genesis: GenesisRecord,
  height: number,
  spec: Spec,
): Promise<BlockFields> {
  const day = spec.day ?? height;
  const cert = spec.cert ?? fx.certs[day - 1];
  const claimedCostUsd = Math.round(fx.costs[day - 1] * 100) / 100;
  const chain = chainId(genesis);
  const p: Proposal = { height, round: spec.round, leader: spec.leader, certificate: cert, claimedCostUsd };
  const proposal = proposalDigest(p), dispatch = dispatchDigest(cert);
  const leaderSig = await sign(
    fx.keys.get(spec.leader)!,
    leaderStatement(chain, height, spec.round, spec.leader, proposal),
  );
  const quorum = await Promise.all(spec.signers.map(async (id) => ({
    id,
    sig: await sign(
      fx.keys.get(id)!,
      decisionStatement(chain, height, spec.round, spec.leader, dispatch, proposal, id),
    ),
  })));
  return {
    day,
    loadFactor: dayLoadFactor(genesis.seed, day),
    round: spec.round,
    leader: spec.leader,
    dispatch,
    proposal,
    costUsd: fx.costs[day - 1],
    claimedCostUsd,
    leaderSig,
    quorum,
    blacklist: spec.blacklist,
    evidence: spec.evidence ?? [],
    certificate: encodeCertificate(cert),
  };
}

/** Proof that `leader` signed two proposals (claimed costs $1 apart) for one round of one block. */
async function equivocation(fx: Fixture, height: number, round: number, leader: number): Promise<Evidence> {
  const chain = chainId(fx.genesis);
  const side = async (claimedCostUsd: number) => {
    const proposal = proposalDigest({
      height,
      round,
      leader,
      certificate: fx.certs[height - 1],
      claimedCostUsd,
    });
    return {
      proposal,
      sig: await sign(fx.keys.get(leader)!, leaderStatement(chain, height, round, leader, proposal)),
    };
  };
  return { leader, height, round, a: await side(744), b: await side(745) };
}

let fixture: Promise<Fixture> | undefined;

/** Keys, genesis, the three days' certificates (one solve per day) and the signed chain; made once. */
function theFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const keys = new Map(
      await Promise.all(IDS.map(async (id) => [id, await seedKeyPair(SEED, id)] as const)),
    );
    const genesis = genesisOf(keys, SEED);
    const ies = await loadUomCase();
    const certs: Certificate[] = [], costs: number[] = [];
    for (let day = 1; day <= DAYS; day++) {
      const model = buildDispatchModel(caseForDay(ies, dayLoadFactor(SEED, day)));
      const s = await solveVariant(model, "optimal");
      certs.push(s.certificate);
      costs.push(s.cost.total);
    }
    const fx: Fixture = { keys, genesis, certs, costs, chain: [] };
    fx.chain.push(
      await blockFields(fx, genesis, 1, { round: 1, leader: C, signers: DELEGATES, blacklist: [] }),
    );
    fx.chain.push(
      await blockFields(fx, genesis, 2, {
        round: 2,
        leader: D,
        signers: [D, E, F, G],
        blacklist: [C],
        evidence: [await equivocation(fx, 2, 1, C)],
      }),
    );
    fx.chain.push(
      await blockFields(fx, genesis, 3, { round: 1, leader: D, signers: [D, E, G], blacklist: [C] }),
    );
    return fx;
  })();
  return fixture;
}

/** The records of a chain, made in memory. */
function records(genesis: GenesisRecord, chain: BlockFields[]): LedgerRecord[] {
  const out: LedgerRecord[] = [genesis];
  for (const f of chain) out.push(makeBlock(out[out.length - 1], f));
  return out;
}

/** A ledger's bytes, made in memory. */
function ledgerBytes(genesis: GenesisRecord, chain: BlockFields[]): Uint8Array {
  return encoder.encode(records(genesis, chain).map(encodeRecord).join(""));
}

/** Runs `fn` in a fresh directory under out/test-tmp, removed afterwards. */
async function inTmpDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = `${TEST_TMP}/ledger-${crypto.randomUUID()}`;
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Writes `chain` through LedgerFile into the ledgers of `names` (default: all seven). */
async function writeLedgers(
  dir: string,
  genesis: GenesisRecord,
  chain: BlockFields[],
  names = IDS.map((id) => NAMES[id]),
): Promise<void> {
  for (const name of names) {
    const { ledger, truncatedBytes } = await LedgerFile.open(ledgerFileName(dir, name), genesis);
    assert.equal(truncatedBytes, 0);
    for (const f of chain) await ledger.append(f);
    ledger.close();
  }
}

/** The verdict on participant `name`'s file. */
function fileOf(v: LedgerVerdict, name: string) {
  const f = v.files.find((f) => f.participant === name);
  assert.ok(f, `no verdict for ${name}: ${formatLedgerVerdict(v)}`);
  return f;
}

/** Asserts that only `name`'s ledger fails, first at `height` (line height + 1), for `reason`. */
function assertFirstBad(v: LedgerVerdict, name: string, height: number, reason: RegExp): void {
  const text = formatLedgerVerdict(v);
  assert.equal(v.ok, false, text);
  const f = fileOf(v, name);
  assert.equal(f.ok, false, text);
  assert.deepEqual(
    { height: f.firstBad?.height, line: f.firstBad?.line },
    { height, line: height + 1 },
    text,
  );
  assert.match(f.firstBad!.reason, reason, text);
  for (const other of v.files) if (other.participant !== name) assert.ok(other.ok, text);
  assert.ok(text.includes(`FAILS at height ${height} (line ${height + 1})`), text);
}

/** Asserts that every ledger fails, first at `height` (line height + 1), for `reason`. */
function assertChainFails(v: LedgerVerdict, height: number, reason: RegExp): void {
  const text = formatLedgerVerdict(v);
  assert.equal(v.ok, false, text);
  assert.equal(v.files.length, IDS.length, text);
  for (const f of v.files) {
    assert.deepEqual([f.ok, f.firstBad?.height, f.firstBad?.line], [false, height, height + 1], text);
    assert.match(f.firstBad!.reason, reason, text);
    assert.equal(f.blocks, height - 1, text);
  }
}

/**
 * Verifies a directory whose seven ledgers hold `chain` (written through LedgerFile as C's ledger,
 * then copied to the other six: every normal participant has a ledger, so none is missing).
 */
async function verifyChain(
  chain: BlockFields[],
  options: { recheck?: boolean; genesis?: GenesisRecord } = {},
): Promise<LedgerVerdict> {
  const fx = await theFixture();
  let v: LedgerVerdict | undefined;
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, options.genesis ?? fx.genesis, chain, ["C"]);
    const bytes = await Deno.readFile(ledgerFileName(dir, "C"));
    for (const id of IDS) if (NAMES[id] !== "C") await Deno.writeFile(ledgerFileName(dir, NAMES[id]), bytes);
    v = await verifyLedgerDir(dir, { recheck: options.recheck });
  });
  return v!;
}

/** Position of `needle` inside line `line` (1-based) of `bytes`, plus `offset`. */
function positionIn(bytes: Uint8Array, line: number, needle: string, offset = 0): number {
  const text = new TextDecoder().decode(bytes);
  let start = 0;
  for (let l = 1; l < line; l++) start = text.indexOf("\n", start) + 1;
  const at = text.indexOf(needle, start);
  assert.ok(at >= 0 && at < text.indexOf("\n", start), `${needle} not in line ${line}`);
  return encoder.encode(text.slice(0, at)).length + offset;
}

/** `bytes` with the byte at `pos` changed (never into a newline or NUL). */
function flipByte(bytes: Uint8Array, pos: number): Uint8Array {
  const out = bytes.slice();
  let b = out[pos] ^ 0x01;
  if (b === 0x0a || b === 0x00) b = out[pos] ^ 0x02;
  out[pos] = b;
  return out;
}

/** 1-based line of byte `pos` (a line's `\n` belongs to it). */
function lineOf(bytes: Uint8Array, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

async function expectLedgerError(
  fn: () => Promise<unknown>,
  expected: { line: number; height: number; detail: RegExp },
): Promise<LedgerError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof LedgerError, `expected a LedgerError, got ${error}`);
  assert.deepEqual({ line: error.line, height: error.height }, {
    line: expected.line,
    height: expected.height,
  });
  assert.match(error.detail, expected.detail);
  assert.ok(
    error.message.includes(error.file) && error.message.includes(`:${expected.line} `),
    error.message,
  );
  return error;
}

// ---------------------------------------------------------------------------
// Encoding

Deno.test("certificates round-trip bit-exactly through the sparse encoding, which is under 40 % of dense", async () => {
  const fx = await theFixture();
  for (const cert of fx.certs) {
    const enc = encodeCertificate(cert);
    assert.equal(enc.encoding, CERTIFICATE_ENCODING);
    const back = decodeCertificate(structuredClone(enc));
    assert.equal(back.lpId, cert.lpId);
    assert.equal(back.variant, cert.variant);
    for (const v of ["x", "y"] as const) {
      const bits = (a: ArrayLike<number>) => new BigUint64Array(Float64Array.from(a).buffer);
      assert.deepEqual(bits(back[v]), bits(cert[v]), `${v} differs`);
    }
    assert.equal(dispatchDigest(back), dispatchDigest(cert));
    const dense = Math.ceil((cert.x.length + cert.y.length) * 8 * 4 / 3);
    assert.ok(
      enc.x.length + enc.y.length < 0.4 * dense,
      `${enc.x.length + enc.y.length} chars vs dense ${dense}`,
    );
  }
});

Deno.test("a -0 in a certificate survives the sparse encoding bit-exactly (it is a value, not a zero)", () => {
  // The solvers write no -0 (next test), but a certificate from another implementation may hold
  // some, and a block's hash covers the exact bits.
  const cert: Certificate = {
    format: "poso-certificate/1",
    lpId: "sha256:0",
    x: [0, -0, 1.5, -0],
    y: [-0, 2, 0],
  };
  const back = decodeCertificate(structuredClone(encodeCertificate(cert)));
  const signs = (a: ArrayLike<number>) => Array.from(a, (v) => Object.is(v, -0) ? "-0" : String(v));
  assert.deepEqual(signs(back.x), ["0", "-0", "1.5", "-0"]);
  assert.deepEqual(signs(back.y), ["-0", "2", "0"]);
  // Each -0 is stored as a value: the encoding is longer than that of the same certificate with +0.
  const plus = { ...cert, x: Array.from(cert.x, (v) => v + 0), y: Array.from(cert.y, (v) => v + 0) };
  assert.ok(encodeCertificate(cert).x.length > encodeCertificate(plus).x.length);
});

Deno.test("a GLPK-certified dispatch holds no -0, so its ledger encoding stores only its nonzeros", async () => {
  const fx = await theFixture(); // three days solved by GLPK (solveVariant's default back end)
  for (const cert of fx.certs) {
    for (const v of ["x", "y"] as const) {
      const negativeZeros = Array.from(cert[v]).filter((e) => Object.is(e, -0)).length;
      assert.equal(negativeZeros, 0, `${v} holds ${negativeZeros} -0`);
    }
    // The encoding is that of the same values with every zero +0: no entry is stored for a zero.
    const plus = { ...cert, x: Array.from(cert.x, (e) => e + 0), y: Array.from(cert.y, (e) => e + 0) };
    assert.deepEqual(encodeCertificate(cert), encodeCertificate(plus));
  }
});

Deno.test("an encoded certificate has exactly one form: anything the encoder would not write is refused", () => {
  const base = { format: "poso-certificate/1" as const, lpId: "sha256:0", x: [0, 2.5, 0], y: [] };
  const enc = encodeCertificate(base);
  assert.deepEqual(Array.from(decodeCertificate(enc).x), [0, 2.5, 0]);
  const bad = (x: string, xLength = 3) => () => decodeCertificate({ ...enc, x, xLength });
  assert.throws(bad(enc.x + "A"), /not base64url/);
  assert.throws(bad(enc.x + "AA"), /holds 9 value bytes, its bitmap announces 1 entries/);
  assert.throws(bad(enc.x.slice(0, -1)), /value bytes|canonical/);
  assert.throws(bad(enc.x + "="), /base64url/);
  assert.throws(bad("Ag"), /value bytes/); // bit 1 set, no value
  assert.throws(bad("CA", 3), /beyond entry 2/); // bit 3 set for a 3-entry vector
  assert.throws(bad("AQAAAAAAAAAA", 1), /stored as \+0/);
  assert.throws(bad("AB"), /canonical/); // nonzero padding bits of the base64url
  assert.throws(
    () => decodeCertificate({ ...enc, encoding: "dense" as typeof CERTIFICATE_ENCODING }),
    /encoding/,
  );
});

Deno.test("records are canonical JSON lines: parse then encode gives the same bytes, any other form is refused", async () => {
  const fx = await theFixture();
  for (const r of records(fx.genesis, fx.chain)) {
    const line = encodeRecord(r);
    assert.ok(line.endsWith("}\n") && line.indexOf("\n") === line.length - 1);
    assert.ok(line.endsWith(`,"hash":"${r.hash}"}\n`), "hash is not the last key");
    const parsed = parseRecord(line);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.reason);
    assert.equal(encodeRecord(parsed.record), line);
    assert.equal(recordHash(parsed.record), r.hash);
    assert.deepEqual(parsed.record, r);
  }
  const line = encodeRecord(records(fx.genesis, fx.chain)[2]);
  const refused = (text: string, reason: RegExp) => {
    const p = parseRecord(text);
    assert.equal(p.ok, false, text.slice(0, 80));
    assert.match((p as { reason: string }).reason, reason);
  };
  refused(line.replace(`"round":2,`, `"round":2, `), /canonical/);
  refused(line.replace(`"round":2,`, `"round":2.0,`), /canonical/);
  refused(line.replace(`{"kind":"block","height":2,`, `{"height":2,"kind":"block",`), /canonical/);
  refused(line.replace(`"round":2,`, `"round":2,"note":1,`), /unknown key "note"/);
  refused(line.replace(`"round":2,`, ""), /block.round is missing/);
  refused(line.replace(`"round":2,`, `"round":3,`), /hash mismatch/);
  refused(line.replace(`"kind":"block"`, `"kind":"blob"`), /kind is "blob"/);
  refused(line.slice(0, 100), /not JSON/);
  // The record's own hash is over everything but itself, so it cannot be "fixed" by editing it.
  const g = fx.genesis;
  assert.equal(g.format, LEDGER_FORMAT);
  assert.equal(recordHash({ ...g, hash: "sha256:whatever" } as GenesisRecord), g.hash);
});

Deno.test("makeBlock links to its predecessor, sorts quorum and blacklist, and refuses what JSON cannot hold", async () => {
  const fx = await theFixture();
  const [g, b1] = records(fx.genesis, fx.chain) as [GenesisRecord, BlockRecord];
  assert.equal(b1.height, 1);
  assert.equal(b1.prev, g.hash);
  const shuffled = makeBlock(g, { ...fx.chain[0], quorum: [...fx.chain[0].quorum].reverse() });
  assert.deepEqual(shuffled.quorum.map((q) => q.id), DELEGATES);
  assert.equal(shuffled.hash, b1.hash);
  assert.throws(() => makeBlock(g, { ...fx.chain[0], costUsd: NaN }), /costUsd is not a finite number/);
  assert.throws(() => makeBlock(g, { ...fx.chain[0], leaderSig: "x" }), /leaderSig/);
  // blockProposal is what the leader signed.
  assert.equal(proposalDigest(blockProposal(b1)), b1.proposal);
});

// ---------------------------------------------------------------------------
// A valid chain

Deno.test("a 3-block chain in 7 ledgers verifies, with and without recheck, and against the key files", async () => {
  const fx = await theFixture();
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, fx.chain);
    for (const recheck of [false, true]) {
      const v = await verifyLedgerDir(dir, { recheck });
      const text = formatLedgerVerdict(v);
      assert.ok(v.ok, text);
      assert.equal(v.files.length, 7);
      assert.deepEqual(v.forks, []);
      for (const f of v.files) assert.deepEqual([f.ok, f.blocks, f.tornBytes], [true, DAYS, 0], text);
      assert.match(v.summary, recheck ? /7 ledgers verified .*rechecked/ : /7 ledgers verified/);
    }
    // The ledger reads back as written.
    const { records: read, tornBytes } = await readLedger(ledgerFileName(dir, "A"));
    assert.equal(tornBytes, 0);
    assert.deepEqual(read.map((r) => r.hash), records(fx.genesis, fx.chain).map((r) => r.hash));

    const keysDir = `${dir}/keys`;
    await Deno.mkdir(keysDir);
    for (const id of IDS) {
      await Deno.writeTextFile(`${keysDir}/${NAMES[id]}.pub`, fx.keys.get(id)!.publicKey + "\n");
    }
    assert.ok((await verifyLedgerDir(dir, { keysDir })).ok);
    await Deno.writeTextFile(`${keysDir}/F.pub`, fx.keys.get(G)!.publicKey + "\n");
    const v = await verifyLedgerDir(dir, { keysDir });
    assert.equal(v.ok, false);
    for (const f of v.files) {
      assert.deepEqual(f.firstBad?.line, 1);
      assert.match(f.firstBad!.reason, /the public key of F \(11\) differs from .*keys\/F\.pub/);
    }
  });
});

// ---------------------------------------------------------------------------
// Tampering with bytes

Deno.test("a line longer than any record can be is refused before it is parsed, complete or not", async () => {
  const fx = await theFixture();
  const head = encodeRecord(fx.genesis);
  const long = "x".repeat(MAX_RECORD_BYTES + 2);
  for (const text of [head + long + "\n", head + long]) {
    const scan = scanLedger(encoder.encode(text));
    assert.deepEqual([scan.records.length, scan.bad?.line], [1, 2]);
    assert.match(scan.bad!.reason, /holds \d+ bytes, more than the 16777216 a record may hold/);
  }
  // A torn append of a record of the largest size is still torn.
  const torn = scanLedger(encoder.encode(head + "{".repeat(MAX_RECORD_BYTES)));
  assert.deepEqual([torn.records.length, torn.tornBytes, torn.bad], [1, MAX_RECORD_BYTES, undefined]);
});

Deno.test("every single changed byte of a ledger is found at the line that holds it", async () => {
  const fx = await theFixture();
  const bytes = ledgerBytes(fx.genesis, fx.chain);
  const clean = scanLedger(bytes);
  assert.equal(clean.bad, undefined);
  assert.equal(clean.records.length, DAYS + 1);
  // Every line's first and last bytes (its `\n` included), and 300 positions drawn at random.
  const positions = new Set<number>();
  for (let i = 0; i < bytes.length; i++) {
    if (i === 0 || bytes[i] === 0x0a || bytes[i - 1] === 0x0a) positions.add(i);
  }
  const random = mulberry32(SEED);
  for (let k = 0; k < 300; k++) positions.add(Math.floor(random() * bytes.length));
  for (const pos of positions) {
    const scan = scanLedger(flipByte(bytes, pos));
    const line = lineOf(bytes, pos);
    assert.ok(scan.bad, `byte ${pos} (line ${line}) changed, nothing found`);
    assert.deepEqual([scan.bad.line, scan.bad.height], [line, line - 1], `byte ${pos}: ${scan.bad.reason}`);
    assert.equal(scan.records.length, line - 1);
  }
});

Deno.test("a changed byte in the genesis, a block header or a certificate fails verify and open at its height", async () => {
  const fx = await theFixture();
  const bytes = ledgerBytes(fx.genesis, fx.chain);
  const x = positionIn(bytes, 3, `"x":"`, 5 + 1000);
  const cases = [
    { what: "genesis scenario", pos: positionIn(bytes, 1, "ledger-test", 2), height: 0 },
    { what: "genesis public key", pos: positionIn(bytes, 1, fx.keys.get(E)!.publicKey, 10), height: 0 },
    { what: "block 2 round", pos: positionIn(bytes, 3, `"round":2`, 8), height: 2 },
    { what: "block 2 prev", pos: positionIn(bytes, 3, `"prev":"sha256:`, 20), height: 2 },
    {
      what: "block 2 quorum signature",
      pos: positionIn(bytes, 3, `"quorum":[{"id":9,"sig":"`, 30),
      height: 2,
    },
    { what: "block 2 certificate x", pos: x, height: 2 },
    { what: "block 3 (last line) certificate y", pos: positionIn(bytes, 4, `"y":"`, 5 + 500), height: 3 },
    { what: "block 3 (last line) hash", pos: positionIn(bytes, 4, `"hash":"sha256:`, 30), height: 3 },
    { what: "the final newline", pos: bytes.length - 1, height: 3 },
  ];
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, fx.chain);
    const path = ledgerFileName(dir, "C");
    for (const c of cases) {
      const changed = flipByte(bytes, c.pos);
      await Deno.writeFile(path, changed);
      const v = await verifyLedgerDir(dir);
      assertFirstBad(v, "C", c.height, /./);
      assert.equal(fileOf(v, "C").blocks, Math.max(0, c.height - 1), c.what);
      // A complete line is never taken for a torn one: open refuses and changes nothing.
      const error = await expectLedgerError(() => LedgerFile.open(path, fx.genesis), {
        line: c.height + 1,
        height: c.height,
        detail: /./,
      });
      assert.equal(error.file, path);
      assert.deepEqual(await Deno.readFile(path), changed, `${c.what}: open changed the file`);
      await assert.rejects(() => readLedger(path), LedgerError);
    }
  });
});

// ---------------------------------------------------------------------------
// Blocks that are well formed but wrong (their hashes are right)

Deno.test("forged, short and duplicated quorums, a wrong leader signature and a wrong load factor are named", async () => {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  const chain = chainId(fx.genesis);
  const forgedQuorum = b2.quorum.map((q) =>
    q.id === E ? { id: E, sig: b2.quorum.find((o) => o.id === F)!.sig } : q
  );
  const cases: { what: string; block2: BlockFields; reason: RegExp }[] = [
    {
      what: "forged quorum signature",
      block2: { ...b2, quorum: forgedQuorum },
      reason: /decision signature of E \(10\) does not verify/,
    },
    {
      what: "quorum of 2 of 5",
      block2: await blockFields(fx, fx.genesis, 2, { round: 2, leader: D, signers: [D, E], blacklist: [C] }),
      reason: /2 of 5 delegates signed; more than half \(3\) are needed/,
    },
    {
      what: "a delegate twice",
      block2: await blockFields(fx, fx.genesis, 2, {
        round: 2,
        leader: D,
        signers: [D, E, E],
        blacklist: [C],
      }),
      reason: /delegate 10 appears more than once/,
    },
    {
      what: "a normal node in the quorum",
      block2: await blockFields(fx, fx.genesis, 2, {
        round: 2,
        leader: D,
        signers: [6, D, E],
        blacklist: [C],
      }),
      reason: /quorum: 6 is not a delegate/,
    },
    {
      what: "leader signature by another key",
      block2: { ...b2, leaderSig: await sign(fx.keys.get(E)!, leaderStatement(chain, 2, 2, D, b2.proposal)) },
      reason: /leaderSig: D \(9\)'s signature of the proposal does not verify/,
    },
    {
      what: "leader signature of another round",
      block2: { ...b2, leaderSig: await sign(fx.keys.get(D)!, leaderStatement(chain, 2, 1, D, b2.proposal)) },
      reason: /leaderSig/,
    },
    {
      what: "wrong load factor",
      block2: { ...b2, loadFactor: 1.01 },
      reason: /loadFactor 1.01 is not day 2's load factor/,
    },
    { what: "day is not the height", block2: { ...b2, day: 3 }, reason: /day 3 differs from height 2/ },
    {
      what: "a leader that is not a delegate",
      block2: await blockFields(fx, fx.genesis, 2, {
        round: 2,
        leader: 6,
        signers: [D, E, F],
        blacklist: [C],
      }),
      reason: /leader 6 is not a delegate/,
    },
  ];
  for (const c of cases) {
    assertChainFails(await verifyChain([b1, c.block2, b3]), 2, c.reason);
  }
});

Deno.test("a quorum of exactly half the delegates (2 of 4) is refused, 3 of 4 is enough", async () => {
  const fx = await theFixture();
  const four = genesisOf(fx.keys, SEED, [C, D, E, F]);
  const half = await blockFields(fx, four, 1, { round: 1, leader: C, signers: [C, D], blacklist: [] });
  assertChainFails(
    await verifyChain([half], { genesis: four }),
    1,
    /2 of 4 delegates signed; more than half \(3\)/,
  );
  const enough = await blockFields(fx, four, 1, { round: 1, leader: C, signers: [C, D, F], blacklist: [] });
  assert.ok((await verifyChain([enough], { genesis: four })).ok);
  // A signature of another chain does not count.
  assertChainFails(await verifyChain([enough]), 1, /leaderSig/);
});

Deno.test("a certificate changed under a recomputed hash is caught by the digests, the signatures or the recheck", async () => {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  const x = Float64Array.from(fx.certs[1].x);
  x[0] += 1;
  const changed: Certificate = { ...fx.certs[1], x };
  const certificate = encodeCertificate(changed);
  // Only the certificate changed: the stored digests no longer match it.
  assertChainFails(
    await verifyChain([b1, { ...b2, certificate }, b3]),
    2,
    /dispatch .* is not the digest of the stored certificate/,
  );
  // Digests recomputed too: the leader never signed that proposal.
  const p = { height: 2, round: 2, leader: D, certificate: changed, claimedCostUsd: b2.claimedCostUsd };
  const redigested = { ...b2, certificate, dispatch: dispatchDigest(changed), proposal: proposalDigest(p) };
  assertChainFails(await verifyChain([b1, redigested, b3]), 2, /leaderSig/);
  const sameDigestOtherProposal = { ...b2, claimedCostUsd: b2.claimedCostUsd + 1 };
  assertChainFails(
    await verifyChain([b1, sameDigestOtherProposal, b3]),
    2,
    /proposal .* is not the digest/,
  );
  // Everything re-signed (a colluding majority): the signatures hold, the certificate check finds it.
  const resigned = await blockFields(fx, fx.genesis, 2, {
    round: 2,
    leader: D,
    signers: [D, E, F, G],
    blacklist: [C],
    evidence: b2.evidence,
    cert: changed,
  });
  for (const recheck of [false, true]) {
    assertChainFails(
      await verifyChain([b1, resigned, b3], { recheck }),
      2,
      /^certificate rejected as infeasible/,
    );
  }
  // costUsd is the participant's own figure, not signed: the recheck recomputes it.
  const cost = { ...b2, costUsd: b2.costUsd + 0.02 };
  assert.ok((await verifyChain([b1, cost, b3])).ok);
  assertChainFails(
    await verifyChain([b1, cost, b3], { recheck: true }),
    2,
    /recheck: costUsd .* true cost/,
  );
  // Another day's certificate is for another LP.
  const otherDay = await blockFields(fx, fx.genesis, 2, {
    round: 2,
    leader: D,
    signers: [D, E, F, G],
    blacklist: [C],
    evidence: b2.evidence,
    cert: fx.certs[0],
  });
  for (const recheck of [false, true]) {
    assertChainFails(
      await verifyChain([b1, otherDay, b3], { recheck }),
      2,
      /^the certificate is for LP .*, day 2's LP is/,
    );
  }
});

Deno.test("evidence verifies; a forged or self-identical one is named; an equivocating leader may lead its block", async () => {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  const ev = b2.evidence[0];
  const chain = chainId(fx.genesis);
  const forged = {
    ...ev,
    b: { ...ev.b, sig: await sign(fx.keys.get(D)!, leaderStatement(chain, 2, 1, C, ev.b.proposal)) },
  };
  const cases: { block2: BlockFields; reason: RegExp }[] = [
    {
      block2: { ...b2, evidence: [forged] },
      reason: /evidence\[0\]\.b: C \(8\)'s signature of proposal .* does not verify/,
    },
    {
      block2: { ...b2, evidence: [{ ...ev, b: ev.a }] },
      reason: /evidence\[0\]: both proposals have the same digest/,
    },
    { block2: { ...b2, evidence: [{ ...ev, round: 2 }] }, reason: /evidence\[0\]\.a: C \(8\)'s signature/ },
    { block2: { ...b2, evidence: [{ ...ev, leader: 6 }] }, reason: /evidence\[0\]: 6 is not a delegate/ },
    { block2: { ...b2, evidence: [{ ...ev, height: 3 }] }, reason: /evidence\[0\] is for height 3, after/ },
  ];
  for (const c of cases) assertChainFails(await verifyChain([b1, c.block2, b3]), 2, c.reason);
  // Paper protocol: C's second proposal reached a minority, the majority committed C's first one in round 1.
  // The block's evidence names its own leader; it is not blacklisted (no round failed), and that verifies.
  const committed = await blockFields(fx, fx.genesis, 1, {
    round: 1,
    leader: C,
    signers: [C, D, E],
    blacklist: [],
    evidence: [await equivocation(fx, 1, 1, C)],
  });
  const v = await verifyChain([committed]);
  assert.ok(v.ok, formatLedgerVerdict(v));
});

Deno.test("a blacklist rewritten in every ledger under recomputed hashes fails verify, with and without recheck", async () => {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  // Every delegate but block 1's leader blacklisted: every later day could only be led by C. The block is
  // re-hashed (makeBlock) and written to all seven ledgers; no signature covers the blacklist.
  const stalled = { ...b1, blacklist: [D, E, F, G] };
  for (const recheck of [false, true]) {
    assertChainFails(
      await verifyChain([stalled], { recheck }),
      1,
      /^blacklist \[9, 10, 11, 12\] is not the one derived from the blacklist \[\] after the genesis and round 1: \[\]$/,
    );
  }
  const cases: { chain: BlockFields[]; height: number; reason: RegExp }[] = [
    // C, the leader of the failed round 1, dropped.
    {
      chain: [b1, { ...b2, blacklist: [] }, b3],
      height: 2,
      reason: /blacklist \[\] is not .*round 2: \[8\]/,
    },
    // The block's own leader added.
    {
      chain: [b1, { ...b2, blacklist: [C, D] }, b3],
      height: 2,
      reason: /blacklist \[8, 9\] is not .*: \[8\]/,
    },
    // A normal node added.
    {
      chain: [b1, { ...b2, blacklist: [6, C] }, b3],
      height: 2,
      reason: /blacklist \[6, 8\] is not .*: \[8\]/,
    },
    // C forgiven on day 3.
    {
      chain: [b1, b2, { ...b3, blacklist: [] }],
      height: 3,
      reason: /blacklist \[\] is not .*\[8\] after block 2 and round 1: \[8\]/,
    },
  ];
  for (const c of cases) assertChainFails(await verifyChain(c.chain), c.height, c.reason);
});

Deno.test("the leader must be its round's leader, and a round after every delegate failed has none", async () => {
  const fx = await theFixture();
  const [b1, b2] = fx.chain;
  // E, validly signed by a majority, leads round 2, whose leader is D (C was blacklisted in round 1).
  const wrongLeader = await blockFields(fx, fx.genesis, 2, {
    round: 2,
    leader: E,
    signers: [D, E, F],
    blacklist: [C],
  });
  assertChainFails(
    await verifyChain([b1, wrongLeader]),
    2,
    /^leader E \(10\) is not round 2's leader D \(9\) \(blacklist \[8\]\)$/,
  );
  // Round 6 of five delegates; the derivation is bounded whatever the round says.
  for (const round of [6, Number.MAX_SAFE_INTEGER]) {
    assertChainFails(
      await verifyChain([b1, { ...b2, round }]),
      2,
      /^round \d+ has no leader: 5 delegates were not blacklisted after block 1, and each failed round/,
    );
  }
});

Deno.test("leader rotation is in the genesis and changes the derived blacklist", async () => {
  const fx = await theFixture();
  const rotating = genesisOf(fx.keys, SEED, DELEGATES, true);
  assert.equal(rotating.rotateLeader, true);
  assert.equal(fx.genesis.rotateLeader, false);
  assert.notEqual(rotating.hash, fx.genesis.hash);
  // With rotation, day 2 starts after C: D leads round 1, fails, and E leads round 2 with D blacklisted.
  const spec2 = { round: 2, leader: E, signers: [D, E, F], blacklist: [D] };
  const b1 = await blockFields(fx, rotating, 1, { round: 1, leader: C, signers: DELEGATES, blacklist: [] });
  const b2 = await blockFields(fx, rotating, 2, spec2);
  const v = await verifyChain([b1, b2], { genesis: rotating });
  assert.ok(v.ok, formatLedgerVerdict(v));
  // The same blocks on a chain without rotation: round 1 of day 2 was C's, so the blacklist is wrong.
  const still1 = await blockFields(fx, fx.genesis, 1, {
    round: 1,
    leader: C,
    signers: DELEGATES,
    blacklist: [],
  });
  const still2 = await blockFields(fx, fx.genesis, 2, spec2);
  assertChainFails(await verifyChain([still1, still2]), 2, /blacklist \[9\] is not .*round 2: \[8\]/);
  // And the rotating chain refuses the non-rotating derivation.
  const notRotated = await blockFields(fx, rotating, 2, {
    round: 2,
    leader: D,
    signers: [D, E, F],
    blacklist: [C],
  });
  assertChainFails(
    await verifyChain([b1, notRotated], { genesis: rotating }),
    2,
    /blacklist \[8\] is not .*round 2: \[9\]/,
  );
});

Deno.test("a dishonest majority's selfish block, validly signed, fails plain verify on its certificate", async () => {
  const fx = await theFixture();
  // C, D and E (3 of 5) collude: C proposes the selfish dispatch of day 1 ($904 against $744) and all three sign.
  const selfish = await solveVariant(buildDispatchModel(await loadUomCase()), "selfish");
  const block = await blockFields(fx, fx.genesis, 1, {
    round: 1,
    leader: C,
    signers: [C, D, E],
    blacklist: [],
    cert: selfish.certificate,
  });
  for (const recheck of [false, true]) {
    assertChainFails(
      await verifyChain([block], { recheck }),
      1,
      /^certificate rejected as suboptimal: the cost is \$9\d\d\.\d\d, the certificate proves only >= \$74\d\.\d\d \(gap \$16\d\.\d\d\)$/,
    );
  }
});

Deno.test("the shared chain checker: in height order, memoised by hash, never fooled by an object whose hash lies", async () => {
  const fx = await theFixture();
  const [g, r1, r2, r3] = records(fx.genesis, fx.chain) as [
    GenesisRecord,
    BlockRecord,
    BlockRecord,
    BlockRecord,
  ];
  const checker = makeChainChecker(fx.genesis);
  assert.equal(await checker.genesisProblem(), undefined);
  // Out of order: block 2's predecessor has not been verified yet.
  assert.match((await checker.check(r2, r1))!, /the block before it \(height 1\) was not verified first/);
  assert.equal(await checker.check(r1, g), undefined);
  assert.equal(await checker.check(r2, r1), undefined);
  assert.equal(await checker.check(r3, r2), undefined);
  // Links are checked before the memo: a verified block after the wrong record fails.
  assert.match((await checker.check(r3, r1))!, /height 3 does not follow height 1/);
  assert.match(
    (await checker.check(r1, genesisOf(fx.keys, SEED + 1)))!,
    /follows the genesis of another chain/,
  );
  // Objects whose content no longer hashes to their `hash` are refused, verified hash or not.
  const lyingPrev = { ...r2, blacklist: [C, D] };
  assert.match(
    (await checker.check(r3, lyingPrev))!,
    /the block before it is not well formed: hash mismatch/,
  );
  assert.match((await checker.check({ ...r2, blacklist: [] }, r1))!, /hash mismatch/);
  // Even the very object that verified, changed in place afterwards.
  r2.blacklist.pop();
  assert.match((await checker.check(r2, r1))!, /hash mismatch/);
  assert.match((await checker.check(r3, r2))!, /the block before it is not well formed: hash mismatch/);
  // Nonsense is a reason, never an exception.
  const junk: unknown[] = [null, undefined, 7, {}, { kind: "block" }, { ...r1, quorum: "x" }];
  for (const j of [...junk, fx.genesis]) {
    assert.equal(typeof await checker.check(j as BlockRecord, g), "string", `block ${JSON.stringify(j)}`);
  }
  for (const j of [...junk, { ...g, kind: "block" }]) {
    assert.equal(typeof await checker.check(r1, j as LedgerRecord), "string", `prev ${JSON.stringify(j)}`);
  }
  // A bad genesis fails every block.
  const noDelegate = genesisOf(fx.keys, SEED, []);
  const bad = makeChainChecker(noDelegate);
  assert.equal(await bad.genesisProblem(), "the genesis names no delegate");
  assert.equal(await bad.check(r1, noDelegate), "genesis: the genesis names no delegate");
});

// ---------------------------------------------------------------------------
// The ledger file

Deno.test("LedgerFile creates the ledger with its genesis, appends durably and reopens at its tip", async () => {
  const fx = await theFixture();
  await inTmpDir(async (dir) => {
    const path = ledgerFileName(`${dir}/deeper/still`, "D");
    assert.equal(path, `${dir}/deeper/still/D.ledger.jsonl`);
    const { ledger, truncatedBytes } = await LedgerFile.open(path, fx.genesis);
    assert.equal(truncatedBytes, 0);
    assert.equal(await Deno.readTextFile(path), encodeRecord(fx.genesis));
    assert.equal(ledger.tip.hash, fx.genesis.hash);
    const appended = [];
    for (const f of fx.chain) appended.push(await ledger.append(f));
    assert.deepEqual(appended.map((b) => b.height), [1, 2, 3]);
    assert.equal(ledger.tip.hash, appended[2].hash);
    ledger.close();
    await assert.rejects(() => ledger.append(fx.chain[0]), /closed/);
    assert.equal(await Deno.readTextFile(path), records(fx.genesis, fx.chain).map(encodeRecord).join(""));
    const again = await LedgerFile.open(path, fx.genesis);
    assert.equal(again.truncatedBytes, 0);
    assert.deepEqual(again.ledger.tip, appended[2], "reopened, the ledger's tip is its last block");
    assert.deepEqual(
      (await readLedger(path)).records.slice(1).map((b) => b.hash),
      appended.map((b) => b.hash),
    );
    again.ledger.close();
    // An empty file (created by someone else) gets the genesis.
    const empty = ledgerFileName(dir, "E");
    await Deno.writeFile(empty, new Uint8Array());
    (await LedgerFile.open(empty, fx.genesis)).ledger.close();
    assert.equal(await Deno.readTextFile(empty), encodeRecord(fx.genesis));
  });
  assert.throws(() => ledgerFileName("d", "../C"), RangeError);
  assert.throws(() => ledgerFileName("d", ""), RangeError);
  assert.throws(() => ledgerFileName("d", ".."), RangeError);
});

/** Writes the fixture chain to every ledger but C's, and C's first two blocks and a cut append of block 3. */
async function cutAppend(
  dir: string,
  stop: number,
): Promise<{ path: string; sizeBefore: number; cut: BlockRecord }> {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  const lineBytes = encoder.encode(encodeRecord(records(fx.genesis, fx.chain)[3])).length;
  await writeLedgers(dir, fx.genesis, fx.chain, ["A", "B", "D", "E", "F", "G"]);
  const path = ledgerFileName(dir, "C");
  const { ledger } = await LedgerFile.open(path, fx.genesis);
  await ledger.append(b1);
  await ledger.append(b2);
  const sizeBefore = (await Deno.stat(path)).size;
  await assert.rejects(() => ledger.append(b3, { stopAfterBytes: lineBytes }), RangeError);
  const cut = await ledger.append(b3, { stopAfterBytes: stop });
  assert.equal(cut.height, 3);
  assert.equal(ledger.tip.height, 2, "the tip moved on a cut append");
  assert.equal((await Deno.stat(path)).size, sizeBefore + stop);
  await assert.rejects(() => ledger.append(b3), /cut after .* reopen/);
  ledger.close();
  return { path, sizeBefore, cut };
}

Deno.test("a torn append is reported by verify (the ledger lags one block), truncated on reopen, and the chain continues", async () => {
  const fx = await theFixture();
  const lineBytes = encoder.encode(encodeRecord(records(fx.genesis, fx.chain)[3])).length;
  // Half the record; and all of it but its last byte (the torn record's closing brace).
  for (const stop of [Math.floor(lineBytes / 2), lineBytes - 2]) {
    await inTmpDir(async (dir) => {
      const { path, sizeBefore, cut } = await cutAppend(dir, stop);
      const v = await verifyLedgerDir(dir);
      const text = formatLedgerVerdict(v);
      assert.equal(v.ok, false, text);
      const c = fileOf(v, "C");
      assert.deepEqual([c.blocks, c.tornBytes, c.problem?.kind], [2, stop, "lagging"], text);
      for (const f of v.files) if (f.participant !== "C") assert.ok(f.ok, text);
      assert.match(v.summary, /torn last record in C \(\d+ bytes\).*not a failure by itself/);
      assert.match(text, /C\.ledger\.jsonl: FAILS: lags 1 block behind A's ledger \(2 of 3 blocks\)/);
      assert.equal((await readLedger(path)).tornBytes, stop);

      const reopened = await LedgerFile.open(path, fx.genesis);
      assert.deepEqual([reopened.truncatedBytes, reopened.newlineWritten], [stop, false]);
      assert.equal((await Deno.stat(path)).size, sizeBefore);
      assert.equal(reopened.ledger.tip.height, 2);
      const b = await reopened.ledger.append(fx.chain[2]);
      assert.equal(b.hash, cut.hash);
      reopened.ledger.close();
      const after = await verifyLedgerDir(dir, { recheck: true });
      assert.ok(after.ok, formatLedgerVerdict(after));
      assert.deepEqual([fileOf(after, "C").blocks, fileOf(after, "C").tornBytes], [3, 0]);
    });
  }
});

Deno.test("a whole last record missing only its newline is kept: verify counts it, open writes the newline", async () => {
  const fx = await theFixture();
  const lineBytes = encoder.encode(encodeRecord(records(fx.genesis, fx.chain)[3])).length;
  await inTmpDir(async (dir) => {
    // A crash between the record's fsync and its newline's.
    const { path, sizeBefore, cut } = await cutAppend(dir, lineBytes - 1);
    const v = await verifyLedgerDir(dir, { recheck: true });
    const text = formatLedgerVerdict(v);
    assert.ok(v.ok, text);
    const c = fileOf(v, "C");
    assert.deepEqual([c.blocks, c.tornBytes, c.unterminated], [3, 0, true], text);
    assert.match(text, /C\.ledger\.jsonl: 3 blocks, ok, last record's final newline missing \(kept/);
    const read = await readLedger(path);
    assert.deepEqual([read.records.length, read.tornBytes], [4, 0]);

    const reopened = await LedgerFile.open(path, fx.genesis);
    assert.deepEqual([reopened.truncatedBytes, reopened.newlineWritten], [0, true]);
    assert.equal(reopened.ledger.tip.hash, cut.hash);
    reopened.ledger.close();
    assert.equal((await Deno.stat(path)).size, sizeBefore + lineBytes);
    assert.deepEqual(await Deno.readFile(path), await Deno.readFile(ledgerFileName(dir, "A")));
    const again = await LedgerFile.open(path, fx.genesis);
    assert.deepEqual([again.truncatedBytes, again.newlineWritten, again.ledger.tip.height], [0, false, 3]);
    again.ledger.close();
  });
  // The same whole record that does not follow the line before it is corruption, not a torn append.
  const recs = records(fx.genesis, fx.chain).map(encodeRecord);
  const skipped = encoder.encode(recs[0] + recs[1] + recs[3].slice(0, -1));
  const scan = scanLedger(skipped);
  assert.deepEqual([scan.records.length, scan.tornBytes, scan.bad?.line], [2, 0, 3]);
  assert.match(scan.bad!.reason, /holds height 3, expected 2 .*final newline missing/);
});

Deno.test("open refuses a bad record before the last, a broken link and a repeated height, changing nothing", async () => {
  const fx = await theFixture();
  const recs = records(fx.genesis, fx.chain);
  const lines = recs.map(encodeRecord);
  // Block 2 linked to the genesis instead of block 1 (well formed, its own hash right).
  const unlinked = { ...(recs[2] as BlockRecord), prev: fx.genesis.hash };
  const brokenLine = encodeRecord({ ...unlinked, hash: recordHash(unlinked) });
  assert.ok(parseRecord(brokenLine).ok);
  const files: { what: string; text: string; line: number; detail: RegExp }[] = [
    {
      what: "bad record before the last",
      text: lines[0] + lines[1].replace(`"round":1,`, `"round":3,`) + lines[2] + lines[3],
      line: 2,
      detail: /hash mismatch/,
    },
    {
      what: "broken prev link",
      text: lines[0] + lines[1] + brokenLine + lines[3],
      line: 3,
      detail: /broken link/,
    },
    {
      what: "repeated height",
      text: lines[0] + lines[1] + lines[1],
      line: 3,
      detail: /holds height 1, expected 2/,
    },
    { what: "a block first", text: lines[1] + lines[2], line: 1, detail: /not a genesis/ },
    { what: "an empty line", text: lines[0] + "\n" + lines[1], line: 2, detail: /not JSON/ },
  ];
  await inTmpDir(async (dir) => {
    await Deno.mkdir(dir, { recursive: true });
    for (const f of files) {
      const path = ledgerFileName(dir, "C");
      await Deno.writeTextFile(path, f.text + '{"kind":"bl'); // with a torn tail that must not be cut
      await expectLedgerError(() => LedgerFile.open(path, fx.genesis), {
        line: f.line,
        height: f.line - 1,
        detail: f.detail,
      });
      assert.equal(await Deno.readTextFile(path), f.text + '{"kind":"bl', `${f.what}: open changed the file`);
      const v = await verifyLedgerDir(dir);
      assert.deepEqual(
        [v.ok, fileOf(v, "C").firstBad?.line],
        [false, f.line],
        `${f.what}: ${formatLedgerVerdict(v)}`,
      );
    }
  });
});

// ---------------------------------------------------------------------------
// Across ledgers

Deno.test("a ledger of another chain is named, and open refuses it", async () => {
  const fx = await theFixture();
  const other = genesisOf(fx.keys, SEED + 1);
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, fx.chain, ["A", "B", "C", "D", "E", "G"]);
    await writeLedgers(dir, other, [], ["F"]);
    const v = await verifyLedgerDir(dir);
    assertFirstBad(
      v,
      "F",
      0,
      /genesis of another chain: differs in seed from the genesis of A, B, C, D, E, G/,
    );
    assert.deepEqual(v.forks, []);
    const path = ledgerFileName(dir, "F");
    const before = await Deno.readFile(path);
    await expectLedgerError(() => LedgerFile.open(path, fx.genesis), {
      line: 1,
      height: 0,
      detail: /genesis of another chain .*differs in seed/,
    });
    assert.deepEqual(await Deno.readFile(path), before);
  });
});

Deno.test("two ledgers that hold different valid blocks at one height are reported as a fork", async () => {
  const fx = await theFixture();
  const [b1, b2, b3] = fx.chain;
  // G committed C's round-1 proposal of height 2, validly signed by three delegates.
  const other2 = await blockFields(fx, fx.genesis, 2, {
    round: 1,
    leader: C,
    signers: [C, E, G],
    blacklist: [],
  });
  const other3 = await blockFields(fx, fx.genesis, 3, {
    round: 1,
    leader: C,
    signers: [C, E, G],
    blacklist: [],
  });
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, [b1, b2, b3], ["A", "B", "C", "D", "E", "F"]);
    await writeLedgers(dir, fx.genesis, [b1, other2, other3], ["G"]);
    const v = await verifyLedgerDir(dir);
    const text = formatLedgerVerdict(v);
    assert.equal(v.ok, false, text);
    for (const f of v.files) assert.ok(f.ok, text);
    assert.equal(v.forks.length, 1, text);
    assert.match(
      v.forks[0],
      /^height 2: A, B, C, D, E, F: round 2, leader 9, proposal sha256:[0-9a-f]+…; G: round 1, leader 8, /,
    );
    assert.match(text, /fork at height 2/);
    assert.match(v.summary, /1 fork between ledgers/);
  });
  // The same decision with another (valid) quorum is no fork: each ledger keeps the signatures it received.
  const otherQuorum = await blockFields(fx, fx.genesis, 2, {
    round: 2,
    leader: D,
    signers: [D, E, F],
    blacklist: [C],
    evidence: b2.evidence,
  });
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, [b1, b2, b3], ["A", "B", "C", "D", "E", "F"]);
    await writeLedgers(dir, fx.genesis, [b1, otherQuorum, b3], ["G"]);
    const v = await verifyLedgerDir(dir);
    assert.deepEqual(v.forks, [], formatLedgerVerdict(v));
  });
});

Deno.test("missing, extra, non-regular and lagging ledgers each fail with their own line", async () => {
  const fx = await theFixture();
  await inTmpDir(async (dir) => {
    await writeLedgers(dir, fx.genesis, fx.chain);
    // C rolled back its last block; B's ledger deleted; D's replaced by a directory; a ledger of no
    // participant added.
    await Deno.writeFile(ledgerFileName(dir, "C"), ledgerBytes(fx.genesis, fx.chain.slice(0, 2)));
    await Deno.remove(ledgerFileName(dir, "B"));
    await Deno.remove(ledgerFileName(dir, "D"));
    await Deno.mkdir(ledgerFileName(dir, "D"));
    await Deno.copyFile(ledgerFileName(dir, "A"), ledgerFileName(dir, "X"));
    const v = await verifyLedgerDir(dir);
    const text = formatLedgerVerdict(v);
    assert.equal(v.ok, false, text);
    const expected: Record<string, [string, RegExp]> = {
      B: [
        "missing",
        /B\.ledger\.jsonl: FAILS: B \(7\) is a normal participant of the genesis but has no ledger file/,
      ],
      C: [
        "lagging",
        /C\.ledger\.jsonl: FAILS: lags 1 block behind A's ledger \(2 of 3 blocks\); the next `poso run` on .* catches it up/,
      ],
      D: ["not-regular", /D\.ledger\.jsonl: FAILS: is a directory/],
      X: ["extra", /X\.ledger\.jsonl: FAILS: the genesis has no participant named X/],
    };
    assert.deepEqual(v.files.map((f) => f.participant), ["A", "B", "C", "D", "E", "F", "G", "X"], text);
    for (const f of v.files) {
      const want = expected[f.participant];
      if (!want) {
        assert.ok(f.ok, text);
        continue;
      }
      assert.deepEqual([f.ok, f.problem?.kind], [false, want[0]], text);
      assert.match(text, want[1]);
    }
    assert.match(
      v.summary,
      /4 of 8 ledgers fail: B missing, C lagging, D not a regular file, X of no normal participant/,
    );
    // Each alone is a failure.
    await Deno.remove(ledgerFileName(dir, "X"));
    await Deno.remove(ledgerFileName(dir, "D"));
    await writeLedgers(dir, fx.genesis, fx.chain, ["D"]);
    assert.deepEqual(notOk(await verifyLedgerDir(dir)), ["B:missing", "C:lagging"]);
    await writeLedgers(dir, fx.genesis, fx.chain, ["B"]);
    assert.deepEqual(notOk(await verifyLedgerDir(dir)), ["C:lagging"]);
    await Deno.remove(ledgerFileName(dir, "C"));
    await writeLedgers(dir, fx.genesis, fx.chain, ["C"]);
    assert.deepEqual(notOk(await verifyLedgerDir(dir)), []);
    await Deno.mkdir(ledgerFileName(dir, "Y"));
    assert.deepEqual(notOk(await verifyLedgerDir(dir)), ["Y:not-regular"]);
    await Deno.remove(ledgerFileName(dir, "Y"));
    await Deno.copyFile(ledgerFileName(dir, "A"), ledgerFileName(dir, "Z"));
    assert.deepEqual(notOk(await verifyLedgerDir(dir)), ["Z:extra"]);
  });
});

/** The failed files of a verdict as `name:problem` (the verdict must fail exactly when there are some). */
function notOk(v: LedgerVerdict): string[] {
  const failed = v.files.filter((f) => !f.ok).map((f) => `${f.participant}:${f.problem?.kind ?? "record"}`);
  assert.equal(v.ok, failed.length === 0, formatLedgerVerdict(v));
  return failed;
}

/** A committed symbolic link (tests may not create one): E.ledger.jsonl → {@link SYMLINK_TARGET}'s E ledger. */
const SYMLINKED_DIR = "tests/fixtures/symlinked-ledger";
const SYMLINK_TARGET = `${TEST_TMP}/symlink-target`;

Deno.test("a ledger that is a symbolic link to another node's valid ledger is never followed", async () => {
  const fx = await theFixture();
  assert.ok((await Deno.lstat(`${SYMLINKED_DIR}/E.ledger.jsonl`)).isSymlink, "the fixture link is in place");
  try {
    await writeLedgers(SYMLINK_TARGET, fx.genesis, fx.chain, ["E"]);
    const target = await verifyLedgerDir(SYMLINK_TARGET);
    assert.deepEqual(
      [fileOf(target, "E").ok, fileOf(target, "E").blocks],
      [true, DAYS],
      "the target verifies",
    );
    const v = await verifyLedgerDir(SYMLINKED_DIR, { recheck: true });
    const text = formatLedgerVerdict(v);
    assert.deepEqual(notOk(v), ["E:not-regular"]);
    assert.match(
      text,
      /E\.ledger\.jsonl: FAILS: is a symbolic link to \.\.\/\.\.\/\.\.\/out\/test-tmp\/symlink-target\/E\.ledger\.jsonl, which verify never follows/,
    );
    assert.equal(fileOf(v, "E").blocks, 0);
  } finally {
    await Deno.remove(SYMLINK_TARGET, { recursive: true }).catch(() => {});
  }
});
