/**
 * Participants on separate network hosts: each `poso node` in a Linux network namespace of its own,
 * with its own address on a bridge (10.213.77.0/24), so that nothing depends on everyone being
 * 127.0.0.1. Needs root and `ip` (iproute2); where namespaces cannot be made the test is ignored
 * and says why.
 */
import assert from "node:assert/strict";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { runProblemOf } from "../actors/supervisor.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { collectTrace } from "../net/collect.ts";
import { netUp } from "../net/up.ts";
import type { NodeId } from "../consensus/types.ts";
import { withTmpDir } from "./helpers.ts";

/** The bridge's subnet: nodes get .10 upwards. */
const SUBNET = "10.213.77";
/** First host number of a node on the subnet. */
const FIRST_HOST = 10;
/** The port every node listens on (each has an address of its own). */
const PORT = 9000;
/** A short tag for this run's interface and namespace names (interface names are at most 15 bytes). */
const TAG = String(Deno.pid % 10_000);

async function ip(...args: string[]): Promise<{ ok: boolean; err: string }> {
  try {
    const r = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
    return { ok: r.success, err: new TextDecoder().decode(r.stderr).trim() };
  } catch (e) {
    return { ok: false, err: (e as Error).message };
  }
}

/** Why namespaces cannot be made here, or undefined when they can (probed with one, removed at once). */
async function cannotMakeNamespaces(): Promise<string | undefined> {
  const probe = `poso-probe-${TAG}`;
  const made = await ip("netns", "add", probe);
  if (!made.ok) return `ip netns add failed: ${made.err || "no output"} (root and iproute2 are needed)`;
  await ip("netns", "del", probe);
  return undefined;
}

const why = await cannotMakeNamespaces();

Deno.test({
  name: `scenario I with every node in its own network namespace and address${
    why ? ` (ignored: ${why})` : ""
  }`,
  ignore: why !== undefined,
  fn: async () => {
    const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
    const bridge = `pbr${TAG}`;
    const ns = (id: NodeId) => `poso-${TAG}-${id}`;
    const made: string[] = [];
    try {
      const must = async (...args: string[]) => {
        const r = await ip(...args);
        assert.ok(r.ok, `ip ${args.join(" ")}: ${r.err}`);
      };
      await must("link", "add", bridge, "type", "bridge");
      await must("link", "set", bridge, "up");
      const addresses: Record<NodeId, { host: string; port: number }> = {};
      for (const [i, p] of scenario.participants.entries()) {
        const name = ns(p.id), host = `pv${TAG}${i}`;
        await must("netns", "add", name);
        made.push(name);
        await must("link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", name);
        await must("link", "set", host, "master", bridge);
        await must("link", "set", host, "up");
        const address = `${SUBNET}.${FIRST_HOST + i}`;
        await must("-n", name, "addr", "add", `${address}/24`, "dev", "eth0");
        await must("-n", name, "link", "set", "eth0", "up");
        await must("-n", name, "link", "set", "lo", "up");
        addresses[p.id] = { host: address, port: PORT };
      }
      await withTmpDir("net-ns", async (dir) => {
        const r = await netUp({
          scenarioFile: "scenarios/scenario1.yaml",
          scenario,
          dataDir: dir,
          days: 1,
          addresses,
          command: (
            id,
            permissions,
            deno,
            main,
          ) => ["ip", "netns", "exec", ns(id), deno, "run", ...permissions, main],
        });
        assert.equal(r.failure, undefined);
        const [report] = collectTrace(scenario, await runProblemOf(scenario), r.events);
        assert.deepEqual(report.outcome, { round: 2, leader: "D", costUsd: 744 });
        // Each node listened on its own address, not on 127.0.0.1.
        const listened = r.events.filter((e) => e.type === "listening").map((e) =>
          e.type === "listening" ? e.listen.host : ""
        );
        assert.deepEqual(listened.sort(), Object.values(addresses).map((a) => a.host).sort());
        const verdict = await verifyLedgerDir(dir);
        assert.ok(verdict.ok, verdict.summary);
      });
    } finally {
      for (const name of made) await ip("netns", "del", name);
      await ip("link", "del", bridge);
    }
  },
});
