/**
 * The live page of a run (`poso run … --live`, `poso net up … --live`): a small read-only HTTP
 * server (Deno.serve, 127.0.0.1 by default) that serves the page (cli/live_page.ts) and pushes the
 * run's events ({@link LiveEvent}) to it as Server-Sent Events as they happen. The server keeps the
 * run's event log, bounded, and a page opened late (or reconnecting) is first given what it missed.
 *
 * The page's charts use the ECharts browser bundle of the npm package the report uses (deno.json's
 * `echarts`), served by this server at `/echarts.min.js` ({@link echartsBundle}): the page fetches
 * nothing from elsewhere.
 *
 * Read-only: GET only (anything else 405); requests whose Host is not this server's own address are
 * refused (403), so that a web page elsewhere cannot reach it through a rebound DNS name; the page
 * sets no CORS header, so no other origin can read the events.
 *
 * @module
 */
import { type LiveEvent, liveOfDelegate, liveOfNormal, liveRunEvent } from "../actors/live_event.ts";
import type { DayInfo } from "../actors/protocol.ts";
import { consensusLeader } from "../actors/supervisor.ts";
import type { NodeId } from "../consensus/types.ts";
import type { NodeEvent } from "../net/events.ts";
import type { CostUnit } from "../problems/types.ts";
import type { Scenario } from "../scenarios/loader.ts";
import { LIVE_PAGE_CSS, LIVE_PAGE_HTML, LIVE_PAGE_JS } from "./live_page.ts";

/** The port `--live` listens on when `--port` is not given. */
export const DEFAULT_LIVE_PORT = 8765;
/** The address the live page is bound to: this machine only. */
export const LIVE_HOST = "127.0.0.1";
/**
 * Most recent events the log keeps for a page opened late; older ones are let go (the run's start,
 * its days and outcomes, and each node's last block are kept apart, see {@link MAX_PINNED_EVENTS}).
 */
export const MAX_LIVE_LOG_EVENTS = 20_000;
/** Most run, day, outcome and end events kept apart from the recent log (a long run's days). */
export const MAX_PINNED_EVENTS = 5_000;
/**
 * Most rounds of a price iteration's trajectory (`iteration` events) the log keeps for a page opened
 * late: every round up to this many (847 rounds for the 120 Wuzhong communities, 78 for 12); beyond,
 * the kept rounds are thinned evenly (every 2nd, then every 4th, ... round, always round 0) and the
 * latest round is kept too, so a late page draws the whole trajectory at a coarser step.
 */
export const MAX_LIVE_ITERATION_ROUNDS = 4_096;
/** Most pages connected at once; one more is answered 503. */
export const MAX_LIVE_CLIENTS = 16;
/**
 * Bytes a page may fall behind (queued, not yet read) before the server drops it, so that a page
 * that stopped reading never holds the run's memory; a reconnecting page catches up from the log.
 */
export const MAX_CLIENT_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * The live page cannot start: the port is taken, or this process may not listen on it.
 *
 * @example
 * ```ts
 * import { LiveError } from "./live.ts";
 * console.log(new LiveError("--port 8765: in use").message); // --port 8765: in use
 * ```
 */
