/**
 * `deno task bench:net [part ...]`: participants as processes over libp2p on 127.0.0.1, with figures.
 * Parts (default all):
 *
 * - `scenario1`: scenario I once on Workers and once with `poso net up`: wall times, the time from the
 *   deciding round's start to the last ledger write (what a block costs beyond waiting for rounds),
 *   the bytes each participant sent for the block.
 * - `kill`: three days of scenario I; delegate D, day 2's first leader, is killed (SIGKILL) as its round
 *   starts (it is solving) and restarted one block interval later. Checks: every ledger holds blocks
 *   1-3 of one proposal each (none lost, none twice), D caught its missing blocks up from its peers and
 *   its ledger verifies with the others.
 * - `offline`: four days; normal node A is killed once it wrote block 1 and restarted two block
 *   intervals later: it catches up blocks 2 and 3 and takes part in day 4.
 * - `rogue`: while scenario I runs, a libp2p peer with a key outside the genesis dials delegate D and
 *   sends it a message: refused at the handshake, counted by D.
 *
 * Every run writes under out/bench/net-*. A failed check prints FAIL and the bench exits 1.
 */
import { runDays, runProblemOf } from "../actors/supervisor.ts";
import { seedKeyPair } from "../actors/keys.ts";
import { readLedger } from "../actors/ledger_file.ts";
import type { BlockRecord } from "../consensus/ledger.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { collectTrace } from "../net/collect.ts";
import type { NodeEvent } from "../net/events.ts";
import { localAddresses, netUp } from "../net/up.ts";
import { loadScenarioFile, type Scenario } from "../scenarios/loader.ts";

const BENCH_DIR = "out/bench";
const SCENARIO = "scenarios/scenario1.yaml";
/** Round timeout of the multi-day parts, ms: days are then 9 s apart (five rounds and a decision window). */
const FAST_ROUND_MS = 1500;
/** Scenario I's id of delegate D and of normal node A. */
const D = 9, A = 6;

let failed = false;
function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed = true;
}

async function freshDir(name: string): Promise<string> {
  const dir = `${BENCH_DIR}/${name}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return dir;
}

/** Each node's sent bytes from its last `stats` event. */
function sentBytes(events: NodeEvent[], scenario: Scenario): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    if (e.type === "stats") out[scenario.participants.find((p) => p.id === e.node)!.name] = e.stats.sentBytes;
  }
  return out;
}

/** Milliseconds from the deciding round's start (its earliest roundStart) to the last block write of `height`. */
function decisionMs(events: NodeEvent[], height: number, round: number): number {
  const starts = events.filter((e) => e.type === "tick" && e.height === height && e.round === round).map((
    e,
  ) => e.at);
  const writes = events.filter((e) => e.type === "effects" && e.blocks?.some((b) => b.height === height)).map(
    (e) => e.at,
  );
  return Math.max(...writes) - Math.min(...starts);
}

/** Every ledger under `dir` holds blocks 1..days, one proposal per height across ledgers; the verdict of ledger verify. */
async function ledgersAgree(dir: string, scenario: Scenario, days: number): Promise<void> {
  const byHeight = new Map<number, Set<string>>();
  for (const p of scenario.participants) {
    const { records } = await readLedger(`${dir}/${p.name}/${p.name}.ledger.jsonl`);
    const blocks = records.filter((r): r is BlockRecord => r.kind === "block");
    check(
      blocks.length === days && blocks.every((b, i) => b.height === i + 1),
      `${p.name}'s ledger holds blocks 1..${days} once each (has ${blocks.map((b) => b.height).join(",")})`,
    );
    for (const b of blocks) byHeight.set(b.height, (byHeight.get(b.height) ?? new Set()).add(b.proposal));
  }
  check([...byHeight.values()].every((s) => s.size === 1), "every height holds one proposal in every ledger");
  const verdict = await verifyLedgerDir(dir);
  check(verdict.ok, `poso ledger verify: ${verdict.summary}`);
}

async function scenario1(scenario: Scenario): Promise<void> {
  console.log("\nscenario I: Workers against processes");
  const t0 = performance.now();
  const [w] = await runDays(scenario, { dataDir: await freshDir("net-workers"), days: 1 });
  const workersMs = performance.now() - t0;
  const dir = await freshDir("net-scenario1");
  const r = await netUp({ scenarioFile: SCENARIO, scenario, dataDir: dir, days: 1 });
  const [p] = collectTrace(scenario, await runProblemOf(scenario), r.events);
  check(
    JSON.stringify(p.outcome) === JSON.stringify(w.outcome),
    `same outcome: ${JSON.stringify(p.outcome)}`,
  );
  const started = r.events.find((e) => e.type === "start") as
    | Extract<NodeEvent, { type: "start" }>
    | undefined;
  const lastWrite = Math.max(
    ...r.events.filter((e) => e.type === "effects" && e.blocks?.length).map((e) => e.at),
  );
  console.log(
    `  Workers: ${(workersMs / 1000).toFixed(2)} s for the block (in-process, rounds end when idle)`,
  );
  console.log(
    `  processes: ${(r.wallMs / 1000).toFixed(2)} s from the first process start to the last block write, ` +
      `of which ${
        ((lastWrite - (started?.schedule.startMs ?? NaN)) / 1000).toFixed(2)
      } s from day 1's start ` +
      `(rounds of ${(started?.schedule.roundMs ?? NaN) / 1000} s wait out their timeouts)`,
  );
  const round = p.outcome?.round ?? 1;
  console.log(
    `  block decided in round ${round}: ${
      decisionMs(r.events, 1, round)
    } ms from that round's start to the ` +
      `last ledger write (Workers: the whole round's work took ${
        Math.round((w.timings?.total ?? 0) - (w.timings?.startup ?? 0) - (w.timings?.waiting ?? 0))
      } ms of non-idle time)`,
  );
  const bytes = sentBytes(r.events, scenario);
  console.log(
    `  bytes sent for the block: ${
      Object.entries(bytes).map(([n, b]) => `${n} ${(b / 1024).toFixed(0)} KiB`).join(", ")
    }`,
  );
  await ledgersAgree(dir, scenario, 1);
}

