/**
 * Participants as OS processes over libp2p (TCP, Noise, Yamux) on 127.0.0.1: `poso net up` starts
 * one `poso node` per participant, each with only the permissions it needs (its own data folder,
 * its peers' addresses), and gathers their events into one trace.
 */
import assert from "node:assert/strict";
import type { RunReport } from "../consensus/report.ts";
import { cli, withTmpDir } from "./helpers.ts";
import { traceEssence } from "./net_fixture.ts";

Deno.test("scenario I with poso net up: seven processes over libp2p give the simulator's trace, and every node's ledger verifies", async () => {
  await withTmpDir("net-up", async (dir) => {
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
    ]);
    assert.equal(net.status, 0, net.err);
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
