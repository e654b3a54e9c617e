/**
 * `poso node` (one participant as its own process) and `poso net up` (every participant of a
 * scenario as a local process, one trace gathered from all).
 *
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { runProblemOf } from "../actors/supervisor.ts";
import type { NodeId } from "../consensus/types.ts";
import type { RunReport } from "../consensus/report.ts";
import { collectTrace } from "../net/collect.ts";
import type { NodeEvent } from "../net/events.ts";
import { NODE_CRASH_EXIT, type NodeAddress, NodeError, runNode, scenarioAddress } from "../net/node.ts";
import { localAddresses, netPermission, netUp } from "../net/up.ts";
import { encodeWire } from "../net/wire.ts";
import { renderTrace } from "../scenarios/render.ts";
import { renderDays } from "./days.ts";
import { renderReportHtml } from "./report.ts";
import { liveOutcomeOf } from "../actors/live_event.ts";
import { DEFAULT_LIVE_PORT, finishLive, LIVE_HOST, netLiveEvents, startLiveServer } from "./live.ts";
import { loadRunScenario } from "./run.ts";
import { checkDistinct, checkOutputFile } from "./outputs.ts";

/** Most days a networked run may plan. */
const MAX_NET_DAYS = 365;
/** Largest round timeout a command line may set, ms (one hour). */
const MAX_ROUND_MS = 3_600_000;
/** Highest TCP port. */
const MAX_PORT = 65535;

/** What the commands need of the CLI around them (cli/program.ts). */
export interface NetCliIo {
  out(text: string): void;
  err(text: string): void;
  writeFile(path: string, text: string): Promise<void>;
  onInterrupt?(handler: () => void): () => void;
  /** Ends the command with an exit status (cli/program.ts ExitStatus). */
  exit(code: number): never;
}

/** `ID=HOST:PORT` (an IPv6 host in brackets), checked. */
export function parseAddr(
  value: string,
  previous: Record<NodeId, NodeAddress> = {},
): Record<NodeId, NodeAddress> {
  const m = /^(\d{1,10})=(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not ID=HOST:PORT (e.g. 8=10.0.0.8:9008)`);
  const id = Number(m[1]), port = Number(m[3]);
  if (!Number.isSafeInteger(id) || id >= 2 ** 32) throw new InvalidArgumentError(`id ${m[1]} is not a u32`);
  if (port < 1 || port > MAX_PORT) {
    throw new InvalidArgumentError(`port ${port} is not from 1 to ${MAX_PORT}`);
  }
  if (id in previous) throw new InvalidArgumentError(`participant ${id} is given two addresses`);
  return { ...previous, [id]: { host: m[2].replace(/^\[|\]$/g, ""), port } };
}

/** A whole number from `min` to `max`. */
function wholeIn(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

/** Longest line `--start -` reads from standard input, bytes. */
const MAX_START_LINE_BYTES = 64;

/** The chain's start time from the first line of standard input (what `poso net up` writes there). */
async function startFromStdin(): Promise<number> {
  const reader = Deno.stdin.readable.getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      if (text.length > MAX_START_LINE_BYTES) break;
    }
  } finally {
    reader.releaseLock();
  }
  const line = text.split("\n")[0].trim();
  try {
    return parseStart(line);
  } catch (e) {
    throw new NodeError(
      `--start -: standard input's first line ${JSON.stringify(line.slice(0, 40))}: ${(e as Error).message}`,
    );
  }
}

/** A chain start: Unix ms, or an ISO 8601 time ("-": read later from standard input). */
function parseStartArg(value: string): number | "-" {
  return value === "-" ? "-" : parseStart(value);
}

/** A chain start: Unix ms, or an ISO 8601 time. */
function parseStart(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new InvalidArgumentError(
      `"${value}" is not a time (Unix ms, or ISO 8601 like 2026-12-02T18:00:00Z)`,
    );
  }
  return ms;
}

/** The first node ledger found under `root` (`<root>/<name>/<name>.ledger.jsonl`), or undefined. */
async function chainIn(root: string, names: string[]): Promise<string | undefined> {
  for (const name of names) {
    const file = `${root}/${name}/${name}.ledger.jsonl`;
    if (await Deno.lstat(file).then(() => true, () => false)) return file;
  }
  return undefined;
}

