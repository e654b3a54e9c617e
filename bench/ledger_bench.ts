/**
 * `deno run --allow-read --allow-write=out/test-tmp bench/ledger_bench.ts [days] [appends]`:
 * what the ledger costs on the UoM case.
 *
 * Prints the bytes of one block line (the sparse certificate encoding in use
 * against the dense one it replaced), the time of one durable append
 * (make + encode + write + two fsyncs; median of `appends`, default 20, on the
 * disk under out/test-tmp, not a tmpfs) and the time to verify one block
 * (`poso ledger verify`, with and without `--recheck`) on a chain of `days`
 * (default 5) real days, each solved once, with real Ed25519 signatures, for
 * one ledger and for seven ledgers holding the same chain. Both modes check
 * every certificate against its day's LP, built once per day and verify run,
 * which dominates; `--recheck` adds the true cost of each dispatch.
 */
import { seedKeyPair, sign } from "../actors/keys.ts";
import { LedgerFile, ledgerFileName } from "../actors/ledger_file.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import {
  type BlockFields,
  chainId,
  encodeCertificate,
  encodeRecord,
  type GenesisRecord,
  type LedgerRecord,
  makeBlock,
  makeGenesis,
  parseRecord,
} from "../consensus/ledger.ts";
import { decisionStatement, leaderStatement, proposalDigest } from "../consensus/signing.ts";
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

