/**
 * The Worker runtime as an unlucky operator and an attacker meet it: a crash
 * that leaves some ledgers a block behind, two runs on one data directory, a
 * forged block in a ledger, a Worker that cannot start, a dishonest delegate
 * that holds its messages back for a minute. Real Workers and real time, with
 * 3 s rounds (LOADED_MACHINE_ROUND_TIMEOUT_MS).
 */
import assert from "node:assert/strict";
import { lockDataDir } from "../actors/data_lock.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { runDays, RunError } from "../actors/supervisor.ts";
import type { ToWorker } from "../actors/protocol.ts";
import { keySourceOf } from "../actors/supervisor.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import {
  blockFieldsOf,
  blockProposal,
  type BlockRecord,
  encodeRecord,
  makeBlock,
} from "../consensus/ledger.ts";
import { proposalDigest } from "../consensus/signing.ts";
import type { RunReport } from "../consensus/report.ts";
import { dayLoadFactor } from "../problems/schedule.ts";
import { loadScenarioFile, type Scenario } from "../scenarios/loader.ts";
import { tmpDir, workerHarness, workerInitBase } from "./helpers.ts";

/** A run that hangs fails the test after this long instead of blocking the suite (ms). */
const HANG_LIMIT_MS = 90_000;

async function noHang<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} still running after ${HANG_LIMIT_MS} ms`)),
      HANG_LIMIT_MS,
    );
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Round timeout of these runs, ms: they assert which round and leader decide, and a run's first solves
 * are cold (0.6-0.9 s on an idle 2-core machine, well over 1 s while other test runs load it), which
 * the default 1 s round does not always cover there.
 */
const LOADED_MACHINE_ROUND_TIMEOUT_MS = 3000;

const scenario1 = async (): Promise<Scenario> => ({
  ...await loadScenarioFile("scenarios/scenario1.yaml"),
  roundTimeoutMs: LOADED_MACHINE_ROUND_TIMEOUT_MS,
});

async function blocksOf(dir: string, name: string): Promise<BlockRecord[]> {
  return (await readLedger(ledgerFileName(dir, name))).records.slice(1) as BlockRecord[];
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile && e.name !== "LOCK") await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Keeps the first `lines` lines of a ledger (a crash before its later blocks were written). */
async function keepLines(file: string, lines: number, tornTail = ""): Promise<void> {
  const text = await Deno.readTextFile(file);
  const kept = text.split("\n").slice(0, lines).join("\n") + "\n";
  await Deno.writeTextFile(file, kept + tornTail);
}

function acceptedByAll(report: RunReport, normals: number): void {
  const accepted = Object.values(report.normal.accepted).filter((c) => c !== null && c !== undefined);
  assert.equal(accepted.length, normals, `accepted by ${accepted.length} of ${normals}`);
}

/** How long F holds its messages back in the base run, ms: a minute, far longer than its day. */
const HELD_BACK_MS = 60_000;

/** The base run: its data directory, its day and how long the run that wrote it took. */
interface BaseRun {
  dir: string;
  day: RunReport;
  wallMs: number;
}

// One day of Scenario I with F holding every message back for a minute, run twice at once on one data
// directory: the lock lets exactly one write. The tests below start from its ledgers; the last one reads
// its day (one Worker run serves them all).
let base: Promise<BaseRun> | undefined;
function baseRun(): Promise<BaseRun> {
  base ??= (async () => {
    const dir = await tmpDir("safety-base");
    const scenario = await scenario1();
    const delayed: Scenario = {
      ...scenario,
      participants: scenario.participants.map((p) =>
        p.name === "F" ? { ...p, misbehaviour: { ...p.misbehaviour, delay_ms: HELD_BACK_MS } } : p
      ),
    };
    const timed = async () => {
      const t0 = performance.now();
      const [day] = await runDays(delayed, { dataDir: dir });
      return { dir, day, wallMs: performance.now() - t0 };
    };
    const runs = await Promise.allSettled([timed(), timed()]);
    const failed = runs.filter((r) => r.status === "rejected");
    const done = runs.filter((r) => r.status === "fulfilled");
    assert.equal(failed.length, 1, "exactly one of two runs on one directory fails");
    assert.equal(done.length, 1);
    const reason = (failed[0] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof RunError, String(reason));
    assert.match(reason.message, /is in use by another run \(pid \d+/);
    return (done[0] as PromiseFulfilledResult<BaseRun>).value;
  })();
  return base;
}

/** The base run's data directory. */
async function baseDir(): Promise<string> {
  return (await baseRun()).dir;
}

Deno.test("Workers: two runs on one data directory: the second fails at once, the ledgers hold each block once", async () => {
  const dir = await noHang(baseDir(), "two runs at once");
  for (const name of ["A", "B", "C", "D", "E", "F", "G"]) {
    const blocks = await blocksOf(dir, name);
    assert.deepEqual(blocks.map((b) => b.height), [1], `${name}'s ledger holds block 1 once`);
  }
  assert.ok((await verifyLedgerDir(dir)).ok);
  // The lock is free again once the run ended, and is exclusive while held.
  const lock = await lockDataDir(dir);
  await assert.rejects(lockDataDir(dir), /in use by another run/);
  lock.release();
  (await lockDataDir(dir)).release();
});