export class LiveError extends Error {
  /** An error whose message says why the page cannot be served and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "LiveError";
  }
}

/** A running live page. */
export interface LiveServer {
  /** The page's address, e.g. `http://127.0.0.1:8765/`. */
  readonly url: string;
  /** The port it listens on (the one chosen by the system for `--port 0`). */
  readonly port: number;
  /** Appends an event to the log and pushes it to every page open; returns at once. */
  publish(e: LiveEvent): void;
  /** Pages connected now. */
  clients(): number;
  /** Ends every page's stream and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startLiveServer}. */
export interface LiveServerOptions {
  /** The port, 0 to 65535 (0: any free port); default {@link DEFAULT_LIVE_PORT}. */
  port?: number;
  /** The address to bind; default {@link LIVE_HOST}. */
  hostname?: string;
  /** The command-line flag the port came from, named in errors (default `--port`). */
  flag?: string;
  /** Most recent events kept for a late page, 1 or more; default {@link MAX_LIVE_LOG_EVENTS}. */
  maxLogEvents?: number;
  /** Most price-iteration rounds kept before they are thinned, 2 or more; default {@link MAX_LIVE_ITERATION_ROUNDS}. */
  maxIterationRounds?: number;
}

/** A logged event: its sequence number, its kind and its encoded SSE frame. */
interface Frame {
  seq: number;
  kind: LiveEvent["kind"];
  bytes: Uint8Array;
  /** The round of an `iteration` event. */
  round?: number;
}

/** Kinds kept apart from the recent log: what a late page needs to make sense of the rest. */
const PINNED_KINDS: ReadonlySet<LiveEvent["kind"]> = new Set([
  "run",
  "day",
  "outcome",
  "end",
  "iterationStart",
  "iterationBlacklist",
  "iterationEnd",
]);

const encoder = new TextEncoder();

/** An SSE frame: `id:` the sequence number, `data:` the JSON (JSON has no raw line break). */
function frameOf(seq: number, payload: unknown, event?: string): Uint8Array {
  return encoder.encode(
    `${event ? `event: ${event}\n` : ""}${seq > 0 ? `id: ${seq}\n` : ""}data: ${JSON.stringify(payload)}\n\n`,
  );
}

/** The security headers of every answer: nothing from elsewhere, never framed, never sniffed. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * The ECharts browser bundle (`echarts/dist/echarts.min.js`, ~1.1 MB), loaded once on the first
 * request for it. It is imported as text, so it needs no read permission and `deno compile` embeds
 * it in the binary (the import's specifier is a literal, part of the module graph).
 */
let echartsText: Promise<string> | undefined;
/** The ECharts browser bundle's text (see {@link echartsText}). */
function echartsBundle(): Promise<string> {
  echartsText ??= import("echarts/dist/echarts.min.js", { with: { type: "text" } }).then((m) =>
    m.default as string
  );
  return echartsText;
}

/** Longest Last-Event-ID header read, characters (a sequence number). */
const MAX_LAST_EVENT_ID_CHARS = 16;

/**
 * Starts the live page's server. Throws a {@link LiveError} when this process may not listen there
 * (naming the `--allow-net` flag it needs) or the port is taken.
 *
 * @example
 * ```ts ignore
 * import { startLiveServer } from "./live.ts";
 * const live = await startLiveServer({ port: 0 });
 * live.publish({ kind: "note", height: 1, round: 1, text: "hello" });
 * console.log(live.url); // http://127.0.0.1:<port>/
 * await live.close();
 * ```
 */
export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const port = options.port ?? DEFAULT_LIVE_PORT;
  const hostname = options.hostname ?? LIVE_HOST;
  const flag = options.flag ?? "--port";
  const maxLog = Math.max(1, Math.floor(options.maxLogEvents ?? MAX_LIVE_LOG_EVENTS));
  const maxRounds = Math.max(2, Math.floor(options.maxIterationRounds ?? MAX_LIVE_ITERATION_ROUNDS));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LiveError(`${flag} ${port}: expected a port from 0 to 65535`);
  }
  const permitted = port === 0 ? hostname : `${hostname}:${port}`;
  if ((await Deno.permissions.query({ name: "net", host: permitted })).state !== "granted") {
    throw new LiveError(
      `the live page needs network permission to listen on ${permitted}: run with ` +
        `--allow-net=${hostname}${
          port === 0 ? "" : `:${port}`
        } (\`deno task live\` grants --allow-net=${hostname})`,
    );
  }

  let seq = 0;
  const t0 = Date.now();
  const recent: Frame[] = [];
  let recentStart = 0; // index of the oldest kept frame in `recent` (the array is compacted now and then)
  const pinned: Frame[] = [];
  const lastBlockOf = new Map<string, Frame>();
  let letGo = 0;
  // The price iteration's trajectory: the rounds that are multiples of `stride`, and the latest one.
  let trajectory: Frame[] = [];
  let stride = 1;
  let latestRound: Frame | undefined;
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();

  const drop = (c: ReadableStreamDefaultController<Uint8Array>) => {
    clients.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  };
  const push = (c: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    if ((c.desiredSize ?? 0) < -MAX_CLIENT_BACKLOG_BYTES) return drop(c);
    try {
      c.enqueue(bytes);
    } catch {
      clients.delete(c);
    }
  };

  const publish = (e: LiveEvent) => {
    seq++;
    const frame: Frame = { seq, kind: e.kind, bytes: frameOf(seq, { seq, at: Date.now() - t0, ...e }) };
    if (PINNED_KINDS.has(e.kind)) {
      pinned.push(frame);
      // The run's first event (who takes part) is never let go.
      if (pinned.length > MAX_PINNED_EVENTS) pinned.splice(1, 1);
    } else if (e.kind === "block") {
      lastBlockOf.set(e.node, frame);
    } else if (e.kind === "iteration") {
      frame.round = e.round;
      latestRound = frame;
      if (e.round % stride === 0) {
        trajectory.push(frame);
        while (trajectory.length > maxRounds) {
          stride *= 2;
          trajectory = trajectory.filter((f) => (f.round ?? 0) % stride === 0);
        }
      }
    } else {
      recent.push(frame);
      if (recent.length - recentStart > maxLog) {
        recentStart++;
        letGo++;
        if (recentStart >= maxLog) {
          recent.splice(0, recentStart);
          recentStart = 0;
        }
      }
    }
    for (const c of clients) push(c, frame.bytes);
  };

