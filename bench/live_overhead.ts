/**
 * `deno task bench:live [pairs] [days]`: what the live page (`poso run --live`) costs a Worker run.
 * Runs scenario 1 for `days` days (default 4) `pairs` times (default 4) without and with the live
 * server (one page reading its event stream), alternating, and prints the wall time of days 2 to
 * `days` (no Worker start-up in them) of each run, the medians, and the events and bytes sent.
 *
 * Every run writes a fresh chain under out/bench.
 */
import { runDays } from "../actors/supervisor.ts";
import { startLiveServer } from "../cli/live.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";

/** Where the runs' ledgers and keys go (a fresh chain each run). */
const BENCH_DIR = "out/bench/live";
/** Default pairs of runs (one without, one with the page) and days per run. */
const DEFAULT_PAIRS = 4, DEFAULT_DAYS = 4;

const pairs = Number(Deno.args[0] ?? DEFAULT_PAIRS), days = Number(Deno.args[1] ?? DEFAULT_DAYS);
if (!Number.isInteger(pairs) || pairs < 1 || !Number.isInteger(days) || days < 2) {
  console.error("usage: deno task bench:live [pairs >= 1] [days >= 2]");
  Deno.exit(2);
}
const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
const times: Record<"plain" | "live", number[]> = { plain: [], live: [] };
let events = 0, bytes = 0, publishMs = 0;
for (let i = 0; i < 2 * pairs; i++) {
  const mode = i % 2 === 0 ? "plain" : "live";
  const dir = `${BENCH_DIR}/${i}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const live = mode === "live" ? await startLiveServer({ port: 0 }) : undefined;
  const page = live ? await fetch(new URL("/events", live.url)) : undefined;
  const reading = (async () => {
    for await (const chunk of page?.body ?? []) bytes += chunk.byteLength;
  })();
  const reports = await runDays(scenario, {
    dataDir: dir,
    days,
    ...(live
      ? {
        onEvent: (e) => {
          const t = performance.now();
          live.publish(e);
          publishMs += performance.now() - t;
          events++;
        },
      }
      : {}),
  });
  times[mode].push(reports.slice(1).reduce((s, r) => s + (r.timings?.total ?? 0), 0));
  await live?.close();
  await reading;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ms = (a: number[]) => a.map((t) => Math.round(t)).join(", ");
console.log(
  `scenario 1, days 2-${days} of each run (ms): without the page ${ms(times.plain)}; with it ${
    ms(times.live)
  }`,
);
console.log(
  `medians: without ${Math.round(median(times.plain))} ms, with ${Math.round(median(times.live))} ms`,
);
console.log(
  `with the page: ${events / pairs} events a run (${Math.round(bytes / pairs)} bytes streamed), ` +
    `${(publishMs / pairs).toFixed(1)} ms publishing them`,
);
