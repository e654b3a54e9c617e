/**
 * Participants as nodes of their own, on an in-memory network (tests/net_fixture.ts): each keeps
 * its own clock from the genesis schedule, its own ledger and state; the trace gathered from their
 * events reads as the Worker runtime's. The real network (libp2p over TCP) and real processes are
 * tested in tests/net_process_test.ts.
 */
import assert from "node:assert/strict";
import { loadScenarioFile, parseScenario, ScenarioError } from "../scenarios/loader.ts";
import { baseLines } from "./scenario_fixture.ts";
import { runProblemOf } from "../actors/supervisor.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import type { RunReport } from "../consensus/report.ts";
import { blockFieldsOf, type BlockRecord } from "../consensus/ledger.ts";
import { collectTrace } from "../net/collect.ts";
import type { NodeEvent } from "../net/events.ts";
import { NodeError, runNode } from "../net/node.ts";
import { encodeWire } from "../net/wire.ts";
import { cli, withTmpDir } from "./helpers.ts";
import { MemoryHub, traceEssence } from "./net_fixture.ts";

const SEED_KEYS = { kind: "seed", seed: 1 } as const;
/** Time from the moment every node is ready to day 1's start (seven participants start on one thread), ms. */
const START_MS = 1500;
/** Round timeout of the in-process nodes, ms: one thread runs every node, so the leader's solve shares it. */
const ROUND_MS = 3000;
/** Time after a day's last round for its decisions to reach the normal nodes, ms. */
const BLOCK_MARGIN_MS = 500;

Deno.test("scenario I on seven nodes with their own clocks: the same trace as the simulator's; a late node catches up, passing over a peer that serves a forged block", async () => {
  await withTmpDir("net-node", async (dir) => {
    // Two rounds a day at most (scenario I needs two): days are 3 round timeouts apart.
    const scenario = { ...await loadScenarioFile("scenarios/scenario1.yaml"), maxRounds: 2 };
    const hub = new MemoryHub();
    const events: NodeEvent[] = [];
    const stop = new AbortController();
    const wrote = new Set<number>();
    // Day 1 starts START_MS after every node listens and has its first problem ready (as net up does).
    let startMs = 0;
    let ready: () => void = () => {};
    const allReady = new Promise<void>((r) => (ready = r));
    const listening = new Set<number>();
    const start = async () => {
      await allReady;
      return startMs ||= Date.now() + START_MS;
    };
    const addresses = Object.fromEntries(
      scenario.participants.map((q) => [q.id, { host: "mem", port: q.id }]),
    );
    // Days just longer than their two rounds: the late node below waits little for day 1 to end.
    const blockMs = 2 * ROUND_MS + BLOCK_MARGIN_MS;
    const base = {
      scenario,
      keys: SEED_KEYS,
      startMs: start,
      roundMs: ROUND_MS,
      blockMs,
      untilHeight: 1,
      addresses,
    };
    const results = await Promise.all(scenario.participants.map((p) =>
      runNode({
        ...base,
        id: p.id,
        dataDir: `${dir}/${p.name}`,
        transport: hub.transport,
        signal: stop.signal,
        events: (e) => {
          events.push(e);
          if (e.type === "listening" && listening.add(e.node).size === scenario.participants.length) ready();
          // Every ledger holds block 1: stop now rather than at the day's end.
          if (e.type === "effects" && e.blocks?.some((b) => b.height === 1)) wrote.add(e.node);
          if (wrote.size === scenario.participants.length) stop.abort();
        },
      })
    ));
    assert.deepEqual(results.map((r) => r.height), scenario.participants.map(() => 1));
    const [net] = collectTrace(scenario, await runProblemOf(scenario), events);
    const sim = JSON.parse(
      (await cli(["run", "scenarios/scenario1.yaml", "--simulate", "--json"])).out,
    ) as RunReport;
    assert.deepEqual(traceEssence(net), traceEssence(sim));
    assert.equal(net.runtime, "processes");
    // Every node's ledger holds block 1 of the same proposal (each with the quorum it saw), and its
    // genesis the schedule.
    const proposals = new Set<string>();
    for (const p of scenario.participants) {
      const { records } = await readLedger(ledgerFileName(`${dir}/${p.name}`, p.name));
      assert.equal(records[0].kind === "genesis" && records[0].schedule?.startMs, startMs);
      proposals.add((records[1] as BlockRecord).proposal);
    }
    assert.equal(proposals.size, 1);

    // A second A, with an empty disk, joins: B (asked first: a normal node) serves a forged block 1
    // (its cost lowered by $100), C serves its ledger.
    const { records } = await readLedger(ledgerFileName(`${dir}/D`, "D"));
    const good = records.filter((r): r is BlockRecord => r.kind === "block");
    const fields = blockFieldsOf;
    const peer = (id: number, blocks: unknown[]) =>
      hub.nodes.set(
        id,
        {
          id,
          onRequest: () => Promise.resolve(encodeWire({ blocks })),
          onMessage: () => {},
        } as unknown as Parameters<typeof hub.transport>[0],
      );
    peer(7, good.map((b) => ({ ...fields(b), costUsd: b.costUsd - 100 })));
    peer(8, good.map(fields));
    const late: NodeEvent[] = [];
    const result = await runNode({
      ...base,
      id: 6,
      dataDir: `${dir}/A2`,
      transport: hub.transport,
      events: (e) => late.push(e),
    });
    assert.deepEqual(result, { height: 1, end: "done" });
    const catchUps = late.filter((e) => e.type === "catchUp");
    assert.deepEqual(catchUps.map((e) => e.type === "catchUp" && [e.from, e.blocks]), [[7, 0], [8, 1]]);
    assert.match(catchUps[0].type === "catchUp" ? catchUps[0].refused?.reason ?? "" : "", /cost/);
    const mine = (await readLedger(ledgerFileName(`${dir}/A2`, "A"))).records;
    assert.equal(mine[1].hash, good[0].hash);
  });
});