const DAYS = Number(Deno.args[0] ?? 5);
const APPENDS = Number(Deno.args[1] ?? 20);
/** Where the bench writes (the disk the ledgers would live on), removed at the end. */
const DIR = `out/test-tmp/ledger-bench-${crypto.randomUUID()}`;
const SEED = 2024;
const NAMES: Record<number, string> = { 6: "A", 7: "B", 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
const IDS = Object.keys(NAMES).map(Number);
const DELEGATES = [8, 9, 10, 11, 12];
const BYTES_PER_KIB = 1024;
/** Each verification is timed this many times (every run rebuilds the LPs it rechecks against). */
const VERIFY_RUNS = 3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const kib = (bytes: number) => `${(bytes / BYTES_PER_KIB).toFixed(1)} KiB`;
const encoder = new TextEncoder();

function denseBase64Url(v: ArrayLike<number>): string {
  return new Uint8Array(Float64Array.from(v).buffer).toBase64({ alphabet: "base64url", omitPadding: true });
}

const keys = new Map(await Promise.all(IDS.map(async (id) => [id, await seedKeyPair(SEED, id)] as const)));

/** The chain's genesis; every participant keeps a ledger, or only `normals` do. */
function genesisOf(normals: string[]): GenesisRecord {
  return makeGenesis({
    scenario: "ledger-bench",
    seed: SEED,
    problem: BUNDLED_CASE.kind.name,
    caseName: "uom",
    caseDigest: BUNDLED_CASE.digest,
    loadVariation: DAILY_LOAD_VARIATION,
    protocol: "strict",
    participants: IDS.map((id) => ({
      id,
      name: NAMES[id],
      delegate: DELEGATES.includes(id),
      normal: normals.includes(NAMES[id]),
      publicKey: keys.get(id)!.publicKey,
    })),
  });
}
const ALL = IDS.map((id) => NAMES[id]);
const genesis = genesisOf(ALL);

/** Block fields of `height` for day `day`'s certificate, leader C, every delegate signing, on `g`'s chain. */
async function fields(
  g: GenesisRecord,
  height: number,
  day: number,
  cert: Certificate,
  costUsd: number,
): Promise<BlockFields> {
  const chain = chainId(g);
  const round = 1, leader = 8, claimedCostUsd = Math.round(costUsd * 100) / 100;
  const proposal = proposalDigest({ height, round, leader, certificate: cert, claimedCostUsd });
  const dispatch = dispatchDigest(cert);
  return {
    day,
    loadFactor: dayLoadFactor(SEED, day),
    round,
    leader,
    dispatch,
    proposal,
    costUsd,
    claimedCostUsd,
    leaderSig: await sign(keys.get(leader)!, leaderStatement(chain, height, round, leader, proposal)),
    quorum: await Promise.all(DELEGATES.map(async (id) => ({
      id,
      sig: await sign(keys.get(id)!, decisionStatement(chain, height, round, leader, dispatch, proposal, id)),
    }))),
    blacklist: [],
    evidence: [],
    certificate: encodeCertificate(cert),
  };
}

/** The signed chain of every day on `g`'s chain. */
async function chainOf(g: GenesisRecord): Promise<BlockFields[]> {
  const out: BlockFields[] = [];
  for (let day = 1; day <= DAYS; day++) {
    out.push(await fields(g, day, day, days[day - 1].cert, days[day - 1].costUsd));
  }
  return out;
}

const ies = await loadUomCase();
const days: { cert: Certificate; costUsd: number }[] = [];
for (let day = 1; day <= DAYS; day++) {
  const s = await solveVariant(buildDispatchModel(caseForDay(ies, dayLoadFactor(SEED, day))), "optimal");
  days.push({ cert: s.certificate, costUsd: s.cost.total });
}
const chainFields = await chainOf(genesis);

try {
  // Bytes per block.
  const b1 = makeBlock(genesis, chainFields[0]);
  const line = encodeRecord(b1);
  const cert = days[0].cert;
  const denseLine = line.replace(b1.certificate.x, denseBase64Url(cert.x)).replace(
    b1.certificate.y,
    denseBase64Url(cert.y),
  );
  const nonzero = (v: ArrayLike<number>) => Array.from(v).filter((e) => !Object.is(e, 0)).length;
  console.log(
    `x: ${cert.x.length} entries, ${nonzero(cert.x)} nonzero; y: ${cert.y.length}, ${
      nonzero(cert.y)
    } nonzero`,
  );
  console.log(
    `bytes per block: ${encoder.encode(line).length} (${kib(encoder.encode(line).length)}) with the sparse ` +
      `encoding in use; ${encoder.encode(denseLine).length} (${kib(encoder.encode(denseLine).length)}) dense`,
  );
  console.log(`genesis: ${encoder.encode(encodeRecord(genesis)).length} bytes`);
  const parseMs: number[] = [];
  for (let k = 0; k < APPENDS; k++) {
    const t = performance.now();
    if (!parseRecord(line).ok) throw new Error("block does not parse");
    parseMs.push(performance.now() - t);
  }
  console.log(
    `parse + hash check of one block line: ${median(parseMs).toFixed(2)} ms (median of ${APPENDS})`,
  );

  // Durable appends.
  const { ledger } = await LedgerFile.open(ledgerFileName(`${DIR}/append`, "C"), genesis);
  const appendMs: number[] = [];
  for (let k = 0; k < APPENDS; k++) {
    const d = k % DAYS;
    const f = { ...chainFields[d], day: d + 1 };
    const t = performance.now();
    await ledger.append(f);
    appendMs.push(performance.now() - t);
  }
  ledger.close();
  console.log(
    `append + fsync per block: ${median(appendMs).toFixed(2)} ms median of ${APPENDS} ` +
      `(min ${Math.min(...appendMs).toFixed(2)}, max ${Math.max(...appendMs).toFixed(2)})`,
  );

  // Verification, one ledger and seven.
  for (const names of [["C"], ALL]) {
    const dir = `${DIR}/verify-${names.length}`;
    // One ledger: a chain on which only C keeps one (so none is missing).
    const g = names.length === 1 ? genesisOf(names) : genesis;
    const blocks = names.length === 1 ? await chainOf(g) : chainFields;
    for (const name of names) {
      const { ledger } = await LedgerFile.open(ledgerFileName(dir, name), g);
      for (const f of blocks) await ledger.append(f);
      ledger.close();
    }
    for (const recheck of [false, true]) {
      const runs: number[] = [];
      for (let k = 0; k < VERIFY_RUNS; k++) {
        const t = performance.now();
        const v = await verifyLedgerDir(dir, { recheck });
        runs.push(performance.now() - t);
        if (!v.ok) throw new Error(v.summary);
      }
      const ms = median(runs), lines = names.length * DAYS;
      console.log(
        `verify ${names.length} ledger${names.length === 1 ? "" : "s"} of ${DAYS} blocks` +
          `${recheck ? " --recheck" : ""}: ${ms.toFixed(0)} ms (median of ${VERIFY_RUNS}; first run ` +
          `${runs[0].toFixed(0)} ms), ${(ms / lines).toFixed(1)} ms per block line`,
      );
    }
  }
  const records: LedgerRecord[] = [genesis];
  for (const f of chainFields) records.push(makeBlock(records[records.length - 1], f));
  console.log(`ledger of ${DAYS} days: ${kib(encoder.encode(records.map(encodeRecord).join("")).length)}`);
} finally {
  await Deno.remove(DIR, { recursive: true }).catch(() => {});
}
