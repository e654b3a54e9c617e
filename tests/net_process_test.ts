/**
 * Participants as OS processes over libp2p (TCP, Noise, Yamux) on 127.0.0.1: `poso net up` starts
 * one `poso node` per participant, each with only the permissions it needs (its own data folder,
 * its peers' addresses), and gathers their events into one trace.
 */
import assert from "node:assert/strict";
import type { RunReport } from "../consensus/report.ts";
import { cli, eventStreamUntil, withTmpDir } from "./helpers.ts";
import { traceEssence } from "./net_fixture.ts";

/** How long the watcher keeps trying to reach the live page while the processes start, ms (a safety net). */
const LIVE_CONNECT_LIMIT_MS = 60_000;

/** The live page's events (`/events`, Server-Sent Events) from the first to the `end` event. */
async function watchLive(port: number): Promise<{ kind: string; [k: string]: unknown }[]> {
  const deadline = Date.now() + LIVE_CONNECT_LIMIT_MS;
  let res: Response | undefined;
  while (!res) {
    try {
      res = await fetch(`http://127.0.0.1:${port}/events`);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100)); // the server is not up yet: try again
    }
  }
  const text = await eventStreamUntil(res, /"kind":"end"/);
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
}

Deno.test("scenario I with poso net up --live: seven processes over libp2p give the simulator's trace, the live page shows the block, every node's ledger verifies", async () => {
  await withTmpDir("net-up", async (dir) => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const watched = watchLive(port);
    // Rounds of 5 s (the scenario's are 3 s): seven processes share two cores while the leader solves.
    const net = await cli([
      "net",
      "up",
      "scenarios/scenario1.yaml",
      "--data",
      dir,
      "--json",
      "--round-ms",
      "5000",
      "--live",
      "--port",
      String(port),
    ]);
    assert.equal(net.status, 0, net.err);
    const live = await watched;
    const outcome = live.filter((e) => e.kind === "outcome").at(-1);
    assert.deepEqual(
      [outcome?.round, outcome?.leader, Math.round(Number(outcome?.cost))],
      [2, "D", 744],
      JSON.stringify(outcome),
    );
    assert.equal(live.filter((e) => e.kind === "block").length, 7, "every normal node's block write");
    assert.ok(
      live.some((e) =>
        e.kind === "decision" && e.who === "F" && e.decision === "blacklist" && e.leader === "C"
      ),
      "F blacklists C in round 1",
    );
    const [report] = net.out.trim().split("\n").map((l) => JSON.parse(l) as RunReport);
    const sim = JSON.parse(
      (await cli(["run", "scenarios/scenario1.yaml", "--simulate", "--json"])).out,
    ) as RunReport;
    assert.equal(report.runtime, "processes");
    assert.deepEqual(traceEssence(report), traceEssence(sim));
    const verify = await cli(["ledger", "verify", dir]);
    assert.equal(verify.status, 0, verify.out + verify.err);
    assert.match(verify.out, /7 ledgers verified \(1 blocks each/);
  });
});