  /** Everything after `after` the log still holds, in order. */
  const replay = (after: number): Frame[] =>
    [
      ...pinned,
      ...lastBlockOf.values(),
      ...trajectory,
      ...(latestRound && !trajectory.includes(latestRound) ? [latestRound] : []),
      ...recent.slice(recentStart),
    ]
      .filter((f) => f.seq > after)
      .sort((a, b) => a.seq - b.seq);

  const own = new Set<string>();
  const events = (request: Request): Response => {
    if (clients.size >= MAX_LIVE_CLIENTS) {
      return new Response(`at most ${MAX_LIVE_CLIENTS} pages at once\n`, {
        status: 503,
        headers: SECURITY_HEADERS,
      });
    }
    const header = request.headers.get("last-event-id") ?? "";
    const after = header.length <= MAX_LAST_EVENT_ID_CHARS && /^\d+$/.test(header) ? Number(header) : 0;
    let me: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        me = c;
        const frames = replay(after);
        if (after === 0 && letGo > 0) {
          c.enqueue(frameOf(0, {
            seq: 0,
            at: 0,
            kind: "note",
            height: 0,
            round: 0,
            text: `the ${letGo} oldest events are no longer kept (the log keeps the last ${maxLog})`,
          }));
        }
        for (const f of frames) c.enqueue(f.bytes);
        // Everything before this marker was caught up from the log; what follows is pushed live.
        c.enqueue(frameOf(0, { seq }, "caughtup"));
        clients.add(c);
      },
      cancel() {
        if (me) clients.delete(me);
      },
    }, { highWaterMark: MAX_CLIENT_BACKLOG_BYTES, size: (chunk) => chunk.byteLength });
    return new Response(body, {
      // no-transform: Deno.serve would otherwise gzip the stream for a browser, holding events back.
      headers: {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
      },
    });
  };

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (!own.has(request.headers.get("host") ?? "")) {
      return new Response("unknown Host\n", { status: 403, headers: SECURITY_HEADERS });
    }
    if (request.method !== "GET") {
      return new Response("read-only: GET only\n", {
        status: 405,
        headers: { ...SECURITY_HEADERS, allow: "GET" },
      });
    }
    const text = (body: string, type: string) =>
      new Response(body, { headers: { ...SECURITY_HEADERS, "content-type": `${type}; charset=utf-8` } });
    switch (url.pathname) {
      case "/":
        return text(LIVE_PAGE_HTML, "text/html");
      case "/live.js":
        return text(LIVE_PAGE_JS, "text/javascript");
      case "/live.css":
        return text(LIVE_PAGE_CSS, "text/css");
      case "/echarts.min.js":
        return text(await echartsBundle(), "text/javascript");
      case "/events":
        return events(request);
      default:
        return new Response("not found\n", { status: 404, headers: SECURITY_HEADERS });
    }
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port, onListen: () => {} }, handler);
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new LiveError(
        `${flag} ${port}: ${hostname}:${port} is already in use (another poso --live?); choose another port ` +
          `with ${flag}, or ${flag} 0 for any free one`,
      );
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new LiveError(
        `the live page may not listen on ${hostname}:${port}: ${(e as Error).message.split("\n")[0]} ` +
          `(run with --allow-net=${hostname}:${port})`,
      );
    }
    throw e;
  }
  const bound = server.addr.port;
  for (const h of [hostname, "localhost", "127.0.0.1"]) own.add(`${h}:${bound}`);
  if (hostname.includes(":")) own.add(`[${hostname}]:${bound}`);
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${shown}:${bound}/`,
    port: bound,
    publish,
    clients: () => clients.size,
    async close() {
      for (const c of [...clients]) drop(c);
      await server.shutdown();
    },
  };
}

/**
 * Once a run with a live page is over: tells the page (the `end` event) and keeps serving it until
 * Ctrl-C, so that the page can still be opened and read; then stops the server. Without a way to
 * catch Ctrl-C (a caller's own io) the server stops at once.
 */
export async function finishLive(
  live: LiveServer,
  end: { ok: boolean; text: string },
  io: { err(text: string): void; onInterrupt?(handler: () => void): () => void },
): Promise<void> {
  live.publish({ kind: "end", ...end });
  if (io.onInterrupt) {
    let stop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const unlisten = io.onInterrupt(() => stop?.());
    io.err(`the run is over; the live page stays at ${live.url} until Ctrl-C`);
    try {
      await stopped;
    } finally {
      unlisten();
    }
  }
  await live.close();
}

/**
 * Turns the events of `poso net up`'s nodes (net/events.ts) into the live page's events: each
 * day and round once (the first node to reach it; the round's leader is the one most delegates
 * follow, from the blacklists seen), every node's checks, decisions, drops, notes and blocks, and
 * a day's block as soon as more than half of the normal nodes accepted it (its certified gap
 * follows once the trace is gathered at the end: {@link liveOutcomeOf}).
 */
export function netLiveEvents(
  scenario: Scenario,
  problem: string,
  unit: CostUnit,
  days: number,
): { start: LiveEvent; of: (e: NodeEvent) => LiveEvent[] } {
  const names: Record<NodeId, string> = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
  const nameOf = (id: NodeId) => names[id] ?? String(id);
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  const normals = scenario.participants.filter((p) => p.normal).length;
  const cost = new Map<string, number>();
  const costOf = (d: string) => cost.get(d);
  /** Per day: its start, the blacklists seen, rounds started, normal nodes' accepts, outcome sent. */
  const dayState = new Map<number, {
    startAfter?: NodeId;
    blacklists: Map<NodeId, Set<NodeId>>;
    rounds: Set<number>;
    accepts: Map<string, { who: Set<NodeId>; round: number; leader: NodeId; cost?: number }>;
    decided: boolean;
  }>();
  const of = (e: NodeEvent): LiveEvent[] => {
    const out: LiveEvent[] = [];
    const at = { height: e.height, round: e.round };
    const state = (height: number, day?: DayInfo) => {
      let s = dayState.get(height);
      if (!s) {
        s = {
          ...(day?.startAfter === undefined ? {} : { startAfter: day.startAfter }),
          blacklists: new Map(delegates.map((d) => [d, new Set(day?.blacklistAtStart ?? [])])),
          rounds: new Set(),
          accepts: new Map(),
          decided: false,
        };
        dayState.set(height, s);
        out.push({ kind: "day", height, ...(day ? { loadFactor: day.loadFactor } : {}) });
      }
      return s;
    };
    const who = nameOf(e.node);
    switch (e.type) {
      case "day":
        state(e.day.height, e.day);
        break;
      case "tick": {
        const s = state(e.height);
        if (e.round > 0 && !s.rounds.has(e.round)) {
          s.rounds.add(e.round);
          const leader = consensusLeader(delegates, s.blacklists, s.startAfter);
          out.push({
            kind: "round",
            height: e.height,
            round: e.round,
            ...(leader === undefined ? {} : { leader: nameOf(leader) }),
          });
        }
        break;
      }
      case "effects": {
        const s = state(e.height);
        for (const d of e.delegate) {
          if (d.kind === "send") {
            if (d.digest !== undefined && d.cost !== undefined && !cost.has(d.digest)) {
              cost.set(d.digest, Math.round(d.cost));
            }
            continue;
          }
          if (d.kind === "blacklist") s.blacklists.get(e.node)?.add(d.leader);
          out.push(...liveOfDelegate(who, d, at, nameOf, costOf));
        }
        for (const n of e.normal) {
          out.push(...liveOfNormal(who, n, at, nameOf, costOf));
          if (n.kind !== "accept") continue;
          const key = n.proposalDigest;
          const a = s.accepts.get(key) ??
            { who: new Set(), round: n.round, leader: n.leader, cost: costOf(n.digest) };
          s.accepts.set(key, a);
          a.who.add(e.node);
          if (!s.decided && 2 * a.who.size > normals) {
            s.decided = true;
            out.push({
              kind: "outcome",
              height: e.height,
              round: a.round,
              leader: nameOf(a.leader),
              ...(a.cost === undefined ? {} : { cost: a.cost }),
            });
          }
        }
        for (const u of e.unauthentic ?? []) {
          out.push({ kind: "dropped", height: e.height, round: e.round, to: who, reason: u.reason });
        }
        for (const b of e.blocks ?? []) {
          out.push({ kind: "block", node: who, height: b.height, bytes: b.bytes });
        }
        if (e.refused) {
          out.push({
            kind: "note",
            ...at,
            text: `${who} refused block ${e.refused.height}: ${e.refused.reason}`,
          });
        }
        break;
      }
      case "dropped":
        out.push({ kind: "dropped", ...at, to: who, reason: e.reason });
        break;
      case "note":
        out.push({ kind: "note", ...at, text: `${who}: ${e.text}` });
        break;
      case "crash":
        out.push({ kind: "note", ...at, text: `${who}: ${e.why}` });
        break;
      case "catchUp":
        out.push({
          kind: "note",
          ...at,
          text: `${who} caught up ${e.blocks} block(s) from ${nameOf(e.from)}`,
        });
        break;
      case "start":
        if (e.ledgerHeight > 0) {
          out.push({ kind: "block", node: who, height: e.ledgerHeight, bytes: 0 });
        }
        break;
    }
    return out;
  };
  return { start: liveRunEvent(scenario, "processes", problem, unit, days), of };
}