Deno.test("Workers: a crash that left ledgers a block behind (one torn, one gone) is caught up before the next day", async () => {
  const dir = await tmpDir("safety-lagging");
  await copyDir(await baseDir(), dir);
  const scenario = await scenario1();
  // As after a kill -9 while block 1 was being written: A and E never got it, B's copy is half written,
  // and G's ledger file is gone altogether.
  const full = await Deno.readTextFile(ledgerFileName(dir, "B"));
  const block1 = full.split("\n")[1];
  await keepLines(ledgerFileName(dir, "A"), 1);
  await keepLines(ledgerFileName(dir, "E"), 1);
  await keepLines(ledgerFileName(dir, "B"), 1, block1.slice(0, block1.length >> 1));
  await Deno.remove(ledgerFileName(dir, "G"));

  const [day2] = await noHang(runDays(scenario, { dataDir: dir, untilHeight: 2 }), "the rerun");
  assert.equal(day2.day?.height, 2);
  acceptedByAll(day2, 7);
  const notes = day2.rounds.flatMap((r) => r.notes);
  assert.ok(notes.some((n) => /A's ledger caught up blocks 1\.\.1/.test(n)), notes.join("\n"));
  const decided = new Set<string>();
  for (const name of ["A", "B", "C", "D", "E", "F", "G"]) {
    const blocks = await blocksOf(dir, name);
    assert.deepEqual(blocks.map((b) => b.height), [1, 2], `${name}'s ledger holds blocks 1 and 2`);
    decided.add(blocks.map((b) => `${b.round}/${b.leader}/${b.proposal}`).join(" "));
  }
  assert.equal(decided.size, 1, "every ledger holds the same decisions");
  const verdict = await verifyLedgerDir(dir);
  assert.ok(verdict.ok, verdict.summary);

  // Nothing left to do: --until 2 again starts the Workers, dispatches no day and changes nothing.
  const before = await Deno.readTextFile(ledgerFileName(dir, "A"));
  assert.deepEqual(await runDays(scenario, { dataDir: dir, untilHeight: 2 }), []);
  assert.equal(await Deno.readTextFile(ledgerFileName(dir, "A")), before);
});

Deno.test("Workers: a run does not start from a block whose signature is forged", async () => {
  const dir = await tmpDir("safety-forged");
  await copyDir(await baseDir(), dir);
  const file = ledgerFileName(dir, "D");
  const [, block1] = (await readLedger(file)).records as [never, BlockRecord];
  // A block 2 that copies block 1's signatures onto day 2, round 1, led by D (blacklist and leader as
  // the rules derive them): every hash is right, no signature is.
  const fields = blockFieldsOf(block1);
  const moved = { ...fields, day: 2, round: 1, loadFactor: dayLoadFactor(1, 2) };
  const proposal = proposalDigest({ ...blockProposal(block1), height: 2, round: 1 });
  const forged = makeBlock(block1, { ...moved, proposal });
  await Deno.writeTextFile(file, encodeRecord(forged), { append: true });
  await assert.rejects(
    noHang(runDays(await scenario1(), { dataDir: dir, days: 1 }), "the run"),
    (e) =>
      e instanceof RunError &&
      /D\.ledger\.jsonl:3 \(height 2\): leaderSig: .* does not verify/.test(e.message),
  );
  assert.equal((await blocksOf(dir, "A")).length, 1, "nothing was appended anywhere");
});

Deno.test("Workers: a participant refuses a catch-up block that does not verify and appends nothing", async () => {
  const dir = await tmpDir("safety-refuse");
  await copyDir(await baseDir(), dir);
  const scenario: Scenario = await scenario1();
  const [block1] = await blocksOf(dir, "C");
  await keepLines(ledgerFileName(dir, "A"), 1);
  const { worker, replies, until } = workerHarness();
  try {
    worker.postMessage(
      {
        type: "init",
        id: 6,
        names: Object.fromEntries(scenario.participants.map((p) => [p.id, p.name])),
        ...await workerInitBase(scenario, keySourceOf(scenario, dir)),
        ledgerFile: ledgerFileName(dir, "A"),
        day: { height: 2, loadFactor: dayLoadFactor(1, 2), blacklistAtStart: [8] },
        normal: { delegates: [8, 9, 10, 11, 12], verifyCertificates: false },
      } satisfies ToWorker,
    );
    await noHang(until(() => replies.some((r) => r.type === "ready")), "the Worker's start");
    const fields = blockFieldsOf(block1);
    const attacks = [
      { ...fields, blacklist: [] }, // C, blacklisted in round 1, taken off the list
      { ...fields, claimedCostUsd: 1 }, // the leader never signed that claim
      { ...fields, quorum: fields.quorum.slice(0, 2) }, // two of five delegates are no majority
    ];
    for (const [i, attack] of attacks.entries()) {
      worker.postMessage({ type: "catchUp", seq: i + 1, blocks: [attack] } satisfies ToWorker);
    }
    await noHang(
      until(() => replies.filter((r) => r.type === "effects" && r.final).length === 3),
      "catch-up",
    );
    for (const r of replies) {
      if (r.type !== "effects") continue;
      assert.equal(r.refused?.height, 1, `attack ${r.seq} is refused`);
      assert.equal(r.blocks, undefined, `attack ${r.seq} appended nothing`);
    }
    // The genuine block is adopted.
    worker.postMessage({ type: "catchUp", seq: 4, blocks: [fields] } satisfies ToWorker);
    await noHang(until(() => replies.some((r) => r.type === "effects" && r.seq === 4)), "catch-up");
    const last = replies.find((r) => r.type === "effects" && r.seq === 4);
    assert.ok(last?.type === "effects" && last.refused === undefined, JSON.stringify(last));
    assert.equal(last.blocks?.[0]?.height, 1);
  } finally {
    worker.terminate();
  }
  assert.equal((await blocksOf(dir, "A")).length, 1);
});

Deno.test("Workers: a Worker that cannot start ends the run with its error instead of hanging", async () => {
  const dir = await tmpDir("safety-start");
  // The ledger's temporary file name is taken by a directory: A cannot create its ledger.
  await Deno.mkdir(`${ledgerFileName(dir, "A")}.tmp`, { recursive: true });
  await assert.rejects(
    noHang(runDays(await scenario1(), { dataDir: dir }), "the run"),
    (e) => e instanceof RunError && /^A could not start: /.test(e.message),
  );
});

Deno.test("Workers: a delegate that holds its messages back for a minute does not stretch the day", async () => {
  const { day, wallMs } = await noHang(baseRun(), "the run");
  assert.deepEqual(day.outcome, { round: 2, leader: "D", costUsd: 744 });
  acceptedByAll(day, 7);
  // Two rounds of the 3 s timeout and start-up: far from the minute F holds its messages back.
  assert.ok(wallMs < HELD_BACK_MS / 2, `the day took ${Math.round(wallMs)} ms`);
});

Deno.test("Workers: a round ends once every Worker is idle, and a message held back until before the deadline still counts", async () => {
  const dir = await tmpDir("safety-idle");
  // Ten-minute rounds: waited out on the wall clock, the run would fail noHang long before its end.
  const ROUND_MS = 600_000;
  // E holds each message back this long: its relay of D's proposal is due well before round 2's end.
  const HELD_BACK_MS = 1_500;
  const scenario = await scenario1();
  const slow: Scenario = {
    ...scenario,
    roundTimeoutMs: ROUND_MS,
    participants: scenario.participants.map((p) =>
      p.name === "E" ? { ...p, misbehaviour: { ...p.misbehaviour, delay_ms: HELD_BACK_MS } } : p
    ),
  };
  const [day] = await noHang(runDays(slow, { dataDir: dir }), "the run");
  assert.deepEqual(day.outcome, { round: 2, leader: "D", costUsd: 744 });
  const r2 = day.rounds[1];
  // The supervisor waited for E's held-back relay before it ended the round: G holds it.
  assert.ok(r2.received.G.includes("<$744>DE"), `G received ${r2.received.G}`);
  // Both rounds ended without waiting out their timeouts.
  const skipped = day.timings?.skipped ?? 0;
  assert.ok(skipped > 2 * ROUND_MS - HANG_LIMIT_MS, `skipped ${Math.round(skipped)} ms`);
});