/** A readable line for a node event (what `poso node` prints without --events). */
function describe(e: NodeEvent, names: Record<NodeId, string>): string | undefined {
  const where = `day ${e.height}${e.round > 0 ? `, round ${e.round}` : ""}`;
  switch (e.type) {
    case "start":
      return `${e.name} started: ledger at block ${e.ledgerHeight}, chain ${
        e.chain.slice(0, 15)
      }…, day 1 at ${new Date(e.schedule.startMs).toISOString()}`;
    case "tick":
      return `${where}: started`;
    case "effects": {
      const parts = [
        ...e.delegate.flatMap((d) =>
          d.kind === "commit"
            ? [`committed ${names[d.leader]}'s proposal`]
            : d.kind === "blacklist"
            ? [`blacklisted ${names[d.leader]} (${d.reason})`]
            : d.kind === "received"
            ? [`received ${d.path.map((p) => names[p]).join("→")}: ${d.verdict}`]
            : []
        ),
        ...(e.blocks ?? []).map((b) => `wrote block ${b.height} (${b.bytes} bytes)`),
        ...(e.refused ? [`refused block ${e.refused.height}: ${e.refused.reason}`] : []),
      ];
      return parts.length ? `${where}: ${parts.join("; ")}` : undefined;
    }
    case "dropped":
      return `${where}: dropped: ${e.reason}`;
    case "note":
      return `${where}: ${e.text}`;
    case "catchUp":
      return `${where}: caught up ${e.blocks} block(s) from ${names[e.from]}${
        e.refused ? `; refused block ${e.refused.height}: ${e.refused.reason}` : ""
      }`;
    case "crash":
      return `${where}: ${e.why}`;
    case "stats":
      return `sent ${e.stats.sentMessages} messages, ${e.stats.sentBytes} bytes`;
    case "end":
      return `stopped (${e.end}) with the ledger at block ${e.ledgerHeight}`;
    default:
      return undefined;
  }
}

/** Adds the `poso node` command to `program`. */
export function addNodeCommand(program: Command, io: NetCliIo): void {
  program.command("node")
    .summary("run one participant of a scenario as its own process, over the network")
    .description(
      "Run participant ID of a scenario as a process of its own: it listens on its address, talks\n" +
        "libp2p (TCP, Noise, Yamux) with the other participants, keeps the chain's schedule by its own\n" +
        "clock, and keeps its ledger and state in its data directory (docs/network.md).",
    )
    .argument("<scenario>", "scenario file, the same on every machine")
    .requiredOption(
      "--id <id>",
      "which participant this process is (its node id)",
      wholeIn(0, 2 ** 32 - 1, "--id"),
    )
    .option("--data <dir>", "this node's own directory (default: poso-data/<scenario file name>-net/<name>)")
    .option("--keys <dir>", "key directory: this node's <name>.key and every participant's <name>.pub")
    .option(
      "--start <time>",
      "when day 1 starts, the same for every node (Unix ms or ISO 8601; - reads it from standard input " +
        "once the node listens); needed for a new chain",
      parseStartArg,
    )
    .option(
      "--days <n>",
      `blocks to take part in, 1 to ${MAX_NET_DAYS} (default: the scenario's days)`,
      wholeIn(1, MAX_NET_DAYS, "--days"),
    )
    .option(
      "--round-ms <ms>",
      `round timeout of a new chain, ms (default: the scenario's)`,
      wholeIn(1, MAX_ROUND_MS, "--round-ms"),
    )
    .option(
      "--addr <id=host:port>",
      "a participant's address, replacing the scenario's (repeat it)",
      parseAddr,
    )
    .option(
      "--events",
      "print every event as a JSON line (what `poso net up` reads) instead of readable lines",
    )
    .action(async (file: string, opts: {
      id: number;
      data?: string;
      keys?: string;
      start?: number | "-";
      days?: number;
      roundMs?: number;
      addr?: Record<NodeId, NodeAddress>;
      events?: boolean;
    }) => {
      const scenario = await loadRunScenario(file);
      const me = scenario.participants.find((p) => p.id === opts.id);
      if (!me) throw new NodeError(`participant ${opts.id} is not in ${file}`);
      const names = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
      const stem = file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
      const stop = new AbortController();
      const unlisten = io.onInterrupt?.(() => stop.abort());
      const onTerm = () => stop.abort();
      try {
        Deno.addSignalListener("SIGTERM", onTerm);
      } catch { /* not on this platform */ }
      const encoder = new TextEncoder();
      try {
        const result = await runNode({
          scenario,
          id: opts.id,
          dataDir: opts.data ?? `poso-data/${stem}-net/${me.name}`,
          ...(opts.keys ? { keys: { kind: "dir" as const, dir: opts.keys } } : {}),
          ...(opts.start === undefined ? {} : { startMs: opts.start === "-" ? startFromStdin : opts.start }),
          ...(opts.roundMs === undefined ? {} : { roundMs: opts.roundMs }),
          ...(opts.days === undefined ? {} : { untilHeight: opts.days }),
          ...(opts.addr ? { addresses: opts.addr } : {}),
          // Loaded only here: libp2p reads the environment as it loads (every other command runs without --allow-env).
          transport: async (t) => (await import("../net/transport.ts")).Transport.start(t),
          signal: stop.signal,
          events: (e) => {
            if (opts.events) {
              Deno.stdout.writeSync(encoder.encode(new TextDecoder().decode(encodeWire(e)) + "\n"));
            } else {
              const line = describe(e, names);
              if (line) io.out(`${me.name} ${line}`);
            }
          },
        });
        if (result.end === "crashed") io.exit(NODE_CRASH_EXIT);
      } finally {
        unlisten?.();
        try {
          Deno.removeSignalListener("SIGTERM", onTerm);
        } catch { /* not on this platform */ }
      }
    });
}