Deno.test("a node refuses to start without an address for every participant, or a chain start time", async () => {
  await withTmpDir("net-refuse", async (dir) => {
    const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
    const hub = new MemoryHub();
    const base = {
      scenario,
      id: 6,
      dataDir: `${dir}/A`,
      keys: SEED_KEYS,
      transport: hub.transport,
      events: () => {},
    };
    await assert.rejects(runNode({ ...base, startMs: Date.now() }), (e) => {
      assert.ok(e instanceof NodeError);
      assert.match(e.message, /participant A \(6\) has no address.*--addr 6=HOST:PORT/);
      return true;
    });
    const addresses = Object.fromEntries(
      scenario.participants.map((q) => [q.id, { host: "mem", port: q.id }]),
    );
    await assert.rejects(runNode({ ...base, addresses }), /holds no chain yet: give the chain's start time/);
    await assert.rejects(runNode({ ...base, id: 99, addresses }), /participant 99 is not in Scenario I/);
  });
});

Deno.test("network: in a scenario gives peers by DNS name or address and the block interval; a bad entry names its line", () => {
  const at = (...lines: string[]) => [...baseLines(), ...lines].join("\n") + "\n";
  const s = parseScenario(
    at(
      "network:",
      "  block_interval_sec: 20",
      "  peers:",
      "    8: c.poso.example.org:9008",
      "    9: '[::1]:9009'",
    ),
    "net.yaml",
  );
  assert.deepEqual(s.network, {
    blockMs: 20_000,
    peers: { 8: { host: "c.poso.example.org", port: 9008 }, 9: { host: "::1", port: 9009 } },
  });
  const fails = (text: string, pattern: RegExp) =>
    assert.throws(() => parseScenario(text, "net.yaml"), (e) => {
      assert.ok(e instanceof ScenarioError);
      assert.match(e.message, pattern);
      return true;
    });
  fails(
    at("network:", "  peers:", "    8: c.example.org:70000"),
    /net\.yaml:20.*network\.peers\.8.*port 1 to 65535/,
  );
  fails(
    at("network:", "  peers:", "    99: c.example.org:9000"),
    /net\.yaml:20.*network\.peers\.99.*no participant has id 99/,
  );
  fails(at("network:", "  block_interval_sec: -1"), /net\.yaml:19.*network\.block_interval_sec/);
  fails(at("network:", "  peer: {}"), /net\.yaml:19.*network.*peer/);
});

Deno.test("a node takes a message only from its last signer, and holds one for a round it has not started", async () => {
  await withTmpDir("net-sender", async (dir) => {
    const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
    const hub = new MemoryHub();
    const events: NodeEvent[] = [];
    const stop = new AbortController();
    const addresses = Object.fromEntries(
      scenario.participants.map((q) => [q.id, { host: "mem", port: q.id }]),
    );
    // Day 1 starts in an hour: the node listens, and is in no round yet.
    const node = runNode({
      scenario,
      id: 6,
      dataDir: `${dir}/A`,
      keys: SEED_KEYS,
      startMs: Date.now() + 3_600_000,
      addresses,
      transport: hub.transport,
      signal: stop.signal,
      events: (e) => {
        events.push(e);
        if (e.type !== "start") return;
        const a = hub.nodes.get(6)!;
        const decision = (from: number, round: number) =>
          encodeWire({ kind: "decision", round, from, to: 6, proposal: { height: 1, round } });
        // B passes on a decision that D signed: refused, whatever it holds.
        a.onMessage(7, decision(9, 1));
        // D's own decision for round 1, before A's round 1 started: held, not dropped.
        a.onMessage(9, decision(9, 1));
        queueMicrotask(() => stop.abort());
      },
    });
    assert.deepEqual(await node, { height: 0, end: "stopped" });
    const drops = events.filter((e) => e.type === "dropped").map((e) => e.type === "dropped" && e.reason);
    assert.deepEqual(drops, ["arrived from B but its last signer is D"]);
    assert.equal(events.filter((e) => e.type === "effects").length, 0, "nothing reached the participant");
  });
});

Deno.test("poso net plan prints each node's command with write access to its own folder and network access to the peers only", async () => {
  await withTmpDir("net-plan", async (dir) => {
    const file = `${dir}/plan.yaml`;
    await Deno.writeTextFile(
      file,
      [
        ...baseLines("Plan"),
        "network:",
        "  peers:",
        ...[6, 7, 8, 9, 10, 11, 12].map((id) => `    ${id}: n${id}.example.org:90${id}`),
      ]
        .join("\n") + "\n",
    );
    const r = await cli(["net", "plan", file, "--start", "1796277600000", "--data", "net"]);
    assert.equal(r.status, 0, r.err);
    const commands = r.out.split("\n").filter((l) => l.startsWith("deno run"));
    assert.equal(commands.length, 7);
    const peers = [6, 7, 8, 9, 10, 11, 12].map((id) => `n${id}.example.org:90${id}`).join(",");
    assert.ok(
      commands[0].includes(`--allow-write=net/A --allow-net=${peers} --allow-env main.ts node`),
      commands[0],
    );
    assert.ok(commands[6].endsWith(`--id 12 --data net/G --start 1796277600000`), commands[6]);
    const none = await cli(["net", "plan", "scenarios/scenario1.yaml", "--start", "1796277600000"]);
    assert.equal(none.status, 1);
    assert.match(none.err, /no address for A \(6\), B \(7\), D \(9\)/);
  });
});
