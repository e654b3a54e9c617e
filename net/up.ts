/**
 * `poso net up`: every participant of a scenario as a process of its own on this machine (each a
 * `poso node`, talking libp2p over TCP on 127.0.0.1 or the scenario's addresses), started together
 * for one chain start time; their events gathered into one trace; stopped once every ledger holds
 * the planned blocks, on Ctrl-C, or when one fails. A node that crashes on purpose (behaviours
 * `crash_at_round`, `crash_in_ledger_write`) is restarted, as a service manager would, and resumes
 * from its own disk.
 *
 * @module
 */
import { ensureKeyDir, type KeySource } from "../actors/keys.ts";
import type { NodeId } from "../consensus/types.ts";
import type { Scenario } from "../scenarios/loader.ts";
import type { NodeEvent } from "./events.ts";
import { NODE_CRASH_EXIT, type NodeAddress, scenarioAddress } from "./node.ts";
import { decodeWire } from "./wire.ts";

/**
 * Time from the moment every node listens to day 1's start, ms: each node then builds its genesis,
 * its first problem and its participant (measured: 0.3-0.6 s on a 2-core machine), with margin.
 */
export const START_MARGIN_MS = 2000;
/** How long a crashed node stays down before it is restarted, ms. */
export const RESTART_DELAY_MS = 1000;
/** How long a stopped node gets to exit before it is killed, ms. */
const STOP_GRACE_MS = 3000;
/** Largest event line a node may print, bytes (an accepted 120-community market proposal fits). */
const MAX_EVENT_LINE_BYTES = 64 * 1024 * 1024;
/** Restarts of one node a run allows (a crash that repeats is a bug). */
const MAX_RESTARTS = 5;

/** Options of {@link netUp}. */
export interface NetUpOptions {
  /** The scenario file (each node reads it itself). */
  scenarioFile: string;
  /** The loaded scenario. */
  scenario: Scenario;
  /** Root data directory: `<root>/<name>/` per node, `<root>/keys/` unless the scenario has keys. */
  dataDir: string;
  /** Blocks to decide (default: the scenario's days). */
  days: number;
  /** When day 1 starts (default: {@link START_MARGIN_MS} after every node listens). */
  startMs?: number;
  /** Round timeout, ms (default: the scenario's). */
  roundMs?: number;
  /** Addresses: by default the scenario's, else 127.0.0.1 on free ports. */
  addresses?: Record<NodeId, NodeAddress>;
  /**
   * The command that starts node `id`: the program and the arguments before `node`, given the Deno
   * permissions the node needs and the Deno and main module to run (default: `deno run <permissions>
   * main.ts`; a test wraps it in `ip netns exec`).
   */
  command?: (id: NodeId, permissions: string[], deno: string, main: string) => string[];
  /** Each node's stderr line, prefixed with its name. */
  log?: (line: string) => void;
  /** Every event, as it arrives. */
  onEvent?: (e: NodeEvent) => void;
  /** Stops every node. */
  signal?: AbortSignal;
  /** Kill one node (SIGKILL) when an event says so, and restart it after `downMs` (bench and tests). */
  chaos?: { kill: (e: NodeEvent) => NodeId | undefined; downMs: number };
}

/** What a networked run gathered. */
export interface NetUpResult {
  /** Every node's events, in arrival order. */
  events: NodeEvent[];
  /** Wall time from the first process start to the last block written, ms. */
  wallMs: number;
  /** Each node's ledger height at the end. */
  heights: Record<NodeId, number>;
  /** Each node's exit status, and how many times it was restarted. */
  exits: Record<NodeId, { code: number; restarts: number }>;
  /** Why the run ended before every ledger held the planned blocks (a node that ended early, Ctrl-C). */
  failure?: string;
}

/**
 * The Deno that starts the nodes: this one when the permissions allow running it by its path,
 * else `deno` on the PATH (the task grants `--allow-run=deno`, which names the PATH's).
 */
function denoProgram(): string {
  const self = Deno.execPath();
  return Deno.permissions.querySync({ name: "run", command: self }).state === "granted" ? self : "deno";
}