/** Adds the `poso net` command (`net up`) to `program`. */
export function addNetCommand(program: Command, io: NetCliIo): void {
  const net = program.command("net").summary("run every participant of a scenario as its own local process");
  net.command("plan")
    .summary("print the command that runs each participant on its own machine, with least privilege")
    .description(
      "Print, for every participant of the scenario, the `deno run` command that starts it as a node:\n" +
        "read access, write access to its own data folder only, network access to exactly its own and its\n" +
        "peers' addresses (from ip:/port:, network.peers or --addr), and the start time given.",
    )
    .argument("<scenario>", "scenario file, the same on every machine")
    .requiredOption("--start <time>", "when day 1 starts (Unix ms or ISO 8601)", parseStart)
    .option("--data <dir>", "each node's data folder is <dir>/<name> (default: poso-data/<scenario>-net)")
    .option("--keys <dir>", "the key directory on every machine (default: the scenario's keys:)")
    .option(
      "--addr <id=host:port>",
      "a participant's address, replacing the scenario's (repeat it)",
      parseAddr,
    )
    .action(
      async (
        file: string,
        opts: { start: number; data?: string; keys?: string; addr?: Record<NodeId, NodeAddress> },
      ) => {
        const scenario = await loadRunScenario(file);
        const stem = file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
        const missing = scenario.participants.filter((p) => !scenarioAddress(scenario, p.id, opts.addr));
        if (missing.length) {
          throw new NodeError(
            `no address for ${missing.map((p) => `${p.name} (${p.id})`).join(", ")}: give ip: and port:, ` +
              "network.peers, or --addr ID=HOST:PORT",
          );
        }
        const addresses = localAddresses(scenario, opts.addr ?? {});
        const root = opts.data ?? `poso-data/${stem}-net`;
        const quote = (w: string) => /^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
        for (const p of scenario.participants) {
          const words = [
            "deno",
            "run",
            "--allow-read",
            `--allow-write=${root}/${p.name}`,
            netPermission(addresses),
            "--allow-env",
            "main.ts",
            "node",
            file,
            "--id",
            String(p.id),
            "--data",
            `${root}/${p.name}`,
            ...(opts.keys ? ["--keys", opts.keys] : []),
            "--start",
            String(opts.start),
          ];
          io.out(
            `# ${p.name} (${p.id}) on ${addresses[p.id].host}:${addresses[p.id].port}\n${
              words.map(quote).join(" ")
            }`,
          );
        }
      },
    );
  net.command("up")
    .summary("start every participant as a process on this machine, gather one trace, stop them")
    .description(
      "Start every participant of the scenario as its own `poso node` process (127.0.0.1 on free\n" +
        "ports unless the scenario gives addresses), all on one chain start time; print the trace\n" +
        "gathered from every node once every ledger holds the planned blocks; stop them. Ctrl-C stops all.",
    )
    .argument("<scenario>", "scenario file")
    .option(
      "--data <dir>",
      "root directory of a new chain: one folder per node, and keys/ (default: a new folder " +
        "poso-data/<scenario file name>-net/<start time>)",
    )
    .option(
      "--days <n>",
      `blocks to decide, 1 to ${MAX_NET_DAYS} (default: the scenario's days)`,
      wholeIn(1, MAX_NET_DAYS, "--days"),
    )
    .option(
      "--round-ms <ms>",
      "round timeout, ms (default: the scenario's)",
      wholeIn(1, MAX_ROUND_MS, "--round-ms"),
    )
    .option("--json", "print one run report per day as JSON Lines (input of `poso report`)")
    .option("--report <file>", "also write the HTML report of the run (every day, with a day picker)")
    .option(
      "--live",
      `serve a live page of the run at http://${LIVE_HOST}:<port>/ while it goes on (read-only; it stays ` +
        "up after the run until Ctrl-C)",
    )
    .option(
      "--port <n>",
      `the live page's port, 0 to ${MAX_PORT}, 0 for any free one (default: ${DEFAULT_LIVE_PORT})`,
      wholeIn(0, MAX_PORT, "--port"),
    )
    .action(
      async (
        file: string,
        opts: {
          data?: string;
          days?: number;
          roundMs?: number;
          json?: boolean;
          report?: string;
          live?: boolean;
          port?: number;
        },
        cmd: Command,
      ) => {
        if (opts.port !== undefined && !opts.live) {
          cmd.error("error: --port is the live page's port: add --live", { exitCode: 2 });
        }
        const scenario = await loadRunScenario(file);
        const stem = file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
        const days = opts.days ?? scenario.days.count;
        const run = await runProblemOf(scenario);
        // A networked chain's days are fixed to its start time: each `net up` starts a chain of its own,
        // in a folder of its own (never one that already holds a chain).
        const dataDir = opts.data ??
          `poso-data/${stem}-net/${new Date().toISOString().replace(/[:.]/g, "-")}`;
        const held = await chainIn(dataDir, scenario.participants.map((p) => p.name));
        if (held) {
          throw new NodeError(
            `${dataDir} already holds a networked chain (${held}): \`poso net up\` starts a new chain; ` +
              "give another --data, or remove that folder",
          );
        }
        // A bad --report must not cost a run: checked before any process starts.
        if (opts.report) {
          await checkOutputFile(opts.report, "--report");
          await checkDistinct([{ path: opts.report, what: "--report" }], [{
            path: file,
            what: "the scenario file",
          }]);
        }
        // The live page starts before the nodes (a taken port or a missing permission costs no run).
        const live = opts.live ? await startLiveServer({ port: opts.port ?? DEFAULT_LIVE_PORT }) : undefined;
        const liveEvents = live ? netLiveEvents(scenario, run.kind.name, run.kind.cost, days) : undefined;
        if (live && liveEvents) {
          io.err(`live page: ${live.url}`);
          live.publish(liveEvents.start);
        }
        const stop = new AbortController();
        const unlisten = io.onInterrupt?.(() => stop.abort());
        let result;
        try {
          result = await netUp({
            ...(live && liveEvents
              ? { onEvent: (e: NodeEvent) => liveEvents.of(e).forEach(live.publish) }
              : {}),
            scenarioFile: file,
            scenario,
            dataDir,
            days,
            ...(opts.roundMs === undefined ? {} : { roundMs: opts.roundMs }),
            log: (line) => io.err(`  ${line}`),
            signal: stop.signal,
          });
        } catch (e) {
          await live?.close();
          throw e;
        } finally {
          unlisten?.();
        }
        const reports: RunReport[] = collectTrace(scenario, run, result.events);
        // The gathered trace knows each block's certified gap: the page's blocks get it now.
        for (const r of reports) if (live && r.day) live.publish(liveOutcomeOf(r.day.height, r));
        const sent = result.events.filter((e) => e.type === "stats");
        for (const [i, r] of reports.entries()) {
          if (opts.json) io.out(JSON.stringify(r));
          else {io.out(
              `${i > 0 ? "\n" : ""}Day ${i + 1}, block ${r.day?.height}\n\n${renderTrace(r, scenario)}`,
            );}
        }
        if (!opts.json) {
          if (reports.length > 1) io.out("\n" + renderDays(reports));
          const wrote = result.events.some((e) => e.type === "effects" && e.blocks?.length);
          io.out(
            `\n${scenario.participants.length} processes; ` +
              (wrote
                ? `last block written ${(result.wallMs / 1000).toFixed(1)} s after they were started`
                : "no block written") +
              (sent.length
                ? `; sent ${
                  sent.reduce((s, e) => s + (e.type === "stats" ? e.stats.sentBytes : 0), 0)
                } bytes in all`
                : ""),
          );
        }
        if (opts.report && reports.length) {
          await io.writeFile(opts.report, renderReportHtml(reports, { scenario }));
          if (!opts.json) io.out(`report written to ${opts.report}`);
        }
        if (!opts.json) io.out(`ledgers in ${dataDir} (poso ledger verify ${dataDir})`);
        if (result.failure) io.err(`poso: ${result.failure}`);
        if (live) {
          const decided = reports.filter((r) => r.outcome).length;
          const text = `${decided} of ${days} planned ${days === 1 ? "day" : "days"} decided a block` +
            (result.failure ? `; ${result.failure}` : "");
          if (stop.signal.aborted) {
            live.publish({ kind: "end", ok: false, text: `stopped by Ctrl-C; ${text}` });
            await live.close();
          } else await finishLive(live, { ok: !result.failure && decided === days, text }, io);
        }
        if (stop.signal.aborted) io.exit(130);
        if (reports.length < days || reports.some((r) => !r.outcome)) io.exit(1);
      },
    );
}
