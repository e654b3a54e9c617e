/**
 * Crash bench: kill -9 of a whole `poso run` at chosen moments of a 5-day
 * run, then the same command again (`--until 5` finishes the plan), then
 * `poso ledger verify`. Every trial must end with every ledger holding the
 * same 5 verified blocks. Prints one line per trial and a summary.
 *
 * Kill moments, drawn from a seeded generator, one per trial in turn:
 * - `random`: at a random time after start;
 * - `mid-write`: as soon as some ledger's last line lacks its final newline
 *   (a block being written: its record is on disk, its commit mark not yet);
 * - `split`: as soon as some ledgers hold a block that others do not (the
 *   moment that used to strand normal nodes for good).
 * A trial whose moment never comes before the run ends kills at the end
 * instead and says so.
 *
 *   deno task bench:crash            # 20 trials
 *   deno task bench:crash 6          # 6 trials
 *
 * @module
 */
import { readLedger } from "../actors/ledger_file.ts";
import type { BlockRecord } from "../consensus/ledger.ts";
import { mulberry32 } from "../actors/simulator.ts";

/** Days of the run each trial completes. */
const DAYS = 5;
/** Round timeout of the runs, s: short, so the bench stays short, long enough for a cold solve. */
const ROUND_TIMEOUT_SEC = 2;
/** `random` kills fall in this window after the process starts, ms (a 5-day run takes about 15 s). */
const RANDOM_KILL_MS: [number, number] = [1_500, 14_000];
/** How often the ledgers are looked at while waiting for a moment, ms. */
const POLL_MS = 1;
const NAMES = ["A", "B", "C", "D", "E", "F", "G"];
const STRATEGIES = ["random", "mid-write", "split"] as const;
type Strategy = typeof STRATEGIES[number];

const trials = Number(Deno.args[0] ?? 20);
if (!Number.isSafeInteger(trials) || trials < 1 || trials > 1000) {
  console.error(`usage: deno task bench:crash [trials 1..1000], got ${Deno.args[0]}`);
  Deno.exit(2);
}
const root = "out/bench/crash";
await Deno.remove(root, { recursive: true }).catch(() => {});
await Deno.mkdir(root, { recursive: true });

const runArgs = (dir: string) => [
  "run",
  "--allow-read",
  `--allow-write=${root}`,
  "main.ts",
  "run",
  "scenarios/scenario1.yaml",
  "--data",
  dir,
  "--until",
  String(DAYS),
  "--timeout",
  String(ROUND_TIMEOUT_SEC),
];

/** Each ledger's size and whether it ends in a newline (undefined: no file yet). */
async function look(dir: string): Promise<{ size: number; complete: boolean }[]> {
  const out = [];
  for (const n of NAMES) {
    try {
      const f = await Deno.open(`${dir}/${n}.ledger.jsonl`, { read: true });
      try {
        const { size } = await f.stat();
        let complete = true;
        if (size > 0) {
          await f.seek(size - 1, Deno.SeekMode.Start);
          const b = new Uint8Array(1);
          await f.read(b);
          complete = b[0] === 0x0a;
        }
        out.push({ size, complete });
      } finally {
        f.close();
      }
    } catch {
      out.push({ size: 0, complete: true });
    }
  }
  return out;
}

/** Lines (records) of each ledger, counted from its complete lines. */
async function lineCounts(dir: string): Promise<number[]> {
  const counts = [];
  for (const n of NAMES) {
    try {
      const text = await Deno.readTextFile(`${dir}/${n}.ledger.jsonl`);
      counts.push(text.split("\n").length - 1);
    } catch {
      counts.push(0);
    }
  }
  return counts;
}

async function moment(dir: string, strategy: Strategy, child: Deno.ChildProcess, atMs: number) {
  const t0 = performance.now();
  let ended = false;
  child.status.then(() => (ended = true));
  while (!ended) {
    const t = performance.now() - t0;
    if (strategy === "random" && t >= atMs) return { hit: true, t };
    if (strategy === "mid-write" && (await look(dir)).some((l) => l.size > 0 && !l.complete)) {
      return { hit: true, t: performance.now() - t0 };
    }
    if (strategy === "split") {
      const counts = await lineCounts(dir);
      if (counts.some((c) => c > 1) && new Set(counts).size > 1) {
        return { hit: true, t: performance.now() - t0 };
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { hit: false, t: performance.now() - t0 };
}

const rand = mulberry32(20261202);
const results: { ok: boolean; strategy: Strategy; hit: boolean }[] = [];
for (let k = 1; k <= trials; k++) {
  const strategy = STRATEGIES[(k - 1) % STRATEGIES.length];
  const dir = `${root}/trial-${k}`;
  const atMs = RANDOM_KILL_MS[0] + rand() * (RANDOM_KILL_MS[1] - RANDOM_KILL_MS[0]);
  const child = new Deno.Command(Deno.execPath(), { args: runArgs(dir), stdout: "null", stderr: "null" })
    .spawn();
  const m = await moment(dir, strategy, child, atMs);
  try {
    child.kill("SIGKILL");
  } catch {
    // it ended by itself
  }
  await child.status;
  const atKill = await look(dir);
  const heights = (await lineCounts(dir)).map((c) => Math.max(0, c - 1));
  const torn = atKill.filter((l) => !l.complete).length;

  const t1 = performance.now();
  const rerun = await new Deno.Command(Deno.execPath(), {
    args: runArgs(dir),
    stdout: "null",
    stderr: "piped",
  })
    .output();
  const rerunMs = performance.now() - t1;
  const verify = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "main.ts", "ledger", "verify", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decisions = new Set<string>();
  let allFive = true;
  for (const n of NAMES) {
    try {
      const blocks = (await readLedger(`${dir}/${n}.ledger.jsonl`)).records.slice(1) as BlockRecord[];
      if (blocks.length !== DAYS) allFive = false;
      decisions.add(blocks.map((b) => `${b.round}/${b.leader}/${b.proposal}`).join(" "));
    } catch {
      allFive = false;
    }
  }
  const ok = rerun.code === 0 && verify.code === 0 && allFive && decisions.size === 1;
  results.push({ ok, strategy, hit: m.hit });
  const why = ok
    ? ""
    : ` rerun exit ${rerun.code}: ${new TextDecoder().decode(rerun.stderr).trim().split("\n").pop()}; ` +
      `verify exit ${verify.code}; ${
        allFive ? "" : "not every ledger holds 5 blocks; "
      }${decisions.size} chains`;
  console.log(
    `trial ${String(k).padStart(2)} ${strategy.padEnd(9)} kill at ${(m.t / 1000).toFixed(2)} s` +
      `${m.hit ? "" : " (moment not met: killed at the end)"}; heights ${heights.join(",")}, ` +
      `${torn} torn; rerun ${(rerunMs / 1000).toFixed(1)} s; ${
        ok ? "5 blocks in 7 ledgers, verified" : `FAILED:${why}`
      }`,
  );
}
const failed = results.filter((r) => !r.ok).length;
const hits = STRATEGIES.map((s) =>
  `${s} ${results.filter((r) => r.strategy === s && r.hit).length}/${
    results.filter((r) => r.strategy === s).length
  }`
);
console.log(
  `${trials} kill -9 trials: ${trials - failed} recovered, ${failed} failed; moments met: ${hits.join(", ")}`,
);
Deno.exit(failed ? 1 : 0);