/** A free TCP port on `host` (the OS picks one; it is closed again at once). */
function freePort(host: string): number {
  const l = Deno.listen({ hostname: host, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Every participant's address: given, the scenario's, or 127.0.0.1 on a free port. */
export function localAddresses(
  scenario: Scenario,
  given: Record<NodeId, NodeAddress> = {},
): Record<NodeId, NodeAddress> {
  const out: Record<NodeId, NodeAddress> = {};
  for (const p of scenario.participants) {
    out[p.id] = scenarioAddress(scenario, p.id, given) ?? { host: "127.0.0.1", port: freePort("127.0.0.1") };
  }
  return out;
}

/** `--allow-net` of a node: its own listen address and every peer's, nothing else. */
export function netPermission(addresses: Record<NodeId, NodeAddress>): string {
  const hosts = new Set(
    Object.values(addresses).map((a) => `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`),
  );
  return `--allow-net=${[...hosts].join(",")}`;
}

/** Reads a process's stdout as event lines (wire JSON), each at most {@link MAX_EVENT_LINE_BYTES}. */
async function readEvents(
  stream: ReadableStream<Uint8Array>,
  onEvent: (e: NodeEvent) => void,
  onJunk: (why: string) => void,
): Promise<void> {
  let buffer = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
    let start = 0;
    for (let i = buffer.indexOf(10); i >= 0; i = buffer.indexOf(10, start)) {
      const line = buffer.subarray(start, i);
      start = i + 1;
      if (line.length === 0) continue;
      const d = decodeWire(line, MAX_EVENT_LINE_BYTES);
      if (d.ok && d.value && typeof d.value === "object" && "type" in d.value) onEvent(d.value as NodeEvent);
      else onJunk(d.ok ? "not an event" : d.reason);
    }
    buffer = buffer.slice(start);
    if (buffer.length > MAX_EVENT_LINE_BYTES) {
      onJunk(`an output line longer than ${MAX_EVENT_LINE_BYTES} bytes`);
      buffer = new Uint8Array(0);
    }
  }
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  }
  if (rest) onLine(rest);
}

/**
 * Runs every participant of a scenario as its own process on this machine until every ledger
 * holds `days` blocks.
 *
 * @example
 * ```ts ignore
 * const r = await netUp({ scenarioFile: "scenarios/scenario1.yaml", scenario, dataDir: "poso-data/net", days: 1 });
 * console.log(collectTrace(scenario, await runProblemOf(scenario), r.events)[0].outcome);
 * ```
 */
export async function netUp(o: NetUpOptions): Promise<NetUpResult> {
  const { scenario } = o;
  const log = o.log ?? (() => {});
  const addresses = localAddresses(scenario, o.addresses);
  // The keys: the scenario's seed, or a key directory holding every participant's (made here once).
  let keys: KeySource;
  if (scenario.keys.kind === "seed") keys = { kind: "seed", seed: scenario.keys.seed };
  else {
    const dir = scenario.keys.kind === "dir" ? scenario.keys.dir : `${o.dataDir}/keys`;
    await ensureKeyDir(dir, scenario.participants);
    keys = { kind: "dir", dir };
  }
  // Day 1 starts once every process listens (a process start takes seconds on a loaded machine).
  let startMs = o.startMs;
  const listening = new Set<NodeId>();
  const giveStart = (child: Deno.ChildProcess) => {
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(`${startMs}\n`)).then(() => w.close()).catch(() => {});
  };
  const addrArgs = scenario.participants.flatMap((p) => [
    "--addr",
    `${p.id}=${addresses[p.id].host.includes(":") ? `[${addresses[p.id].host}]` : addresses[p.id].host}:${
      addresses[p.id].port
    }`,
  ]);
  // A compiled poso (`deno compile`) starts its nodes as itself; otherwise Deno runs main.ts. The module
  // is only named here (resolved, never read), and a compiled binary never uses the name.
  const compiled = Deno.mainModule.includes("/deno-compile-");
  const mainModule = compiled ? "" : new URL(import.meta.resolve("../main.ts")).pathname;
  const command = o.command ??
    ((_id: NodeId, permissions: string[], deno: string, main: string) =>
      compiled ? [Deno.execPath()] : [deno, "run", ...permissions, main]);
  const events: NodeEvent[] = [];
  const heights: Record<NodeId, number> = {};
  const exits: Record<NodeId, { code: number; restarts: number }> = {};
  const procs = new Map<NodeId, Deno.ChildProcess>();
  let lastBlockAt = 0;
  const t0 = performance.now();
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  let failure: string | undefined;
  const done = () => scenario.participants.every((p) => (heights[p.id] ?? 0) >= o.days);
  const stopped = new Set<NodeId>();
  /** Each node's last error line (`poso: …`), for the failure message. */
  const lastError = new Map<NodeId, string>();

  const spawn = (id: NodeId) => {
    const p = scenario.participants.find((q) => q.id === id)!;
    const dir = `${o.dataDir}/${p.name}`;
    const permissions = [
      `--allow-read`,
      `--allow-write=${dir}`,
      netPermission(addresses),
      "--allow-env",
    ];
    const args = [
      ...command(id, permissions, denoProgram(), mainModule).slice(1),
      "node",
      o.scenarioFile,
      "--id",
      String(id),
      "--data",
      dir,
      ...(keys.kind === "dir" ? ["--keys", keys.dir] : []),
      "--start",
      "-",
      "--days",
      String(o.days),
      ...(o.roundMs === undefined ? [] : ["--round-ms", String(o.roundMs)]),
      ...addrArgs,
      "--events",
    ];
    const child = new Deno.Command(command(id, permissions, denoProgram(), mainModule)[0], {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    procs.set(id, child);
    exits[id] ??= { code: -1, restarts: 0 };
    if (startMs !== undefined) giveStart(child);
    const onEvent = (e: NodeEvent) => {
      events.push(e);
      if (e.type === "listening" && startMs === undefined) {
        listening.add(id);
        if (listening.size === scenario.participants.length) {
          // A loaded machine that took long to start the processes takes long to start their
          // participants too: half the slowest start-up is added to the margin.
          startMs = Math.round(Date.now() + Math.max(START_MARGIN_MS, (performance.now() - t0) / 2));
          for (const c of procs.values()) giveStart(c);
        }
      }
      o.onEvent?.(e);
      if (e.type === "start") heights[id] = Math.max(heights[id] ?? 0, e.ledgerHeight);
      if (e.type === "effects") {
        for (const b of e.blocks ?? []) {
          heights[id] = Math.max(heights[id] ?? 0, b.height);
          lastBlockAt = performance.now();
        }
      }
      if (e.type === "catchUp") heights[id] = Math.max(heights[id] ?? 0, (heights[id] ?? 0) + e.blocks);
      const victim = o.chaos?.kill(e);
      if (victim !== undefined && procs.has(victim)) {
        const v = procs.get(victim)!;
        log(`${scenario.participants.find((q) => q.id === victim)?.name}: killed (SIGKILL)`);
        try {
          v.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      if (done()) finish();
    };
    const out = readEvents(
      child.stdout,
      onEvent,
      (why) => log(`${p.name}: an output line is no event: ${why}`),
    );
    const err = readLines(child.stderr, (line) => {
      log(`${p.name}: ${line}`);
      if (/^poso: /.test(line)) lastError.set(id, line.replace(/^poso: /, ""));
    });
    child.status.then(async (status) => {
      await Promise.allSettled([out, err]);
      if (procs.get(id) === child) procs.delete(id);
      exits[id].code = status.code;
      if (stopped.has(id) || done()) return;
      const killed = status.signal === "SIGKILL";
      if ((status.code === NODE_CRASH_EXIT || killed) && exits[id].restarts < MAX_RESTARTS) {
        exits[id].restarts++;
        log(
          `${p.name}: ${killed ? "killed" : "crashed"}; restarting in ${
            o.chaos?.downMs ?? RESTART_DELAY_MS
          } ms`,
        );
        setTimeout(
          () => !stopped.has(id) && !done() && spawn(id),
          killed ? o.chaos?.downMs ?? RESTART_DELAY_MS : RESTART_DELAY_MS,
        );
        return;
      }
      failure ??=
        `${p.name}'s process ended (status ${status.code}) before every ledger held block ${o.days}` +
        (lastError.has(id) ? `: ${lastError.get(id)}` : "");
      finish();
    });
  };

  const onAbort = () => {
    failure ??= "stopped (Ctrl-C)";
    finish();
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (const p of scenario.participants) spawn(p.id);
    await finished;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    for (const id of scenario.participants.map((p) => p.id)) stopped.add(id);
    await Promise.all([...procs.entries()].map(async ([_id, child]) => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, STOP_GRACE_MS);
      await child.status;
      clearTimeout(timer);
    }));
  }
  return {
    events,
    wallMs: (lastBlockAt || performance.now()) - t0,
    heights,
    exits,
    ...(failure && !done() ? { failure } : {}),
  };
}