/** Block interval of the multi-day parts: five rounds and a decision window, ms. */
const FAST_BLOCK_MS = 5 * FAST_ROUND_MS + FAST_ROUND_MS;

/** A `days`-day run of scenario I in which `victim` is killed (SIGKILL) at the first event `when` holds, down `downMs`. */
async function runWithKill(
  scenario: Scenario,
  name: string,
  days: number,
  victim: number,
  when: (e: NodeEvent) => boolean,
  downMs: number,
) {
  const dir = await freshDir(name);
  let killed = false;
  const r = await netUp({
    scenarioFile: SCENARIO,
    scenario,
    dataDir: dir,
    days,
    roundMs: FAST_ROUND_MS,
    chaos: {
      kill: (e) => {
        if (killed || e.node !== victim || !when(e)) return undefined;
        killed = true;
        return victim;
      },
      downMs,
    },
  });
  check(killed, `${scenario.participants.find((p) => p.id === victim)?.name} was killed`);
  const caught = r.events.filter((e) => e.node === victim && e.type === "catchUp").reduce(
    (s, e) => s + (e.type === "catchUp" ? e.blocks : 0),
    0,
  );
  return { dir, r, caught };
}

async function kill(scenario: Scenario): Promise<void> {
  console.log("\nkill -9 of delegate D as it leads day 2's first round; restarted one block interval later");
  const { dir, r, caught } = await runWithKill(
    scenario,
    "net-kill",
    3,
    D,
    (e) => e.type === "tick" && e.height === 2 && e.round === 1,
    FAST_BLOCK_MS,
  );
  check(r.exits[D]?.restarts === 1, `D was restarted once (${r.exits[D]?.restarts})`);
  check(caught > 0, `D caught up ${caught} block(s) from its peers`);
  const reports = collectTrace(scenario, await runProblemOf(scenario), r.events);
  console.log(
    `  outcomes: ${
      reports.map((x) => `day ${x.day?.height}: round ${x.outcome?.round}, ${x.outcome?.leader}`).join("; ")
    }`,
  );
  await ledgersAgree(dir, scenario, 3);
}

async function offline(scenario: Scenario): Promise<void> {
  console.log("\nnormal node A offline for two days of four");
  const { dir, caught } = await runWithKill(
    scenario,
    "net-offline",
    4,
    A,
    (e) => e.type === "effects" && (e.blocks ?? []).some((b) => b.height === 1),
    2 * FAST_BLOCK_MS,
  );
  check(caught >= 2, `A caught up ${caught} block(s) after two days offline`);
  await ledgersAgree(dir, scenario, 4);
}

async function rogue(scenario: Scenario): Promise<void> {
  console.log("\na process with a key outside the genesis dials delegate D");
  const dir = await freshDir("net-rogue");
  const addresses = localAddresses(scenario);
  const { Transport } = await import("../net/transport.ts");
  let attempted = false;
  let delivered = 0;
  let rogueRun: Promise<void> | undefined;
  const r = await netUp({
    scenarioFile: SCENARIO,
    scenario,
    dataDir: dir,
    days: 1,
    addresses,
    onEvent: (e) => {
      if (attempted || e.type !== "tick" || e.node !== D) return;
      attempted = true;
      rogueRun = (async () => {
        // Seed 999's key for id 9: not D's key, so its PeerId is outside the genesis.
        const pair = await seedKeyPair(999, D);
        const t = await Transport.start({
          id: 99,
          pair,
          listen: { host: "127.0.0.1", port: 0 },
          peers: [{ id: D, publicKey: (await seedKeyPair(1, D)).publicKey, ...addresses[D] }],
          maxMessageBytes: 1024,
          onMessage: () => delivered++,
        });
        t.send(
          D,
          new TextEncoder().encode(JSON.stringify({ kind: "proposal", round: 1, to: D, path: [99] })),
        );
        await new Promise((res) => setTimeout(res, 1000));
        console.log(
          `  the rogue's transport: connected to ${t.connected().length} peer(s), dropped ${
            JSON.stringify(t.stats().dropped)
          }`,
        );
        await t.stop();
      })();
    },
  });
  await rogueRun;
  const dStats = r.events.filter((e) => e.node === D && e.type === "stats").at(-1);
  const refused = dStats?.type === "stats" ? dStats.stats.dropped : {};
  check(attempted, "the rogue dialled D during the run");
  console.log(`  D's drops: ${JSON.stringify(refused)}`);
  const [p] = collectTrace(scenario, await runProblemOf(scenario), r.events);
  check(
    p.rounds.every((x) => x.dropped.every((d) => !/99/.test(d.reason))),
    "nothing of the rogue's reached D's participant",
  );
  check(delivered === 0, "the rogue received nothing");
}

const parts: Record<string, (s: Scenario) => Promise<void>> = { scenario1, kill, offline, rogue };
const chosen = Deno.args.length ? Deno.args : Object.keys(parts);
for (const name of chosen) {
  if (!parts[name]) {
    console.error(`usage: deno task bench:net [${Object.keys(parts).join("|")} ...]`);
    Deno.exit(2);
  }
}
const scenario = await loadScenarioFile(SCENARIO);
for (const name of chosen) await parts[name](scenario);
console.log(failed ? "\nsome checks FAILED" : "\nevery check passed");
Deno.exit(failed ? 1 : 0);
