/**
 * Scenario files: the original PoSo configuration layout (a `nodes:` map of
 * participants with `leader_evil:` behaviours), read with `npm:yaml` so that
 * every error names the file, the line, the column and the key.
 *
 * The configuration files of the published code load as they are: YAML 1.1
 * booleans where a boolean is expected, nodes without a name
 * named after their id ({@link derivedNodeName}), every key the published code
 * reads known, and `scene.class` deciding what runs ({@link PUBLISHED_SCENES}).
 *
 * The reference for the format is scenarios/README.md.
 *
 * @module
 */
import { dirname, isAbsolute, resolve as resolvePath } from "node:path";
import { DEFAULT_SOLVER, isSolverName, type SolverName, SOLVERS } from "../lp/solver.ts";
import { DEFAULT_PROBLEM, problemKinds } from "../problems/registry.ts";
import {
  type Alias,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  visit,
} from "yaml";
import { isIP } from "node:net";
import process from "node:process";
import {
  InputFileError,
  MAX_NODE_NAME_CHARS,
  nearestKey,
  nodeNameProblem,
  readCappedText,
  readFailure,
} from "../actors/files.ts";
import { defaultFaults } from "../consensus/delegate.ts";
import type { Misbehaviour, NodeId } from "../consensus/types.ts";
import type { DelegateEvil, NormalEvil } from "../consensus/iteration.ts";

export { readFailure } from "../actors/files.ts";

// ---------------------------------------------------------------------------
// Types

/**
 * The protocol variants (docs/protocol.md): the article's rules (`paper`), Dolev-Strong relay
 * phases (`strict`), or the rules of the article's published code (`published`).
 */
export type Protocol = "paper" | "strict" | "published";

/** Where the participants' Ed25519 keys come from (`keys:`). */
export type ScenarioKeys =
  /** Derived from `seed` (anyone who knows it knows every key: tests and reproducible runs only). */
  | { kind: "seed"; seed: number }
  /** A key directory, created on first use; relative paths are relative to the current directory. */
  | { kind: "dir"; dir: string }
  /** Not set: `<data directory>/keys`. */
  | { kind: "default" };

/** Participants that run as processes of their own (`network:`, `poso node`, `poso net up`). */
export interface NetworkConfig {
  /** `block_interval_sec` × 1000: time from one day's start to the next's, whole ms (default: the rounds and a decision window). */
  blockMs?: number;
  /** `peers:`: addresses by participant id (a DNS name or an IP address, and a port), replacing `ip:`/`port:`. */
  peers: Record<NodeId, { host: string; port: number }>;
}

/** Multi-day runs (`days:`). The blacklist always carries over: a delegate caught once never leads again. */
export interface DaysConfig {
  /** Days (blocks) a run dispatches (`poso run --days` overrides it). */
  count: number;
  /** Day d starts from the delegate after day d-1's leader, instead of the lowest id (default false). */
  rotateLeader: boolean;
}

/** One participant of a scenario. */
export interface Participant {
  /** Numeric id (u32), the key under `nodes:`. */
  id: NodeId;
  /** Short name used in traces (`C`, `D`, ...). */
  name: string;
  /** Takes part in the delegate phase (leads and relays). */
  delegate: boolean;
  /** Receives decisions in the normal-node phase. */
  normal: boolean;
  /** Its `leader_evil:` block; `{}` for an honest participant. */
  misbehaviour: Misbehaviour;
  /**
   * `ip:` as the file gives it (an IPv4 or IPv6 address), kept for a runtime that runs nodes over the
   * network; the simulator and the Worker runtime route messages themselves and do not use it.
   */
  ip?: string;
  /** `port:` (1 to 65535), kept like {@link Participant.ip}. */
  port?: number;
  /** Its `normal_evil:` (the published iteration's demand tampering; only in an iteration scene). */
  normalEvil?: NormalEvil;
  /** Its `delegate_evil:` (the published iteration's price and relay tampering; only in an iteration scene). */
  delegateEvil?: DelegateEvil;
}

/** What the published iteration (a scene class with {@link PublishedScene.iteration}) runs with. */
export interface IterationSettings {
  /** What is iterated: the market's prices, or the SimpleAdd counter. */
  kind: "market" | "simple-add";
  /** Stop when the norm of the price change is below this, CNY/MWh (`scene.params.price_tolerance`). */
  tolerance: number;
  /** Stop after this many rounds whatever the prices do (`scene.params.final_round`). */
  finalRound: number;
}

/**
 * A validated scenario, ready for the simulator or the Worker runtime.
 *
 * @example
 * ```ts
 * import { loadScenarioFile } from "../mod.ts";
 * const s = await loadScenarioFile("scenarios/scenario1.yaml");
 * console.log(s.protocol, s.roundTimeoutMs, s.participants.length); // paper 3000 7
 * ```
 */
export interface Scenario {
  /** `name:`, or the file name without its extension. */
  name: string;
  /** `description:`, or "". */
  description: string;
  /** The file it was read from (as given to the loader). */
  file: string;
  /** `protocol:`: the article's rules (`paper`, the default), Dolev-Strong relay phases (`strict`) or the published code's rules (`published`). */
  protocol: Protocol;
  /** Strict mode: length of relay phases 2..f+1, whole ms (phase 1 lasts the round timeout). */
  phaseMs: number;
  /** Strict mode: dishonest delegates tolerated (default: the largest number below half of the delegates). */
  faultTolerance?: number;
  /** Where the keys come from. */
  keys: ScenarioKeys;
  /** Days to dispatch, one block each. */
  days: DaysConfig;
  /** `network:`, for participants that run as processes of their own; absent when the file has none. */
  network?: NetworkConfig;
  /** Seed of the deterministic simulator (u32). */
  seed: number;
  /** Round timeout, whole ms (`scene.params.round_timeout_sec` × 1000). */
  roundTimeoutMs: number;
  /** Rounds to run at most before giving up on a block. */
  maxRounds: number;
  /** Simulated one-way link delay range [min, max], ms. */
  linkDelayMs: [number, number];
  /** Normal nodes check certificates themselves too. */
  normalVerify: boolean;
  /** `problem:`: the problem kind every day poses (problems/registry.ts), default `ies-dispatch`. */
  problem: string;
  /**
   * `case:`: the case file, resolved against the scenario file's folder to an absolute path (so it
   * names the same file from any current directory); absent: the kind's bundled case.
   */
  casePath?: string;
  /** `solver:`: the LP back end a leader solves with (lp/solver.ts); default {@link DEFAULT_SOLVER}. */
  solver: SolverName;
  /** Every participant, sorted by id. */
  participants: Participant[];
  /**
   * `scene.class` as the file gives it (a scene class of the published code, e.g.
   * `distributed_consensus.scene.scene_type_poo.MultiEnergyPoo`); absent when the file has none.
   * It decided {@link Scenario.problem} (see {@link PUBLISHED_SCENES}).
   */
  sceneClass?: string;
  /** Set when the scene class runs the published iteration instead of PoSo (see {@link PublishedScene}). */
  iteration?: IterationSettings;
  /** Things a person should know but that do not stop the run (ignored original fields, no-op behaviours). */
  notices: string[];
}

/** One problem found in a scenario file. */
export interface ScenarioProblem {
  /** The scenario file (as given to the loader). */
  file: string;
  /** 1-based line, or 0 when the problem concerns the whole file (e.g. it cannot be read). */
  line: number;
  /** 1-based column, or 0 with line 0. */
  column: number;
  /** Dotted key path (`nodes.8.leader_evil.follower_ignore`, list items as `[i]`); "" for the whole document. */
  keyPath: string;
  /** What is wrong and, where possible, how to fix it. */
  detail: string;
}

/**
 * A scenario file that cannot be used. The message starts with
 * `file:line:column: keyPath: detail` for the first problem and lists any
 * further problems found in the same pass on the following lines.
 *
 * @example
 * ```ts
 * import { parseScenario, ScenarioError } from "../mod.ts";
 * try {
 *   parseScenario("nodes:\n  1: {name: A, is_delegate: yes}\n", "bad.yaml");
 * } catch (e) {
 *   if (e instanceof ScenarioError) console.log(e.problems.length > 0, e.file, e.line > 0); // true bad.yaml true
 * }
 * ```
 */
export class ScenarioError extends Error {
  /** The first problem's file. */
  readonly file: string;
  /** The first problem's 1-based line (0: the whole file). */
  readonly line: number;
  /** The first problem's 1-based column (0 with line 0). */
  readonly column: number;
  /** The first problem's key path ("" for the whole document). */
  readonly keyPath: string;
  /** What is wrong, for the first problem. */
  readonly detail: string;
  /** Every problem found (the first 50 of a file that has more), the first one described by the fields above. */
  readonly problems: readonly ScenarioProblem[];
  /** Problems found but not listed in `problems` (a file with very many). */
  readonly unshown: number;

  /**
   * An error for `problems`, the first of which its fields describe; `unshown`
   * counts further problems that were found but are not listed.
   */
  constructor(problems: [ScenarioProblem, ...ScenarioProblem[]], unshown = 0) {
    const [first, ...rest] = problems;
    const lines = [formatProblem(first)];
    if (rest.length > 0) {
      lines.push(`and ${rest.length} more problem${rest.length === 1 ? "" : "s"}:`);
      for (const p of rest) lines.push(`  ${formatProblem(p)}`);
    }
    if (unshown > 0) lines.push(`and ${unshown} more problems not shown`);
    super(lines.join("\n"));
    this.unshown = unshown;
    this.name = "ScenarioError";
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.keyPath = first.keyPath;
    this.detail = first.detail;
    this.problems = problems;
  }
}

function formatProblem(p: ScenarioProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.keyPath ? `${where}: ${p.keyPath}: ${p.detail}` : `${where}: ${p.detail}`;
}

// ---------------------------------------------------------------------------
// Defaults and limits

/**
 * A round's critical path on Workers, seconds: from the round's start until the leader's proposal and
 * every relay of it are checked, when the leader's solver is warm. Measured with `poso run
 * scenarios/scenario1.yaml --days 7` (progress note "all done N ms after it started") on an idle
 * 2-core machine, bundled case, HiGHS: 0.09-0.19 s; 0.2-0.35 s for a leader Worker's first solve;
 * 0.6-0.9 s for a run's first round, while V8 still compiles the solver's hot code.
 */
export const MEASURED_ROUND_SEC = 0.2;
/**
 * The default round timeout's margin over {@link MEASURED_ROUND_SEC}: room for a run's first (cold)
 * round, up to 0.9 s on an idle machine, on a machine three times slower or busier (a first solve took
 * 1.2 s here while seven other processes ran), and for a larger case. A generous timeout costs nothing
 * in a Worker run while the leader answers: the supervisor ends a round as soon as every Worker is idle
 * (runtime `fullRounds`); only a silent leader makes a round last its whole timeout.
 */
export const ROUND_TIMEOUT_MARGIN = 15;
/**
 * Default `scene.params.round_timeout_sec`, seconds: {@link MEASURED_ROUND_SEC} × {@link ROUND_TIMEOUT_MARGIN}
 * = 3 s (the published configuration files use 3 s and 10 s).
 */
export const DEFAULT_ROUND_TIMEOUT_SEC = MEASURED_ROUND_SEC * ROUND_TIMEOUT_MARGIN;
/** Default `scene.params.link_delay_ms`, [min, max] ms of simulated one-way delay. */
export const DEFAULT_LINK_DELAY_MS: readonly [number, number] = [1, 20];
/** Default `scene.params.phase_sec` (strict mode), seconds: several link delays and a check. */
export const DEFAULT_PHASE_SEC = 0.5;
/** Default `seed`. */
export const DEFAULT_SEED = 1;
/**
 * Fewest delegates for the protocol's guarantees: a normal node accepts a
 * dispatch held by more than half of the delegates, and with fewer than three
 * a single dishonest delegate is already half of them. A scenario with one or
 * two delegates (two published SimpleSum and SimpleAdd files have two) loads
 * with a notice saying so; one without any is an error.
 */
export const MIN_DELEGATES = 3;
/** Largest node id and seed: both are u32. */
const U32_MAX = 0xffff_ffff;
/** Milliseconds per second. */
const MS_PER_SEC = 1000;

/**
 * Largest scenario file, bytes (256 KiB). The shipped scenarios are about 3 kB; a file
 * of the original configuration with a hundred nodes stays far below. A larger file is
 * refused before it is parsed (npm:yaml parses about 1 MB per second).
 */
export const MAX_SCENARIO_BYTES = 256 * 1024;
/**
 * Longest duration any setting may give, ms: 1 hour. Applies to every time of a
 * scenario (`round_timeout_sec`, `phase_sec`, `delay_ms`, each `delay_to` value,
 * `link_delay_ms`) and to `poso run --timeout`. JavaScript timers hold at most
 * 2^31-1 ms (24.8 days) and fire at once beyond it; the few durations a timer adds
 * up (a delay plus a per-addressee delay) stay far below that.
 */
export const MAX_DURATION_MS = 3_600_000;
/** Largest seed (`seed:`, `keys: { seed: N }`, `poso run --seed`): seeds are u32, 0 to 4294967295. */
export const MAX_SEED: number = U32_MAX;
/** Most days one run dispatches (`days:`, `poso run --days`): a year of daily blocks. */
export const MAX_DAYS = 366;
/**
 * Most participants of a scenario: each runs in a Worker of its own. 128 holds the 120 communities of
 * the Wuzhong market (scenarios/market120.yaml).
 */
export const MAX_PARTICIPANTS = 128;
/** Longest scenario `name:`, characters. */
const MAX_TITLE_CHARS = 200;
/** Longest scenario `description:`, characters. */
const MAX_DESCRIPTION_CHARS = 10_000;
/** Longest key directory path (`keys:`), characters (Linux's PATH_MAX). */
const MAX_PATH_CHARS = 4096;
/**
 * Most mapping entries and list items the loader reads, aliases expanded. Without
 * aliases a file under {@link MAX_SCENARIO_BYTES} holds fewer; the cap stops a few
 * aliases of a large mapping from multiplying the work.
 */
const MAX_ITEMS = 100_000;
/** Most problems listed in a ScenarioError; the rest are counted. */
const MAX_PROBLEMS = 50;
/** Most notices kept; the rest are counted in one last notice. */
const MAX_NOTICES = 50;
/** Longest key shown in a key path, characters; longer ones are shortened. */
const MAX_SHOWN_KEY_CHARS = 40;

/** Shortest duration in seconds: the timers count whole milliseconds. */
const MIN_DURATION_SEC = 1 / MS_PER_SEC;

/**
 * The allowed range of a duration in seconds, with its unit, for messages.
 *
 * @example
 * ```ts
 * import { SECONDS_RANGE } from "./loader.ts";
 * console.log(SECONDS_RANGE); // "0.001 to 3600 s"
 * ```
 */
export const SECONDS_RANGE = `${MIN_DURATION_SEC} to ${MAX_DURATION_MS / MS_PER_SEC} s`;

/**
 * The allowed range of a duration in milliseconds, with its unit, for messages.
 *
 * @example
 * ```ts
 * import { MILLISECONDS_RANGE } from "./loader.ts";
 * console.log(MILLISECONDS_RANGE); // "0 to 3600000 ms"
 * ```
 */
export const MILLISECONDS_RANGE = `0 to ${MAX_DURATION_MS} ms`;

/**
 * A duration given in seconds (`round_timeout_sec`, `phase_sec`, `poso run
 * --timeout`) as whole milliseconds, or undefined when it is not a number or
 * is outside {@link SECONDS_RANGE} once rounded to whole milliseconds (the one
 * rule for scenario files and the command line).
 *
 * @example
 * ```ts
 * import { secondsToMs } from "./loader.ts";
 * console.log(secondsToMs(3), secondsToMs(0.0004), secondsToMs(2147484)); // 3000 undefined undefined
 * ```
 */
export function secondsToMs(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  const ms = Math.round(value * MS_PER_SEC);
  return ms >= 1 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * True when `value` is a duration in whole milliseconds within
 * {@link MILLISECONDS_RANGE} (`delay_ms`, `delay_to` values).
 *
 * @example
 * ```ts
 * import { isWholeMs } from "./loader.ts";
 * console.log(isWholeMs(200), isWholeMs(2.5), isWholeMs(4294967297)); // true false false
 * ```
 */
export function isWholeMs(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_DURATION_MS;
}

/**
 * True when `value` is a seed: an integer from 0 to {@link MAX_SEED} (u32). The
 * one rule for `seed:`, `keys: { seed: N }` and `poso run --seed`.
 *
 * @example
 * ```ts
 * import { isSeed } from "./loader.ts";
 * console.log(isSeed(7), isSeed(4294967296), isSeed(-1)); // true false false
 * ```
 */
export function isSeed(value: unknown): value is number {
  return isU32(value);
}

/**
 * True when participant `p` is dishonest: its `leader_evil:` block configures a
 * behaviour that can have an effect (a non-empty list or mapping, a delay above
 * 0, a crash, `replay_old: true`, ...). Crashes and delays count: the protocol's
 * fault tolerance counts every delegate that does not follow it. The notices about
 * lost guarantees count the dishonest delegates with this function.
 *
 * @example
 * ```ts
 * import { isDishonest } from "./loader.ts";
 * const p = { id: 8, name: "C", delegate: true, normal: true, misbehaviour: {} };
 * console.log(isDishonest(p), isDishonest({ ...p, misbehaviour: { delay_ms: 200 } })); // false true
 * ```
 */
export function isDishonest(p: Participant): boolean {
  return Object.values(p.misbehaviour as Record<string, unknown>).some(hasEffect);
}

/** True when a behaviour's value can change what a participant does (see {@link isDishonest}). */
function hasEffect(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "number") return v > 0;
  if (typeof v === "string") return v !== "";
  if (typeof v === "object" && v !== null) return Object.keys(v).length > 0;
  return v === true;
}

/**
 * The behaviour keys of `leader_evil:` that take a list of ids, in canonical order: delegate ids,
 * except for {@link ANY_ID_BEHAVIOURS}.
 */
export const ID_LIST_BEHAVIOURS = [
  "follower_ignore",
  "follower_error",
  "follower_feasible",
  "follower_collusion",
  "follower_trick_ignore",
  "follower_trick_error",
  "equivocate",
  "forge_leader",
  "equivocate_metadata",
  "oversize",
  "impersonate",
] as const;
/** Id-list behaviours whose ids may name any participant, not only delegates. */
export const ANY_ID_BEHAVIOURS: readonly string[] = ["impersonate"];
/** Every behaviour key of `leader_evil:`. */
export const BEHAVIOUR_KEYS = [
  ...ID_LIST_BEHAVIOURS,
  "crash_at_round",
  "delay_ms",
  "delay_to",
  "replay_old",
  "crash_in_ledger_write",
  "junk",
] as const;

type IdListBehaviour = typeof ID_LIST_BEHAVIOURS[number];

/** Leader behaviours: each decides what the leader sends one follower, so a follower may appear in one only. */
const LEADER_SEND_KEYS: readonly IdListBehaviour[] = [
  "follower_ignore",
  "follower_error",
  "follower_feasible",
  "equivocate",
  "equivocate_metadata",
];
/** Relay behaviours: each decides what a follower relays to one delegate, so a delegate may appear in one only. */
const RELAY_KEYS: readonly IdListBehaviour[] = ["follower_trick_ignore", "follower_trick_error"];

const TOP_KEYS = [
  "name",
  "description",
  "protocol",
  "seed",
  "problem",
  "case",
  "solver",
  "keys",
  "days",
  "network",
  "scene",
  "nodes",
] as const;
const DAYS_KEYS = ["count", "rotate_leader"] as const;
const NETWORK_KEYS = ["block_interval_sec", "peers"] as const;
/** Longest block interval `network.block_interval_sec` may set, s (one week). */
export const MAX_BLOCK_INTERVAL_SEC = 7 * 24 * 3600;
const SCENE_KEYS = ["params", "class"] as const;
const PARAM_KEYS = [
  "round_timeout_sec",
  "max_rounds",
  "link_delay_ms",
  "normal_verify",
  "phase_sec",
  "fault_tolerance",
] as const;
const NODE_KEYS = ["name", "is_delegate", "is_normal", "leader_evil", "ip", "port"] as const;

const KEYS = "the original configuration's per-node key file; keys come from the top-level keys: setting";
const HUB = "the original configuration's hub spreadsheet; the case data comes from the top-level case: " +
  "setting (a JSON case file), by default the problem kind's bundled case";
const GAMS = "the original configuration's GAMS installation; this runtime solves a linear model itself";
const NETWORK = "a network address the published code never reads (it reads ip and port); " +
  "this runtime routes messages itself";

/** Keys of the original configuration that mean nothing here, with the reason given in the notice. */
const ORIGINAL_NODE_KEYS: Record<string, string> = {
  host: NETWORK,
  address: NETWORK,
  transport: "the published code's transport (it supports tcpv1 only); this runtime routes messages itself",
  private_key: KEYS,
  public_key: KEYS,
  private_key_file: KEYS,
  public_key_file: KEYS,
  pk_path: KEYS,
  sk_path: KEYS,
  hub: HUB,
  hub_file: HUB,
  xlsx: HUB,
  gams_path: GAMS,
  gams_dir: GAMS,
  normal_evil: "the published code's demand tampering by a normal node (demand_ignore, demand_target, " +
    "demand_rate), which only its MultiEnergyPark scene uses; not implemented here, the node is honest in " +
    "that respect",
  delegate_evil: "the published code's price and relay tampering by a delegate (price_*, broadcast_*), " +
    "which only its MultiEnergyPark scene uses; not implemented here: use the leader_evil behaviours " +
    "(scenarios/README.md)",
};
const ORIGINAL_TOP_KEYS: Record<string, string> = {
  log_level: "the published code's log level; traces are printed by the CLI",
  hub_file: HUB,
  xlsx: HUB,
  gams_path: GAMS,
  gams_dir: GAMS,
};
const ORIGINAL_PARAM_KEYS: Record<string, string> = {
  hub_file: HUB,
  xlsx: HUB,
  gams_path: GAMS,
  gams_dir: GAMS,
};
/** `transport.tcpv1.micronet_init_sec`, the one transport setting the published code reads. */
const MICRONET_INIT =
  "how long the published nodes wait to connect to each other over TCP; this runtime starts and " +
  "connects its nodes itself";

/**
 * A scene class of the published code (`scene.class`), and what it becomes here.
 *
 * @example
 * ```ts
 * import { PUBLISHED_SCENES } from "./loader.ts";
 * console.log(PUBLISHED_SCENES.filter((s) => s.problem).map((s) => `${s.className}: ${s.problem}`));
 * // [ "MultiEnergyPoo: ies-dispatch", "SimpleSum: simple-sum", "MultiEnergyPark: energy-market",
 * //   "SimpleAdd: simple-add", "SimpleAddEvilNormal: simple-add" ]
 * ```
 */
export interface PublishedScene {
  /** The class name: the last dotted part of `scene.class`. */
  className: string;
  /** The module the published code imports it from. */
  module: string;
  /** What the scene does in the published code, in a few words. */
  what: string;
  /** The problem kind PoSo runs on for it here; absent when it cannot run here. */
  problem?: string;
  /** Set when it cannot run here: what running it would need. */
  needs?: string;
  /**
   * Set when it runs as the published iteration protocol (consensus/iteration.ts) rather than PoSo:
   * `market` is the price iteration on the problem's market.
   */
  iteration?: "market" | "simple-add";
  /** The `scene.params` keys its constructor takes (the published code passes them as keyword arguments). */
  params: readonly string[];
}

/**
 * The scene classes of the published code (`distributed_consensus/scene/**`): the two that are PoSo run here
 * on a problem kind; the others stop the loader with an error naming the class and what it needs.
 */
export const PUBLISHED_SCENES: readonly PublishedScene[] = [
  {
    className: "MultiEnergyPoo",
    module: "distributed_consensus.scene.scene_type_poo",
    what: "PoSo on the integrated-energy dispatch",
    problem: "ies-dispatch",
    params: [
      "final_round",
      "round_timeout_sec",
      "normal_round_timeout_sec",
      "ptry",
      "round_end_cache",
      "init_end_cache",
    ],
  },
  {
    className: "SimpleSum",
    module: "distributed_consensus.scene.scene_type_II",
    what: "PoSo on the sum of the numbers the normal nodes hold",
    problem: "simple-sum",
    params: ["step_timeout_sec", "normal_phase_timeout_sec"],
  },
  {
    className: "MultiEnergyPark",
    module: "distributed_consensus.scene.scene_type_III",
    what: "energy-market price iteration between microgrids and delegates",
    problem: "energy-market",
    iteration: "market",
    params: [
      "price_tolerance",
      "final_round",
      "round_timeout_sec",
      "first_demand",
      "demand",
      "price_ge",
      "initial",
      "round_end_cache",
    ],
  },
  {
    className: "SimpleAdd",
    module: "distributed_consensus.scene.scene_type_I",
    what: "SimpleAdd counter (normal nodes and delegates add to one number in turns, for final_round rounds)",
    problem: "simple-add",
    iteration: "simple-add",
    params: ["final_round", "round_timeout_sec"],
  },
  {
    className: "SimpleAddEvilNormal",
    module: "distributed_consensus.scene.evil",
    what: "SimpleAdd counter with a dishonest normal node (it sends some delegates another number)",
    problem: "simple-add",
    iteration: "simple-add",
    params: ["final_round", "round_timeout_sec", "behaviour", "delegates_to_forward"],
  },
];

/**
 * What each published scene parameter means, for the notice saying why it is ignored here
 * (`round_timeout_sec` is this format's own key; `step_timeout_sec` sets it, see {@link readParams}).
 */
const PUBLISHED_PARAM_NOTES: Record<string, string> = {
  final_round: "the published MultiEnergyPoo scene stores it but never reads it (its rounds go on until " +
    "one commits); here scene.params.max_rounds bounds the rounds (default: one per delegate)",
  normal_round_timeout_sec: "how long the published normal nodes wait for the delegates' decisions; here a " +
    "normal node accepts as soon as more than half of the delegates sent it the same decision",
  ptry: "the published code's folder of GAMS files (case data and every node's solutions); this runtime " +
    "solves the LP itself, from the case: file",
  round_end_cache: "a file through which the published processes on one machine shared round timing; this " +
    "runtime keeps its own clock",
  init_end_cache: "a file through which the published processes on one machine shared round timing; this " +
    "runtime keeps its own clock",
  first_demand:
    "the published market scene's spreadsheet of starting demands; here every community answers " +
    "the starting prices with its best response",
  demand: "the published market scene's spreadsheet of demands; here the case data decides them",
  price_ge: "the published market scene's spreadsheet of gas and grid prices; here they come from the case",
  initial: "the published market scene's spreadsheet of starting prices; here the published starting rule " +
    "(docs/market.md) applies",
  normal_phase_timeout_sec: "the published SimpleSum's first phase, in which the normal nodes send their " +
    "numbers to the delegates; here the numbers are in the case file, so there is no such phase",
};

/** The `scene.params` keys some published scene class takes. */
const PUBLISHED_PARAM_KEYS: readonly string[] = [...new Set(PUBLISHED_SCENES.flatMap((s) => s.params))];

/** The levels of a scenario file at which keys are known (see {@link misplacedKey}). */
type Level = "top" | "scene" | "params" | "node" | "leader_evil" | "days" | "network" | "transport" | "tcpv1";

/** Every key known at each level: this format's own and those of the original configuration. */
const KEYS_AT: Record<Level, readonly string[]> = {
  top: [...TOP_KEYS, ...Object.keys(ORIGINAL_TOP_KEYS), "transport"],
  scene: SCENE_KEYS,
  params: [...PARAM_KEYS, ...Object.keys(ORIGINAL_PARAM_KEYS), ...PUBLISHED_PARAM_KEYS],
  node: [...NODE_KEYS, ...Object.keys(ORIGINAL_NODE_KEYS)],
  leader_evil: BEHAVIOUR_KEYS,
  days: DAYS_KEYS,
  network: NETWORK_KEYS,
  transport: ["tcpv1"],
  tcpv1: ["micronet_init_sec"],
};

// ---------------------------------------------------------------------------
// Loading

/**
 * Reads and validates a scenario file. Needs `--allow-read` for the file.
 * A file that cannot be read, or is larger than {@link MAX_SCENARIO_BYTES}
 * (it reads no more than that, so `/dev/zero` is refused at once), is reported
 * as a {@link ScenarioError} with line 0.
 *
 * @example
 * ```ts
 * import { loadScenarioFile } from "./loader.ts";
 * const s = await loadScenarioFile("scenarios/scenario1.yaml");
 * console.log(s.participants.filter((p) => p.delegate).map((p) => p.name).join("")); // "CDEFG"
 * ```
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readCappedText(path, MAX_SCENARIO_BYTES, "scenario files");
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new ScenarioError([{ file: path, line: 0, column: 0, keyPath: "", detail: e.detail }]);
  }
  const { scenario, caseAt } = parseScenarioText(text, path);
  if (scenario.casePath !== undefined && caseAt) {
    const why = await unreadableFile(scenario.casePath);
    if (why !== undefined) {
      throw new ScenarioError([{
        file: path,
        ...caseAt,
        keyPath: "case",
        detail: `cannot read the case file ${scenario.casePath}: ${why}`,
      }]);
    }
  }
  return scenario;
}

/**
 * Why `path` cannot be read as a case file (no such file, not a regular file, no permission), or
 * undefined. A FIFO or device is refused without being opened (opening a FIFO waits for a writer).
 */
async function unreadableFile(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) return "is a directory, not a file";
    if (!info.isFile) return "is not a regular file";
    (await Deno.open(path, { read: true })).close();
    return undefined;
  } catch (e) {
    return readFailure(e);
  }
}

/**
 * Parses and validates scenario text. `file` is only used in messages and as
 * the default name. Throws a {@link ScenarioError} listing every problem it
 * found, each with its line, column and key; it throws nothing else, whatever
 * the text.
 *
 * @example
 * ```ts
 * import { parseScenario } from "./loader.ts";
 * const s = parseScenario(
 *   "nodes:\n" +
 *     "  1: {name: A, is_delegate: true, is_normal: true}\n" +
 *     "  2: {name: B, is_delegate: true, is_normal: true}\n" +
 *     "  3: {name: C, is_delegate: true, is_normal: true, leader_evil: {follower_ignore: [2]}}\n",
 *   "inline.yaml",
 * );
 * console.log(s.roundTimeoutMs, s.participants[2].misbehaviour); // 3000 { follower_ignore: [ 2 ] }
 * ```
 */
export function parseScenario(text: string, file: string): Scenario {
  return parseScenarioText(text, file).scenario;
}

/** {@link parseScenario}, and where the `case:` value is (for an error about the file it names). */
function parseScenarioText(
  text: string,
  file: string,
): { scenario: Scenario; caseAt?: { line: number; column: number } } {
  if (text.length > MAX_SCENARIO_BYTES) {
    throw new ScenarioError([{
      file,
      line: 0,
      column: 0,
      keyPath: "",
      detail: `longer than ${MAX_SCENARIO_BYTES} characters, the most a scenario file may hold`,
    }]);
  }
  const lc = new LineCounter();
  const ctx = new Context(file, lc);
  let doc;
  try {
    // uniqueKeys: false: npm:yaml compares every key with every earlier one (quadratic); entries()
    // finds duplicate keys with a map instead.
    doc = withoutProcessEnv(() =>
      parseDocument(text, { lineCounter: lc, prettyErrors: false, strict: true, uniqueKeys: false })
    );
  } catch (e) {
    // yaml collects problems in doc.errors; this is for anything it throws regardless.
    throw new ScenarioError([{
      file,
      line: 0,
      column: 0,
      keyPath: "",
      detail: `not valid YAML: ${e instanceof Error ? e.message : String(e)}`,
    }]);
  }
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err) => {
      const { line, col } = lc.linePos(err.pos[0]);
      return { file, line, column: col, keyPath: "", detail: `not valid YAML: ${yamlProblem(err)}` };
    });
    throw new ScenarioError(problems as [ScenarioProblem, ...ScenarioProblem[]]);
  }
  for (const w of doc.warnings) {
    const { line, col } = lc.linePos(w.pos[0]);
    ctx.notice("", `${file}:${line}:${col}: ${firstLine(w.message)}`);
  }
  let resolve: Resolve;
  try {
    resolve = aliasResolver(ctx, doc);
  } catch (e) {
    // npm:yaml's visit recurses; it fails only where its parser, which recurses deeper, did not.
    if (!(e instanceof RangeError)) throw e;
    throw new ScenarioError([{ file, line: 0, column: 0, keyPath: "", detail: "nested too deeply" }]);
  }
  const scenario = validate(ctx, doc.contents as YamlNode | null, resolve);
  if (ctx.problems.length > 0) {
    throw new ScenarioError(ctx.problems as [ScenarioProblem, ...ScenarioProblem[]], ctx.unshownProblems);
  }
  ctx.closeNotices();
  return { scenario: scenario as Scenario, ...(ctx.caseAt ? { caseAt: ctx.caseAt } : {}) };
}

/**
 * Runs `f` with `process.env` replaced by an empty object. The Node build of
 * npm:yaml reads `process.env.LOG_TOKENS` and `process.env.LOG_STREAM` (debug
 * switches) for every token, which under Deno needs `--allow-env` and would
 * turn every parse into a permission error; the browser build, which does not
 * read them, is not exported by the package. `f` is synchronous, so no other
 * code runs while the swap is in place.
 */
function withoutProcessEnv<T>(f: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(process, "env");
  if (!saved?.configurable) return f();
  Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true, enumerable: true });
  try {
    return f();
  } finally {
    Object.defineProperty(process, "env", saved);
  }
}

/** A YAML parse error in words a person can act on. */
function yamlProblem(err: { code: string; message: string }): string {
  if (err.code === "MULTIPLE_DOCS") return "a scenario file holds one YAML document; remove the second ---";
  return firstLine(err.message);
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Follows aliases (`*name`) to the node they name. The anchors are collected in
 * one pass over the document (npm:yaml's own lookup walks the document once per
 * alias). An alias used before its anchor, one whose anchor is missing, and one
 * inside the node it names are errors at the alias; they resolve to null.
 */
function aliasResolver(ctx: Context, doc: ReturnType<typeof parseDocument>): Resolve {
  const targets = new Map<Alias, unknown>();
  const anchors = new Map<string, { node: unknown; start: number; end: number }>();
  const later = new Map<string, unknown>();
  const pending: Alias[] = [];
  const name = (a: Alias) => shownKey(a.source);
  visit(doc, {
    Node(_, node) {
      const range = (node as { range?: [number, number, number] }).range ?? [0, 0, 0];
      if (isAlias(node)) {
        const a = anchors.get(node.source);
        if (!a) pending.push(node);
        else if (range[0] >= a.start && range[0] < a.end) {
          ctx.fail(node, "", `alias *${name(node)} is inside the node its anchor &${name(node)} names`);
          targets.set(node, null);
        } else targets.set(node, a.node);
      } else if (node.anchor) {
        anchors.set(node.anchor, { node, start: range[0], end: range[2] });
        if (!later.has(node.anchor)) later.set(node.anchor, node);
      }
    },
  });
  for (const alias of pending) {
    const anchor = later.get(alias.source);
    ctx.fail(
      alias,
      "",
      anchor
        ? `alias *${name(alias)} is used before its anchor &${name(alias)} (line ${ctx.pos(anchor).line}); ` +
          "an alias can only name a node defined above it"
        : `alias *${name(alias)} names no anchor; define it above with &${name(alias)}`,
    );
    targets.set(alias, null);
  }
  return (node) => isAlias(node) ? targets.get(node) ?? null : node;
}

// ---------------------------------------------------------------------------
// Validation

type Resolve = (n: unknown) => unknown;

class Context {
  readonly problems: ScenarioProblem[] = [];
  readonly notices: string[] = [];
  /** Where the `case:` value is, when the scenario names a case file. */
  caseAt?: { line: number; column: number };
  /** Notices beyond {@link MAX_NOTICES}, counted only. */
  private unshownNotices = 0;
  /** Mapping entries and list items read so far (see {@link MAX_ITEMS}). */
  private itemsRead = 0;
  constructor(readonly file: string, readonly lc: LineCounter) {}

  /** 1-based position of a node's first character; 1:1 when it has none. */
  pos(node: unknown): { line: number; column: number } {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    if (typeof offset !== "number") return { line: 1, column: 1 };
    const { line, col } = this.lc.linePos(offset);
    return { line, column: col };
  }

  /** Problems beyond {@link MAX_PROBLEMS}, counted only. */
  unshownProblems = 0;

  /** Problems found so far, listed or not. */
  get failures(): number {
    return this.problems.length + this.unshownProblems;
  }

  /** Records a problem at `node`; beyond {@link MAX_PROBLEMS} only counts it, unless `always`. */
  fail(node: unknown, keyPath: string, detail: string, always = false): void {
    if (this.problems.length < MAX_PROBLEMS || always) {
      this.problems.push({ file: this.file, ...this.pos(node), keyPath, detail });
    } else this.unshownProblems++;
  }

  notice(keyPath: string, detail: string): void {
    if (this.notices.length < MAX_NOTICES) this.notices.push(keyPath ? `${keyPath}: ${detail}` : detail);
    else this.unshownNotices++;
  }

  /** Notices about one key in several nodes, by key: the nodes and the notice (see {@link nodeNotice}). */
  private readonly perNode = new Map<string, { ids: NodeId[]; detail: string }>();

  /**
   * A notice about key `key` of node `id`. The same notice for several nodes becomes one line,
   * `nodes.*.hub (nodes 1-12): ...`, added by {@link flushNodeNotices}: a file of the published code
   * repeats its ignored keys in every node.
   */
  nodeNotice(key: string, id: NodeId, detail: string): void {
    const group = this.perNode.get(`${key}\n${detail}`);
    if (group) group.ids.push(id);
    else this.perNode.set(`${key}\n${detail}`, { ids: [id], detail });
  }

  /** Adds the notices collected by {@link nodeNotice}, one per key and reason. */
  flushNodeNotices(): void {
    for (const [k, { ids, detail }] of this.perNode) {
      const key = k.slice(0, k.indexOf("\n"));
      if (ids.length === 1) this.notice(`nodes.${ids[0]}.${key}`, detail);
      else this.notice(`nodes.*.${key} (nodes ${idRanges(ids)})`, detail);
    }
    this.perNode.clear();
  }

  /** Adds the count of the notices not kept, if any. */
  closeNotices(): void {
    if (this.unshownNotices > 0) {
      this.notices.push(`and ${this.unshownNotices} more notices like these`);
      this.unshownNotices = 0;
    }
  }

  /**
   * Counts `n` more entries or items read at `node`; false (after one error) once
   * {@link MAX_ITEMS} is passed, and then every later call is false too.
   */
  spend(n: number, node: unknown): boolean {
    if (this.itemsRead > MAX_ITEMS) return false;
    this.itemsRead += n;
    if (this.itemsRead <= MAX_ITEMS) return true;
    this.fail(
      node,
      "",
      `the file holds more than ${MAX_ITEMS} keys and list items (counting each use of an alias ` +
        "*name again); a scenario needs far fewer",
      true,
    );
    return false;
  }
}

/** A key/value entry of a mapping, with the nodes to point at. */
interface Entry {
  /** The key as text; longer than {@link MAX_SHOWN_KEY_CHARS}, shortened (it then matches no known key). */
  key: string;
  /** The key node (for positions). */
  keyNode: unknown;
  /** The value node, aliases resolved (null when empty). */
  value: unknown;
  /** Where to point for a problem with the value: the value, or the key when the value is empty. */
  at: unknown;
}

/** A key for key paths and messages: as it is, or its start and its length when it is long. */
function shownKey(key: string): string {
  return key.length <= MAX_SHOWN_KEY_CHARS
    ? key
    : `${key.slice(0, MAX_SHOWN_KEY_CHARS)}...(${key.length} characters)`;
}

/**
 * The entries of a mapping node; reports non-scalar keys and, unless
 * `duplicates` is false (the caller checks them itself), a key given twice
 * (at the second, naming the line of the first). Linear in the mapping's size.
 */
function entries(ctx: Context, map: unknown, path: string, resolve: Resolve, duplicates = true): Entry[] {
  const out: Entry[] = [];
  if (!isMap(map) || !ctx.spend(map.items.length, map)) return out;
  const seen = new Map<string, unknown>();
  for (const pair of map.items) {
    if (!isPair(pair)) continue;
    const keyNode = resolve(pair.key);
    if (!isScalar(keyNode) || (typeof keyNode.value === "object" && keyNode.value !== null)) {
      ctx.fail(pair.key ?? map, path, "keys must be plain words or numbers");
      continue;
    }
    const raw = String(keyNode.value);
    const key = shownKey(raw);
    const first = seen.get(raw);
    if (duplicates && first !== undefined) {
      ctx.fail(
        pair.key,
        join(path, key),
        `the key ${JSON.stringify(key)} appears twice in ${path || "the top level"} ` +
          `(first on line ${ctx.pos(first).line}); remove one`,
      );
      continue;
    }
    seen.set(raw, pair.key);
    const value = resolve(pair.value);
    const hasRange = (value as { range?: unknown } | null)?.range !== undefined;
    out.push({ key, keyNode, value, at: hasRange ? value : keyNode });
  }
  return out;
}

/** The items of a list node, aliases resolved (none once {@link MAX_ITEMS} is passed). */
function items(ctx: Context, seq: unknown, resolve: Resolve): unknown[] {
  return isSeq(seq) && ctx.spend(seq.items.length, seq) ? seq.items.map(resolve) : [];
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Ids as ranges, in increasing order: `1-3, 8, 10-12`. */
function idRanges(ids: readonly NodeId[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "nothing";
    if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
    return String(v);
  }
  return "an unsupported value";
}

function scalar(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/**
 * The words YAML 1.1 reads as booleans (lower case; any letter case is accepted). The published code read
 * its files with PyYAML, a YAML 1.1 parser, so its files say `is_delegate: yes`. This loader reads YAML 1.2,
 * where these are text, and takes them as booleans only where a boolean is expected ({@link readBool}):
 * elsewhere `no` stays the text "no" (the "Norway problem" of YAML 1.1).
 */
const YAML11_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...["true", "yes", "on", "y"].map((w) => [w, true] as const),
  ...["false", "no", "off", "n"].map((w) => [w, false] as const),
]);

/** The start of an error about a boolean setting. */
const BOOLEAN_EXPECTED = "expected true or false (or yes/no, on/off, y/n, in any letter case)";

/** YAML's tag for text, which `!!str yes` gives explicitly. */
const STR_TAG = "tag:yaml.org,2002:str";

/**
 * A boolean setting: YAML's `true`/`false`, or one of the YAML 1.1 words of {@link YAML11_BOOLEANS}
 * written plainly (quoted, `"yes"` is text: an error that says so); undefined after an error.
 */
function readBool(ctx: Context, e: Entry, path: string): boolean | undefined {
  const node = e.value;
  if (isScalar(node)) {
    if (typeof node.value === "boolean") return node.value;
    const word = typeof node.value === "string" ? YAML11_BOOLEANS.get(node.value.toLowerCase()) : undefined;
    if (word !== undefined) {
      if (node.type === "PLAIN" && node.tag !== STR_TAG) return word;
      ctx.fail(
        e.at,
        path,
        `${BOOLEAN_EXPECTED}, found ${
          describe(node)
        }, which is quoted or tagged as text; write it without quotes`,
      );
      return undefined;
    }
  }
  ctx.fail(e.at, path, `${BOOLEAN_EXPECTED}, found ${describe(node)}`);
  return undefined;
}

/** Where `level` is, in messages; `nodePath` (`nodes.8`) points into the node a key is in or under. */
function levelPath(level: Level, nodePath?: string): string {
  switch (level) {
    case "top":
      return "the top level";
    case "params":
      return "scene.params";
    case "node":
      return nodePath ?? "nodes.<id>";
    case "leader_evil":
      return `${nodePath ?? "nodes.<id>"}.leader_evil`;
    case "tcpv1":
      return "transport.tcpv1";
    default:
      return level;
  }
}

/**
 * When `key`, not a key of `here`, is a key of other levels: the error saying where it belongs (at the
 * wrong level it would silently have no effect); undefined otherwise.
 */
function misplacedKey(key: string, here: Level, nodePath?: string): string | undefined {
  const levels = (Object.keys(KEYS_AT) as Level[]).filter((l) => l !== here && KEYS_AT[l].includes(key));
  if (levels.length === 0) return undefined;
  const places = levels.map((l) => {
    if (l === "top") return `at the top level (${key}:)`;
    const p = levelPath(l, nodePath);
    if (nodePath === undefined && l === "node") return `in a node (${p}.${key})`;
    if (nodePath === undefined && l === "leader_evil") return `under a node's leader_evil (${p}.${key})`;
    return `${l === "node" ? "in" : "under"} ${p} (${p}.${key})`;
  });
  return `${key} belongs ${places.join(" or ")}, not here, where it would have no effect`;
}

/**
 * An unknown key at `level`: an error when it is a key of another level (saying where it belongs) or a
 * likely typo of a key of this one (a typo there would silently change the scenario); otherwise a notice
 * (the original configuration's keys say why they are ignored). With `node`, notices are counted per key
 * over all nodes ({@link Context.nodeNotice}).
 */
function unknownKey(
  ctx: Context,
  e: Entry,
  path: string,
  level: Level,
  known: readonly string[],
  original: Record<string, string>,
  what: string,
  node?: { id: NodeId; path: string },
): void {
  const keyPath = join(path, e.key);
  const notice = (detail: string) =>
    node ? ctx.nodeNotice(e.key, node.id, detail) : ctx.notice(keyPath, detail);
  if (Object.hasOwn(original, e.key)) {
    notice(`ignored (${original[e.key]})`);
    return;
  }
  const misplaced = misplacedKey(e.key, level, node?.path);
  if (misplaced !== undefined) {
    ctx.fail(e.keyNode, keyPath, misplaced);
    return;
  }
  const near = nearestKey(e.key, known);
  if (near !== undefined) {
    ctx.fail(e.keyNode, keyPath, `unknown ${what} key; did you mean ${near}?`);
    return;
  }
  notice(`ignored (not a ${what} key of this format; known: ${known.join(", ")})`);
}

function validate(ctx: Context, root: YamlNode | null, resolve: Resolve): Scenario | null {
  const rootNode = resolve(root);
  if (!isMap(rootNode)) {
    ctx.fail(
      rootNode,
      "",
      `expected a mapping with a nodes: section (see scenarios/README.md), found ${describe(rootNode)}`,
    );
    return null;
  }
  const top = entries(ctx, rootNode, "", resolve);
  const get = (k: string) => top.find((e) => e.key === k);

  // name, description
  const name = readText(ctx, get("name"), MAX_TITLE_CHARS) ?? shownKey(baseName(ctx.file));
  const description = readText(ctx, get("description"), MAX_DESCRIPTION_CHARS, true) ?? "";

  // protocol
  let protocol: Protocol = "paper";
  const protoE = get("protocol");
  if (protoE && !isEmpty(protoE.value)) {
    const v = scalar(protoE.value);
    if (v !== "paper" && v !== "strict" && v !== "published") {
      ctx.fail(
        protoE.at,
        "protocol",
        `unknown protocol ${describe(protoE.value)}; use "paper" (the default) or "strict" or "published"`,
      );
    } else protocol = v;
  }

  // seed
  let seed = DEFAULT_SEED;
  const seedE = get("seed");
  if (seedE && !isEmpty(seedE.value)) {
    const v = scalar(seedE.value);
    if (!isSeed(v)) {
      ctx.fail(
        seedE.at,
        "seed",
        `expected an integer from 0 to ${MAX_SEED} (u32), found ${describe(seedE.value)}`,
      );
    } else seed = v;
  }

  // scene: its class (a file of the published code) decides the problem; then scene.params
  const scene = readScene(ctx, get("scene"), resolve);
  const params = scene.params;

  // problem, case, solver
  const problem = readProblem(ctx, get("problem"), scene.published);
  const casePath = readCasePath(ctx, get("case"));
  const solver = readSolver(ctx, get("solver"));

  // keys, days
  const keys = readKeys(ctx, get("keys"), seed, resolve);
  const days = readDays(ctx, get("days"), resolve);
  const network = readNetwork(ctx, get("network"), resolve);

  // nodes
  const iteration = scene.published?.iteration;
  const participants = readNodes(ctx, get("nodes"), rootNode, resolve, !scene.stops, iteration === "market");
  if (scene.published?.className === "SimpleAddEvilNormal") simpleAddBehaviour(ctx, params, participants);
  for (const [id, at] of network?.peerLines ?? []) {
    if (!participants.some((p) => p.id === id)) {
      ctx.fail(
        at,
        `network.peers.${id}`,
        `no participant has id ${id} (nodes: ${participants.map((p) => p.id).join(", ")})`,
      );
    }
  }

  for (const e of top) {
    if (e.key === "transport") readTransport(ctx, e, resolve);
    else if (!(TOP_KEYS as readonly string[]).includes(e.key)) {
      unknownKey(ctx, e, "", "top", TOP_KEYS, ORIGINAL_TOP_KEYS, "top-level");
    }
  }
  // A scene class that cannot run here: its error says so, and the rest would be about PoSo.
  if (scene.stops) return null;

  const delegates = participants.filter((p) => p.delegate);
  const maxRounds = params.maxRounds ?? delegates.length;
  if (params.faultTolerance !== undefined && 2 * params.faultTolerance >= delegates.length) {
    ctx.fail(
      params.faultToleranceAt,
      "scene.params.fault_tolerance",
      `${params.faultTolerance} is not below half of the ${delegates.length} delegates; ` +
        "a majority must be honest",
    );
  }
  if (protocol !== "strict" && (params.faultTolerance !== undefined || params.phaseSet)) {
    ctx.notice("scene.params", "phase_sec and fault_tolerance only matter with protocol: strict");
  }
  guaranteeNotices(ctx, protocol, params.faultTolerance, delegates);
  if (params.maxRounds !== undefined && delegates.length > 0 && params.maxRounds > delegates.length) {
    ctx.notice(
      "scene.params.max_rounds",
      `${params.maxRounds} is more than the ${delegates.length} delegates; every round needs a leader ` +
        `that is not blacklisted, so at most ${delegates.length} rounds can run`,
    );
  }
  for (const p of participants) {
    const m = p.misbehaviour;
    if (m.crash_at_round !== undefined && m.crash_at_round > maxRounds) {
      ctx.notice(
        `nodes.${p.id}.leader_evil.crash_at_round`,
        `round ${m.crash_at_round} is after the last round (${maxRounds}); ${p.name} never crashes`,
      );
    }
    if (m.delay_ms !== undefined && m.delay_ms + 2 * params.linkDelayMs[1] >= params.roundTimeoutMs) {
      ctx.notice(
        `nodes.${p.id}.leader_evil.delay_ms`,
        `${m.delay_ms} ms plus two link delays of up to ${
          params.linkDelayMs[1]
        } ms reaches the round timeout ` +
          `(${params.roundTimeoutMs} ms): ${p.name}'s relays may arrive too late to count`,
      );
    }
  }

  return {
    name,
    description,
    file: ctx.file,
    protocol,
    phaseMs: params.phaseMs,
    ...(params.faultTolerance === undefined ? {} : { faultTolerance: params.faultTolerance }),
    keys,
    days,
    ...(network
      ? {
        network: {
          peers: network.peers,
          ...(network.blockMs === undefined ? {} : { blockMs: network.blockMs }),
        },
      }
      : {}),
    seed,
    roundTimeoutMs: params.roundTimeoutMs,
    maxRounds,
    linkDelayMs: params.linkDelayMs,
    normalVerify: params.normalVerify,
    problem,
    ...(casePath === undefined ? {} : { casePath }),
    solver,
    participants,
    ...(scene.classText === undefined ? {} : { sceneClass: scene.classText }),
    ...(iteration === undefined ? {} : {
      iteration: {
        kind: iteration,
        tolerance: params.priceTolerance ?? DEFAULT_PRICE_TOLERANCE,
        finalRound: params.finalRound ?? DEFAULT_FINAL_ROUND,
      },
    }),
    notices: ctx.notices,
  };
}

/**
 * Notices when the dishonest delegates ({@link isDishonest}) are more than the
 * protocol tolerates: half or more of the delegates (no guarantee holds), in
 * strict mode more than f (agreement is lost), under the published rules any
 * (agreement is lost).
 */
function guaranteeNotices(
  ctx: Context,
  protocol: Protocol,
  faultTolerance: number | undefined,
  delegates: Participant[],
): void {
  const dishonest = delegates.filter(isDishonest);
  if (dishonest.length === 0) return;
  const who = `${dishonest.length} of the ${delegates.length} delegates ` +
    `${dishonest.length === 1 ? "is" : "are"} dishonest (${dishonest.map((p) => p.name).join(", ")})`;
  if (2 * dishonest.length >= delegates.length) {
    ctx.notice(
      "nodes",
      `${who}: half or more, so no guarantee of the protocol holds (normal nodes accept what more than ` +
        "half of the delegates decide, and the dishonest ones can make or block that majority); " +
        "the outcome is only what these behaviours happen to produce",
    );
    return;
  }
  if (protocol === "published") {
    ctx.notice(
      "protocol",
      `${who}: under the published rules agreement is not guaranteed with any dishonest delegate (a leader ` +
        "that sends two valid proposals of equal cost splits the honest delegates by arrival order, and with " +
        "a dishonest relayer a valid but costlier one; see docs/protocol.md); certificate checks still keep " +
        "every honest follower from committing an invalid dispatch",
    );
    return;
  }
  const f = faultTolerance ?? defaultFaults(delegates.length);
  if (protocol === "strict" && dishonest.length > f) {
    ctx.notice(
      "scene.params.fault_tolerance",
      `f = ${f} tolerates ${f} dishonest delegate${f === 1 ? "" : "s"}, but ${who}: agreement is not ` +
        `guaranteed (a copy relayed through ${f + 1} dishonest delegates can reach one honest delegate in ` +
        `the last of the ${f + 1} phases, so honest delegates may decide differently); certificate checks ` +
        "still keep every honest delegate from committing an invalid dispatch",
    );
  }
}

/** A text setting (`name`, `description`): trimmed, non-empty, at most `maxChars`; undefined when unset or bad. */
function readText(ctx: Context, e: Entry | undefined, maxChars: number, blank = false): string | undefined {
  if (!e || isEmpty(e.value)) return undefined;
  const v = scalar(e.value);
  if (typeof v !== "string" || (!blank && v.trim() === "")) {
    ctx.fail(e.at, e.key, `expected text, found ${describe(e.value)}`);
  } else if (v.length > maxChars) {
    ctx.fail(e.at, e.key, `${v.length} characters; at most ${maxChars} are allowed`);
  } else return v.trim();
  return undefined;
}

function baseName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(ya?ml)$/i, "") || file;
}

function isU32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= U32_MAX;
}

interface Params {
  roundTimeoutMs: number;
  phaseMs: number;
  phaseSet?: boolean;
  faultTolerance?: number;
  faultToleranceAt?: unknown;
  maxRounds?: number;
  linkDelayMs: [number, number];
  normalVerify: boolean;
  /** `price_tolerance` (iteration scenes). */
  priceTolerance?: number;
  /** `final_round` (iteration scenes). */
  finalRound?: number;
  /** `behaviour` (SimpleAddEvilNormal). */
  behaviour?: SimpleAddBehaviour;
  /** `delegates_to_forward` (SimpleAddEvilNormal), with the list's position. */
  delegatesToForward?: { ids: NodeId[]; at: unknown[]; listAt: unknown };
}

/** `scene:` as read: its parameters, and its published scene class, if it names one. */
interface SceneSetting {
  /** `scene.params`, defaults filled in. */
  params: Params;
  /** The published scene class `scene.class` names, when it is one that runs here. */
  published?: PublishedScene;
  /** `scene.class` as written. */
  classText?: string;
  /** True when `scene.class` stops the file (a class that cannot run here, or a bad value): an error said why. */
  stops: boolean;
}

function readScene(ctx: Context, sceneE: Entry | undefined, resolve: Resolve): SceneSetting {
  const out: Params = {
    roundTimeoutMs: DEFAULT_ROUND_TIMEOUT_SEC * MS_PER_SEC,
    phaseMs: DEFAULT_PHASE_SEC * MS_PER_SEC,
    linkDelayMs: [...DEFAULT_LINK_DELAY_MS],
    normalVerify: false,
  };
  if (!sceneE || isEmpty(sceneE.value)) return { params: out, stops: false };
  if (!isMap(sceneE.value)) {
    ctx.fail(
      sceneE.at,
      "scene",
      `expected a mapping with params: (and, in a file of the published code, class:), found ${
        describe(sceneE.value)
      }`,
    );
    return { params: out, stops: false };
  }
  let paramsE: Entry | undefined;
  let classE: Entry | undefined;
  for (const e of entries(ctx, sceneE.value, "scene", resolve)) {
    if (e.key === "params") paramsE = e;
    else if (e.key === "class") classE = e;
    else unknownKey(ctx, e, "scene", "scene", SCENE_KEYS, {}, "scene");
  }
  const cls = classE ? readSceneClass(ctx, classE) : { stops: false };
  // The parameters of a class that cannot run here mean nothing here: they are not checked.
  if (cls.stops || !paramsE || isEmpty(paramsE.value)) return { params: out, ...cls };
  if (!isMap(paramsE.value)) {
    ctx.fail(paramsE.at, "scene.params", `expected a mapping, found ${describe(paramsE.value)}`);
    return { params: out, ...cls };
  }
  readParams(ctx, paramsE.value, out, cls.published, resolve);
  return { params: out, ...cls };
}

/** Longest `scene.class`, characters (the published ones have at most 58). */
const MAX_CLASS_CHARS = 200;
/** A Python class path: dotted identifiers. */
const CLASS_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The published scene classes as a sentence: those that run here, then those that cannot. */
function sceneClassesSentence(): string {
  const runs = PUBLISHED_SCENES.filter((s) => s.problem).map((s) =>
    `${s.className} (${s.what}: runs here${s.iteration ? " as that iteration" : ""})`
  );
  const not = PUBLISHED_SCENES.filter((s) => !s.problem).map((s) => s.className);
  return `the published code's scene classes are ${runs.join(", ")}` +
    (not.length ? `, and ${not.join(", ")} (cannot run here)` : "");
}

/**
 * `scene.class`: a scene class of the published code. MultiEnergyPoo and SimpleSum run as PoSo on their
 * problem kind, MultiEnergyPark as the published price iteration (a notice says so); any other class is an
 * error naming it and what it would need.
 */
function readSceneClass(ctx: Context, e: Entry): Omit<SceneSetting, "params"> {
  const v = scalar(e.value);
  if (typeof v !== "string" || v.length > MAX_CLASS_CHARS || !CLASS_PATH.test(v)) {
    ctx.fail(
      e.at,
      "scene.class",
      `expected the Python path of a scene class of the published code, such as ` +
        `distributed_consensus.scene.scene_type_poo.MultiEnergyPoo, found ${describe(e.value)}` +
        (typeof v === "string" && v.length > MAX_CLASS_CHARS ? ` (${v.length} characters)` : ""),
    );
    return { stops: true };
  }
  const className = v.slice(v.lastIndexOf(".") + 1);
  const published = PUBLISHED_SCENES.find((s) => s.className === className);
  if (!published) {
    const names = PUBLISHED_SCENES.map((s) => s.className);
    const near = nearestKey(className.toLowerCase(), names.map((n) => n.toLowerCase()));
    const guess = near === undefined ? "" : `did you mean ${names.find((n) => n.toLowerCase() === near)}? `;
    ctx.fail(
      e.at,
      "scene.class",
      `${className} is not a scene class of the published code, so nothing can run it; ${guess}` +
        `${sceneClassesSentence()}. A file without scene.class runs PoSo on its problem: (default ${DEFAULT_PROBLEM})`,
    );
    return { classText: v, stops: true };
  }
  if (published.problem === undefined) {
    const runs = PUBLISHED_SCENES.filter((s) => s.problem).map((s) => `${s.className} (${s.what})`);
    ctx.fail(
      e.at,
      "scene.class",
      `${className}, the published code's ${published.what}, cannot run here: it needs ${published.needs}. ` +
        `Nothing was run. Files whose scene class is ${runs.join(" or ")} run here`,
    );
    return { classText: v, stops: true };
  }
  if (published.iteration === "simple-add") {
    ctx.notice(
      "scene.class",
      `${className}, the published code's ${published.what}: runs here as that iteration (not PoSo): normal ` +
        "nodes send a number to every delegate, delegates forward and sum, normal nodes add one and resend " +
        "(scenarios/README.md)",
    );
    return { published, classText: v, stops: false };
  }
  if (published.iteration !== undefined) {
    ctx.notice(
      "scene.class",
      `${className}, the published code's ${published.what}: runs here as that iteration (not PoSo) on the ` +
        `problem kind ${published.problem}, over the communities the nodes are (case: data replaces the hub ` +
        "spreadsheets), with the nodes' normal_evil and delegate_evil behaviours (scenarios/README.md)",
    );
    return { published, classText: v, stops: false };
  }
  ctx.notice(
    "scene.class",
    `${className}, the published code's ${published.what}: runs here as PoSo on the problem kind ` +
      `${published.problem}` +
      (published.problem === "simple-sum"
        ? " (its numbers come from the case file, by default the bundled one; in the published scene every " +
          "normal node holds 1)"
        : "") +
      ", under the rules protocol: names (default paper, the article's; protocol: published follows the " +
      "published code's, docs/protocol.md)",
  );
  return { published, classText: v, stops: false };
}

/** The published scene classes that take parameter `key`, as a phrase. */
function classesTaking(key: string): string {
  const names = PUBLISHED_SCENES.filter((s) => s.params.includes(key)).map((s) => s.className);
  return names.length === 1 ? `the ${names[0]} scene` : `the ${names.join(", ")} scenes`;
}

/** `scene.params` into `out`; `published`: the scene class the file names, whose parameters are known. */
function readParams(
  ctx: Context,
  params: unknown,
  out: Params,
  published: PublishedScene | undefined,
  resolve: Resolve,
): void {
  /** Where the round timeout was set (`round_timeout_sec`, or SimpleSum's `step_timeout_sec`). */
  let timeoutFrom: { key: string; at: unknown } | undefined;
  for (const e of entries(ctx, params, "scene.params", resolve)) {
    const path = `scene.params.${e.key}`;
    const v = scalar(e.value);
    const stepTimeout = e.key === "step_timeout_sec" && published?.className === "SimpleSum";
    switch (stepTimeout ? "round_timeout_sec" : e.key) {
      case "round_timeout_sec":
      case "phase_sec": {
        const ms = secondsToMs(v);
        if (ms === undefined) {
          ctx.fail(
            e.at,
            path,
            `expected a number of seconds > 0 (allowed: ${SECONDS_RANGE}, whole ms), found ${
              describe(e.value)
            }`,
          );
        } else if (e.key === "phase_sec") {
          out.phaseMs = ms;
          out.phaseSet = true;
        } else if (timeoutFrom) {
          ctx.fail(
            e.keyNode,
            path,
            `sets the round timeout, which ${timeoutFrom.key} (line ${ctx.pos(timeoutFrom.at).line}) ` +
              "already sets; keep one of them",
          );
        } else {
          out.roundTimeoutMs = ms;
          timeoutFrom = { key: e.key, at: e.keyNode };
          if (stepTimeout) {
            ctx.notice(
              path,
              `a step of the published SimpleSum scene (one leader's turn) is a round here: the round ` +
                `timeout is ${ms / MS_PER_SEC} s`,
            );
          }
        }
        break;
      }
      case "fault_tolerance": {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
          ctx.fail(
            e.at,
            path,
            `expected an integer >= 0 (dishonest delegates tolerated), found ${describe(e.value)}`,
          );
        } else {
          out.faultTolerance = v;
          out.faultToleranceAt = e.at;
        }
        break;
      }
      case "max_rounds": {
        if (!isRound(v)) {
          ctx.fail(
            e.at,
            path,
            `expected an integer from 1 to ${MAX_PARTICIPANTS}, found ${describe(e.value)}`,
          );
        } else out.maxRounds = v;
        break;
      }
      case "link_delay_ms": {
        const range = readDelayRange(ctx, e, path, resolve);
        if (range) out.linkDelayMs = range;
        break;
      }
      case "normal_verify": {
        const b = readBool(ctx, e, path);
        if (b !== undefined) out.normalVerify = b;
        break;
      }
      case "behaviour":
        if (published?.className !== "SimpleAddEvilNormal") defaultParam(ctx, e, path, published);
        else if (typeof v !== "string" || !(SIMPLE_ADD_BEHAVIOURS as readonly string[]).includes(v)) {
          ctx.fail(
            e.at,
            path,
            `expected one of ${SIMPLE_ADD_BEHAVIOURS.join(", ")}, found ${describe(e.value)}`,
          );
        } else out.behaviour = v as SimpleAddBehaviour;
        break;
      case "delegates_to_forward": {
        if (published?.className !== "SimpleAddEvilNormal") {
          defaultParam(ctx, e, path, published);
          break;
        }
        if (!isSeq(e.value)) {
          ctx.fail(e.at, path, `expected a list of delegate ids, found ${describe(e.value)}`);
          break;
        }
        const ids: NodeId[] = [], at: unknown[] = [];
        items(ctx, e.value, resolve).forEach((item, i) => {
          const id = scalar(item);
          if (!isU32(id)) {
            ctx.fail(item ?? e.at, `${path}[${i}]`, `expected a delegate id, found ${describe(item)}`);
          } else if (!ids.includes(id)) {
            ids.push(id);
            at.push(item);
          }
        });
        out.delegatesToForward = { ids, at, listAt: e.at };
        break;
      }
      case "price_tolerance":
      case "final_round":
        if (published?.iteration === undefined) {
          defaultParam(ctx, e, path, published);
        } else if (e.key === "price_tolerance") {
          if (typeof v !== "number" || !(v >= MIN_PRICE_TOLERANCE && v <= MAX_PRICE_TOLERANCE)) {
            ctx.fail(
              e.at,
              path,
              `expected a number from ${MIN_PRICE_TOLERANCE} to ${MAX_PRICE_TOLERANCE} (CNY/MWh: the iteration ` +
                `stops when the norm of the price change is below it), found ${describe(e.value)}`,
            );
          } else out.priceTolerance = v;
        } else if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_FINAL_ROUND) {
          ctx.fail(
            e.at,
            path,
            `expected an integer from 1 to ${MAX_FINAL_ROUND} (rounds), found ${describe(e.value)}`,
          );
        } else out.finalRound = v;
        break;
      default:
        defaultParam(ctx, e, path, published);
    }
  }
}

/** A `scene.params` key this format does not read itself: a published class's (notice) or an error. */
function defaultParam(ctx: Context, e: Entry, path: string, published: PublishedScene | undefined): void {
  if (published?.params.includes(e.key)) {
    ctx.notice(path, `ignored (${PUBLISHED_PARAM_NOTES[e.key] ?? "no meaning here"})`);
  } else if (PUBLISHED_PARAM_KEYS.includes(e.key)) {
    ctx.fail(
      e.keyNode,
      path,
      `${e.key} is a parameter of ${classesTaking(e.key)} of the published code, ` +
        (published ? `not of ${published.className}` : "and this file names no scene.class") +
        (e.key === "step_timeout_sec" ? "; the round timeout is round_timeout_sec" : ""),
    );
  } else unknownKey(ctx, e, "scene.params", "params", PARAM_KEYS, ORIGINAL_PARAM_KEYS, "scene.params");
}

/**
 * The top-level `transport:` of the published code (`tcpv1: { micronet_init_sec: N }`): each setting is
 * accepted with a notice (this runtime routes messages itself); a key of another level is an error.
 */
function readTransport(ctx: Context, e: Entry, resolve: Resolve): void {
  const ignored = (path: string, why: string) => ctx.notice(path, `ignored (${why})`);
  if (!isMap(e.value)) {
    ignored("transport", "the published code's transport settings; this runtime routes messages itself");
    return;
  }
  for (const t of entries(ctx, e.value, "transport", resolve)) {
    const tPath = `transport.${t.key}`;
    const misplaced = t.key === "tcpv1" ? undefined : misplacedKey(t.key, "transport");
    if (misplaced !== undefined) ctx.fail(t.keyNode, tPath, misplaced);
    else if (t.key !== "tcpv1") {
      ignored(tPath, "a transport the published code does not have; it has tcpv1 only");
    } else if (!isMap(t.value)) ignored(tPath, "the published code's TCP transport settings");
    else {
      for (const x of entries(ctx, t.value, tPath, resolve)) {
        const xPath = `${tPath}.${x.key}`;
        const wrong = x.key === "micronet_init_sec" ? undefined : misplacedKey(x.key, "tcpv1");
        if (wrong !== undefined) ctx.fail(x.keyNode, xPath, wrong);
        else {ignored(
            xPath,
            x.key === "micronet_init_sec" ? MICRONET_INIT : "not a setting the published code reads",
          );}
      }
    }
  }
}

function readDelayRange(
  ctx: Context,
  e: Entry,
  path: string,
  resolve: Resolve,
): [number, number] | undefined {
  const nums = items(ctx, e.value, resolve).map(scalar);
  if (!isSeq(e.value) || nums.length !== 2 || !nums.every(isDelayMs)) {
    ctx.fail(
      e.at,
      path,
      `expected [min, max], two numbers of ms (allowed: ${MILLISECONDS_RANGE}), found ${describe(e.value)}`,
    );
    return undefined;
  }
  if (nums[0] > nums[1]) {
    ctx.fail(e.at, path, `min ${nums[0]} ms is greater than max ${nums[1]} ms`);
    return undefined;
  }
  return [nums[0], nums[1]];
}

/** The start of an error about a duration in whole ms (`delay_ms`, `delay_to`), with the allowed range. */
const WHOLE_MS_EXPECTED = `expected whole milliseconds from ${MILLISECONDS_RANGE} (an integer >= 0)`;

/** A simulated link delay: a number of ms (fractions allowed) within {@link MILLISECONDS_RANGE}. */
function isDelayMs(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= MAX_DURATION_MS;
}

/** A round number: an integer from 1 to {@link MAX_PARTICIPANTS} (a round per delegate at most). */
function isRound(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_PARTICIPANTS;
}

/** A node entry read in the first pass, before the ids in behaviour lists can be checked. */
interface RawNode {
  id: NodeId;
  entry: Entry;
  name?: string;
  /** The node has no `name:` and is named after its id ({@link derivedNodeName}). */
  derived: boolean;
  nameAt: unknown;
  delegate: boolean;
  normal: boolean;
  /** Its `is_delegate` is not a boolean (an error said so): whether it is a delegate is unknown. */
  roleUnknown: boolean;
  ip?: string;
  port?: number;
  portAt?: unknown;
  behaviours?: Entry;
  normalEvil?: Entry;
  delegateEvil?: Entry;
}

/**
 * The name of a node that has no `name:`: {@link DERIVED_NAME_PREFIX} and its id (`N12` for node 12),
 * 2 to 11 characters, within the rule of node names (actors/files.ts). Distinct ids give distinct
 * names; one that an explicit `name:` of another node already has (ignoring letter case) is an error.
 *
 * @example
 * ```ts
 * import { derivedNodeName } from "./loader.ts";
 * console.log(derivedNodeName(12), derivedNodeName(4294967295)); // N12 N4294967295
 * ```
 */
export function derivedNodeName(id: NodeId): string {
  return `${DERIVED_NAME_PREFIX}${id}`;
}

/** The first letter of a derived node name ({@link derivedNodeName}). */
export const DERIVED_NAME_PREFIX = "N";

/** Largest `port:` (TCP ports are 16-bit; 0 is not a port one can connect to). */
const MAX_PORT = 65_535;
/** Longest `ip:`, characters (an IPv6 address with an IPv4 tail and a zone fits). */
const MAX_IP_CHARS = 64;
/** Why `ip` and `port` are kept though nothing uses them yet. */
const KEPT_ADDRESS = "kept as the node's network address, for a runtime over the network (the simulator " +
  "and the Worker runtime route messages themselves)";

function readNodes(
  ctx: Context,
  nodesE: Entry | undefined,
  root: unknown,
  resolve: Resolve,
  checkRoles: boolean,
  iteration = false,
): Participant[] {
  if (!nodesE) {
    ctx.fail(
      root,
      "nodes",
      "missing: a scenario lists its participants under nodes: (see scenarios/README.md)",
    );
    return [];
  }
  if (!isMap(nodesE.value)) {
    ctx.fail(nodesE.at, "nodes", `expected a mapping from node id to node, found ${describe(nodesE.value)}`);
    return [];
  }
  if (nodesE.value.items.length > MAX_PARTICIPANTS) {
    ctx.fail(
      nodesE.keyNode,
      "nodes",
      `${nodesE.value.items.length} nodes; at most ${MAX_PARTICIPANTS} are allowed (each runs in a Worker)`,
    );
    return [];
  }
  const problemsBefore = ctx.failures;
  const raw: RawNode[] = [];
  const seenIds = new Map<NodeId, unknown>();
  for (const e of entries(ctx, nodesE.value, "nodes", resolve, false)) {
    const path = `nodes.${e.key}`;
    const keyValue = scalar(e.keyNode);
    const id = typeof keyValue === "number"
      ? keyValue
      : typeof keyValue === "string" && /^\d+$/.test(keyValue)
      ? Number(keyValue)
      : NaN;
    if (!isU32(id)) {
      ctx.fail(
        e.keyNode,
        `nodes.${describeKey(e.keyNode)}`,
        `node ids are integers from 0 to ${U32_MAX}, found ${describeKey(e.keyNode)}`,
      );
      continue;
    }
    if (seenIds.has(id)) {
      ctx.fail(
        e.keyNode,
        path,
        `node id ${id} is defined twice (first on line ${ctx.pos(seenIds.get(id)).line})`,
      );
      continue;
    }
    seenIds.set(id, e.keyNode);
    const node = readNode(ctx, e, id, path, resolve, iteration);
    if (node) raw.push(node);
  }
  uniqueNames(ctx, raw);
  uniqueAddresses(ctx, raw);
  ctx.flushNodeNotices();
  const derived = raw.filter((n) => n.derived).map((n) => n.id).sort((a, b) => a - b);
  if (derived.length === 1) {
    ctx.notice(
      `nodes.${derived[0]}.name`,
      `not given, so the node is named after its id: ${derivedNodeName(derived[0])}`,
    );
  } else if (derived.length > 1) {
    const first = derivedNodeName(derived[0]), last = derivedNodeName(derived[derived.length - 1]);
    ctx.notice(
      `nodes.*.name (nodes ${idRanges(derived)})`,
      `not given, so each node is named ${DERIVED_NAME_PREFIX} and its id: ${first}${
        derived.length === 2 ? ", " : " ... "
      }${last}`,
    );
  }

  const delegates = raw.filter((n) => n.delegate).sort((a, b) => a.id - b.id);
  // With a node already in error the counts below would mostly repeat that error.
  const nodesInError = ctx.failures > problemsBefore;
  if (checkRoles && !nodesInError && delegates.length === 0) {
    ctx.fail(
      nodesE.keyNode,
      "nodes",
      "no delegate (is_delegate: true); a delegate leads a round and checks the others' proposals, so at " +
        `least one is needed (and ${MIN_DELEGATES} for the protocol's guarantees)`,
    );
  } else if (checkRoles && !nodesInError && delegates.length < MIN_DELEGATES) {
    ctx.notice(
      "nodes",
      `only ${delegates.length} delegate${delegates.length === 1 ? "" : "s"} ` +
        `(${
          delegates.map((n) => n.name).join(", ")
        }): with fewer than ${MIN_DELEGATES}, a single dishonest ` +
        "delegate is already half of them, so no guarantee of the protocol holds against one (normal nodes " +
        "accept what more than half of the delegates decided); with honest delegates the run decides as usual",
    );
  }
  if (checkRoles && !nodesInError && !raw.some((n) => n.normal)) {
    ctx.fail(
      nodesE.keyNode,
      "nodes",
      "no normal node (is_normal: true); the normal-node phase needs at least one to accept a block",
    );
  }
  const delegateIds = new Set(delegates.map((n) => n.id));
  const delegateList = delegates.map((n) => `${n.id}${n.name ? ` ${n.name}` : ""}`).join(", ");
  const everyone = { ids: new Set(raw.map((n) => n.id)), list: raw.map((n) => n.id).join(", ") };
  const roleUnknown = new Set(raw.filter((n) => n.roleUnknown).map((n) => n.id));

  const participants = raw.map((n): Participant => ({
    id: n.id,
    name: n.name ?? derivedNodeName(n.id),
    delegate: n.delegate,
    normal: n.normal,
    misbehaviour: n.behaviours
      ? readBehaviours(
        ctx,
        n,
        `nodes.${n.entry.key}.leader_evil`,
        delegateIds,
        delegateList,
        resolve,
        everyone,
        roleUnknown,
      )
      : {},
    ...(n.ip === undefined ? {} : { ip: n.ip }),
    ...(n.port === undefined ? {} : { port: n.port }),
  }));
  const normalIds = new Set(raw.filter((n) => n.normal).map((n) => n.id));
  for (const n of raw) {
    const p = participants.find((x) => x.id === n.id)!;
    if (n.normalEvil) {
      const path = `nodes.${n.entry.key}.normal_evil`;
      if (!n.normal) {
        ctx.fail(n.normalEvil.keyNode, path, "only a normal node (is_normal: true) sends demands");
      }
      const ev = readIterationEvil(
        ctx,
        n.normalEvil,
        path,
        NORMAL_EVIL_KEYS,
        delegateIds,
        normalIds,
        resolve,
      );
      if (ev && !isEmptyEvil(ev)) {
        p.normalEvil = {
          demandIgnore: ev.lists.demand_ignore ?? [],
          demandTarget: ev.lists.demand_target ?? [],
          demandRate: ev.rates.demand_rate ?? 1,
        };
      }
    }
    if (n.delegateEvil) {
      const path = `nodes.${n.entry.key}.delegate_evil`;
      if (!n.delegate) {
        ctx.fail(n.delegateEvil.keyNode, path, "only a delegate (is_delegate: true) sends prices");
      }
      const ev = readIterationEvil(
        ctx,
        n.delegateEvil,
        path,
        DELEGATE_EVIL_KEYS,
        delegateIds,
        normalIds,
        resolve,
      );
      if (ev && !isEmptyEvil(ev)) {
        p.delegateEvil = {
          priceIgnore: ev.lists.price_ignore ?? [],
          priceTarget: ev.lists.price_target ?? [],
          priceRate: ev.rates.price_rate ?? 1,
          priceComponents: ev.components ?? [0, 1, 2],
          broadcastIgnore: ev.lists.broadcast_ignore ?? [],
          broadcastCollusion: ev.lists.broadcast_collusion ?? [],
          broadcastTarget: ev.lists.broadcast_target ?? [],
          broadcastRate: ev.rates.broadcast_rate ?? 1,
        };
      }
    }
  }
  return participants.sort((a, b) => a.id - b.id);
}

/**
 * SimpleAddEvilNormal's `behaviour` and `delegates_to_forward`, as every normal node's demand tampering
 * (in the published scene every node runs the class, and its normal nodes misbehave):
 * `SendToNoDelegate` sends no delegate anything, `SendToSomeDelegate` only the listed delegates,
 * `SendToDelegateDifferently` its number to the listed delegates and 0 to the others.
 */
function simpleAddBehaviour(ctx: Context, params: Params, participants: Participant[]): void {
  const delegates = participants.filter((p) => p.delegate).map((p) => p.id);
  if (params.behaviour === undefined) {
    ctx.fail(
      undefined,
      "scene.params.behaviour",
      `missing: SimpleAddEvilNormal needs one of ${SIMPLE_ADD_BEHAVIOURS.join(", ")}`,
    );
    return;
  }
  const forward = params.delegatesToForward;
  if (params.behaviour !== "SendToNoDelegate" && forward === undefined) {
    ctx.fail(
      undefined,
      "scene.params.delegates_to_forward",
      `missing: ${params.behaviour} needs the delegates to send to`,
    );
    return;
  }
  forward?.ids.forEach((id, i) => {
    if (!delegates.includes(id)) {
      ctx.fail(
        forward.at[i],
        `scene.params.delegates_to_forward[${i}]`,
        `${id} is not a delegate (${delegates.join(", ") || "none"})`,
      );
    }
  });
  const others = delegates.filter((d) => !forward?.ids.includes(d));
  const evil: NormalEvil = params.behaviour === "SendToNoDelegate"
    ? { demandIgnore: delegates, demandTarget: [], demandRate: 1 }
    : params.behaviour === "SendToSomeDelegate"
    ? { demandIgnore: others, demandTarget: [], demandRate: 1 }
    : { demandIgnore: [], demandTarget: others, demandRate: 0 };
  for (const p of participants) {
    if (p.normal && (evil.demandIgnore.length || evil.demandTarget.length)) p.normalEvil = evil;
  }
}

/** What a key of `normal_evil:` / `delegate_evil:` holds, and whose ids a list names. */
type EvilKey = { kind: "list"; of: "delegate" | "normal" } | { kind: "rate" } | { kind: "components" };

/** The keys of `normal_evil:` (the published code's NormalEvil). */
const NORMAL_EVIL_KEYS: Record<string, EvilKey> = {
  demand_ignore: { kind: "list", of: "delegate" },
  demand_target: { kind: "list", of: "delegate" },
  demand_rate: { kind: "rate" },
};

/** The keys of `delegate_evil:` (the published code's DelegateEvil, and `price_components`). */
const DELEGATE_EVIL_KEYS: Record<string, EvilKey> = {
  price_ignore: { kind: "list", of: "normal" },
  price_target: { kind: "list", of: "normal" },
  price_rate: { kind: "rate" },
  price_components: { kind: "components" },
  broadcast_ignore: { kind: "list", of: "delegate" },
  broadcast_collusion: { kind: "list", of: "normal" },
  broadcast_target: { kind: "list", of: "delegate" },
  broadcast_rate: { kind: "rate" },
};

/** The published `behaviour` values of SimpleAddEvilNormal (its normal nodes' misbehaviour). */
export const SIMPLE_ADD_BEHAVIOURS = [
  "SendToNoDelegate",
  "SendToSomeDelegate",
  "SendToDelegateDifferently",
] as const;
/** One of {@link SIMPLE_ADD_BEHAVIOURS}. */
export type SimpleAddBehaviour = (typeof SIMPLE_ADD_BEHAVIOURS)[number];

/** Default `scene.params.price_tolerance`, CNY/MWh (the published code's `eps`). */
export const DEFAULT_PRICE_TOLERANCE = 1e-3;
/** Default `scene.params.final_round` of an iteration scene (the published market files' value). */
export const DEFAULT_FINAL_ROUND = 2000;
/** Largest `*_rate` of `normal_evil:` / `delegate_evil:` (a scale of demands or prices). */
export const MAX_EVIL_RATE = 1000;
/** Smallest `scene.params.price_tolerance`, CNY/MWh (below it rounding noise decides when to stop). */
export const MIN_PRICE_TOLERANCE = 1e-9;
/** Largest `scene.params.price_tolerance`, CNY/MWh. */
export const MAX_PRICE_TOLERANCE = 1000;
/** Largest `scene.params.final_round` of an iteration scene. */
export const MAX_FINAL_ROUND = 100_000;
/** The prices a community receives, in order: `price_components` names them (indices 0, 1, 2). */
export const ITERATION_PRICE_COMPONENTS: readonly string[] = ["gas", "electricity", "heat"];

/** A `normal_evil:` / `delegate_evil:` block as read. */
interface IterationEvilRead {
  lists: Record<string, NodeId[]>;
  rates: Record<string, number>;
  components?: number[];
}

/** Whether a block configures nothing that has an effect (every list empty). */
function isEmptyEvil(ev: IterationEvilRead): boolean {
  return Object.values(ev.lists).every((l) => l.length === 0);
}

/** Reads a `normal_evil:` / `delegate_evil:` block; undefined when it is not a mapping (an error said so). */
function readIterationEvil(
  ctx: Context,
  e: Entry,
  path: string,
  keys: Record<string, EvilKey>,
  delegateIds: Set<NodeId>,
  normalIds: Set<NodeId>,
  resolve: Resolve,
): IterationEvilRead | undefined {
  const out: IterationEvilRead = { lists: {}, rates: {} };
  if (isEmpty(e.value)) return out;
  if (!isMap(e.value)) {
    ctx.fail(e.at, path, `expected a mapping of ${Object.keys(keys).join(", ")}, found ${describe(e.value)}`);
    return undefined;
  }
  for (const f of entries(ctx, e.value, path, resolve)) {
    const fPath = `${path}.${f.key}`;
    const spec = keys[f.key];
    if (!spec) {
      const near = nearestKey(f.key, Object.keys(keys));
      ctx.fail(
        f.keyNode,
        fPath,
        `unknown key${near ? `; did you mean ${near}?` : ""} (known: ${Object.keys(keys).join(", ")})`,
      );
      continue;
    }
    if (spec.kind === "rate") {
      const v = scalar(f.value);
      if (typeof v !== "number" || !(v >= 0 && v <= MAX_EVIL_RATE)) {
        ctx.fail(
          f.at,
          fPath,
          `expected a number from 0 to ${MAX_EVIL_RATE} (a scale), found ${describe(f.value)}`,
        );
      } else out.rates[f.key] = v;
      continue;
    }
    if (isEmpty(f.value)) {
      if (spec.kind === "list") out.lists[f.key] = [];
      continue;
    }
    if (!isSeq(f.value)) {
      ctx.fail(f.at, fPath, `expected a list, found ${describe(f.value)}`);
      continue;
    }
    const list: number[] = [];
    items(ctx, f.value, resolve).forEach((item, i) => {
      const v = scalar(item);
      const iPath = `${fPath}[${i}]`;
      if (spec.kind === "components") {
        const k = typeof v === "string" ? ITERATION_PRICE_COMPONENTS.indexOf(v) : -1;
        if (k < 0) {
          ctx.fail(
            item ?? f.at,
            iPath,
            `expected one of ${ITERATION_PRICE_COMPONENTS.join(", ")}, found ${describe(item)}`,
          );
        } else if (!list.includes(k)) list.push(k);
        return;
      }
      const allowed = spec.of === "delegate" ? delegateIds : normalIds;
      const what = spec.of === "delegate" ? "a delegate" : "a normal node";
      if (!isU32(v)) {
        ctx.fail(item ?? f.at, iPath, `expected ${what}'s id (an integer), found ${describe(item)}`);
      } else if (!allowed.has(v)) {
        ctx.fail(
          item,
          iPath,
          `${v} is not ${what} (${[...allowed].sort((a, b) => a - b).join(", ") || "none"})`,
        );
      } else if (!list.includes(v)) list.push(v);
    });
    if (spec.kind === "components") out.components = list;
    else out.lists[f.key] = list;
  }
  return out;
}

/** A mapping key for messages: as written when it is a number (`1e400`, `99999999999999999999`). */
function describeKey(node: unknown): string {
  const source = (node as { source?: unknown } | null)?.source;
  if (isScalar(node) && typeof node.value === "number" && typeof source === "string") {
    return source.length > 40 ? `${source.slice(0, 40)}...(${source.length} characters)` : source;
  }
  return describe(node);
}

/** One node's mapping (name, roles, address, behaviours); undefined when it is not a mapping. */
function readNode(
  ctx: Context,
  e: Entry,
  id: NodeId,
  path: string,
  resolve: Resolve,
  iteration: boolean,
): RawNode | undefined {
  if (!isMap(e.value)) {
    ctx.fail(
      e.at,
      path,
      `expected a mapping with is_delegate, is_normal (and name), found ${describe(e.value)}`,
    );
    return undefined;
  }
  const node: RawNode = {
    id,
    entry: e,
    derived: true,
    nameAt: e.keyNode,
    delegate: false,
    normal: false,
    roleUnknown: false,
  };
  for (const f of entries(ctx, e.value, path, resolve)) {
    const fPath = `${path}.${f.key}`;
    const v = scalar(f.value);
    switch (f.key) {
      case "name":
        node.derived = false;
        node.nameAt = f.at;
        node.name = readNodeName(ctx, f, fPath);
        break;
      case "is_delegate":
      case "is_normal": {
        const b = readBool(ctx, f, fPath);
        if (b === undefined) node.roleUnknown ||= f.key === "is_delegate";
        else if (f.key === "is_delegate") node.delegate = b;
        else node.normal = b;
        break;
      }
      case "ip":
        if (typeof v === "string" && v.length <= MAX_IP_CHARS && isIP(v) !== 0) {
          node.ip = v;
          ctx.nodeNotice(f.key, id, KEPT_ADDRESS);
        } else {
          ctx.fail(
            f.at,
            fPath,
            `expected an IP address such as 127.0.0.1 or ::1, found ${
              describe(f.value)
            } (the published code ` +
              "reads it with Python's ip_address, which takes no host name)",
          );
        }
        break;
      case "port":
        if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_PORT) {
          node.port = v;
          node.portAt = f.at;
          ctx.nodeNotice(f.key, id, KEPT_ADDRESS);
        } else {ctx.fail(
            f.at,
            fPath,
            `expected a TCP port, an integer from 1 to ${MAX_PORT}, found ${describe(f.value)}`,
          );}
        break;
      case "leader_evil":
        node.behaviours = f;
        break;
      case "normal_evil":
      case "delegate_evil":
        if (iteration) {
          if (f.key === "normal_evil") node.normalEvil = f;
          else node.delegateEvil = f;
          break;
        }
        unknownKey(ctx, f, path, "node", NODE_KEYS, ORIGINAL_NODE_KEYS, "node", { id, path });
        break;
      default:
        unknownKey(ctx, f, path, "node", NODE_KEYS, ORIGINAL_NODE_KEYS, "node", { id, path });
    }
  }
  return node;
}

/**
 * A node's `name:`: the one rule of actors/files.ts (1 to 32 letters, digits, `_`
 * or `-`), because key and ledger files are named after it; undefined when bad.
 */
function readNodeName(ctx: Context, f: Entry, path: string): string | undefined {
  const v = scalar(f.value);
  if (typeof v !== "string") {
    ctx.fail(
      f.at,
      path,
      `expected a short name such as C, found ${describe(f.value)}` +
        (typeof v === "number" || typeof v === "boolean" ? ` (quote it: name: "${v}")` : ""),
    );
    return undefined;
  }
  if (v.trim() === "") {
    ctx.fail(f.at, path, "the name is empty");
    return undefined;
  }
  const problem = nodeNameProblem(v);
  if (problem === undefined) return v;
  ctx.fail(
    f.at,
    path,
    `${problem}; a name is 1 to ${MAX_NODE_NAME_CHARS} letters, digits, _ or - (it names the node's key ` +
      "and ledger files, and the trace cells)",
  );
  return undefined;
}

/**
 * Names must be unique, also ignoring letter case: key and ledger files are
 * named after them, and some file systems (macOS, Windows) ignore case. Explicit
 * names come first; a node without one is then named after its id
 * ({@link derivedNodeName}), and a derived name an explicit one already has is an
 * error at the nameless node.
 */
function uniqueNames(ctx: Context, raw: RawNode[]): void {
  const byName = new Map<string, RawNode>();
  for (const n of raw) {
    if (n.derived || n.name === undefined) continue;
    const other = byName.get(n.name.toLowerCase());
    if (!other) {
      byName.set(n.name.toLowerCase(), n);
      continue;
    }
    const where = `node ${other.id} (line ${ctx.pos(other.nameAt).line})`;
    ctx.fail(
      n.nameAt,
      `nodes.${n.id}.name`,
      other.name === n.name
        ? `"${n.name}" is already the name of ${where}; names must be unique`
        : `"${n.name}" differs from "${other.name}", the name of ${where}, only in letter case; key and ` +
          "ledger files are named after participants, and some file systems ignore case",
    );
  }
  for (const n of raw) {
    if (!n.derived) continue;
    n.name = derivedNodeName(n.id);
    const other = byName.get(n.name.toLowerCase());
    if (!other) {
      byName.set(n.name.toLowerCase(), n);
      continue;
    }
    ctx.fail(
      n.entry.keyNode,
      `nodes.${n.id}`,
      `node ${n.id} has no name:, so it would be named ${n.name} after its id, but ${
        other.name === n.name ? "that" : `"${other.name}" (the same but for letter case)`
      } is already the name of node ${other.id} (line ${ctx.pos(other.nameAt).line}); give node ${n.id} a ` +
        `name: (or node ${other.id} another one)`,
    );
  }
}

/** Two nodes with the same `ip:` and `port:` is an error at the second (they could not both listen there). */
function uniqueAddresses(ctx: Context, raw: RawNode[]): void {
  const byAddress = new Map<string, RawNode>();
  for (const n of raw) {
    if (n.ip === undefined || n.port === undefined) continue;
    const address = n.ip.includes(":") ? `[${n.ip.toLowerCase()}]:${n.port}` : `${n.ip}:${n.port}`;
    const other = byAddress.get(address);
    if (!other) {
      byAddress.set(address, n);
      continue;
    }
    ctx.fail(
      n.portAt,
      `nodes.${n.id}.port`,
      `${address} is already the address of node ${other.id} (line ${
        ctx.pos(other.portAt).line
      }); two nodes ` +
        "cannot listen on one address",
    );
  }
}

function readBehaviours(
  ctx: Context,
  node: RawNode,
  path: string,
  delegateIds: ReadonlySet<NodeId>,
  delegateList: string,
  resolve: Resolve,
  everyone: { ids: ReadonlySet<NodeId>; list: string },
  roleUnknown: ReadonlySet<NodeId>,
): Misbehaviour {
  const be = node.behaviours!;
  const m: Misbehaviour = {};
  if (isEmpty(be.value)) return m;
  if (!isMap(be.value)) {
    ctx.fail(
      be.at,
      path,
      `expected a mapping of behaviours (${BEHAVIOUR_KEYS.join(", ")}), found ${describe(be.value)}`,
    );
    return m;
  }
  const listed = new Map<IdListBehaviour, { ids: NodeId[]; at: unknown[] }>();
  for (const e of entries(ctx, be.value, path, resolve)) {
    const kPath = `${path}.${e.key}`;
    if ((ID_LIST_BEHAVIOURS as readonly string[]).includes(e.key)) {
      const key = e.key as IdListBehaviour;
      const anyone = ANY_ID_BEHAVIOURS.includes(key);
      const [allowed, allowedList, what] = anyone
        ? [everyone.ids, everyone.list, "a participant"]
        : [delegateIds, delegateList, "a delegate"];
      if (isEmpty(e.value)) {
        listed.set(key, { ids: [], at: [] });
        continue;
      }
      if (!isSeq(e.value)) {
        const hint = typeof scalar(e.value) === "number" ? ` (write [${scalar(e.value)}])` : "";
        ctx.fail(
          e.at,
          kPath,
          `expected a list of ${anyone ? "participant" : "delegate"} ids, found ${describe(e.value)}${hint}`,
        );
        continue;
      }
      const ids: NodeId[] = [];
      const at: unknown[] = [];
      const once = new Set<NodeId>();
      items(ctx, e.value, resolve).forEach((item, i) => {
        const v = scalar(item);
        const iPath = `${kPath}[${i}]`;
        if (!isU32(v)) {
          const quoted = typeof v === "string" && /^\d+$/.test(v) ? " (write it without quotes)" : "";
          ctx.fail(
            item ?? e.at,
            iPath,
            `expected ${anyone ? "a participant" : "a delegate"} id (an integer), found ${
              describe(item)
            }${quoted}`,
          );
        } else if (!allowed.has(v) && roleUnknown.has(v)) {
          // Its is_delegate is in error (reported there): whether it may be listed is unknown.
        } else if (!allowed.has(v)) {
          ctx.fail(
            item,
            iPath,
            `${v} is not ${what} (${anyone ? "participants" : "delegates"}: ${allowedList || "none"})`,
          );
        } else if (once.has(v)) {
          ctx.notice(iPath, `${v} is listed twice; once is enough`);
        } else {
          once.add(v);
          ids.push(v);
          at.push(item);
        }
      });
      listed.set(key, { ids, at });
    } else if (e.key === "crash_at_round") {
      const v = scalar(e.value);
      if (!isRound(v)) {
        ctx.fail(
          e.at,
          kPath,
          `expected a round number from 1 to ${MAX_PARTICIPANTS} (an integer >= 1), found ${
            describe(e.value)
          }`,
        );
      } else m.crash_at_round = v;
    } else if (e.key === "delay_ms") {
      const v = scalar(e.value);
      if (!isWholeMs(v)) ctx.fail(e.at, kPath, `${WHOLE_MS_EXPECTED}, found ${describe(e.value)}`);
      else m.delay_ms = v;
    } else if (e.key === "crash_in_ledger_write") {
      const v = scalar(e.value);
      if (!isU32(v) || v < 1) {
        ctx.fail(
          e.at,
          kPath,
          `expected a day (block height, an integer >= 1) up to ${U32_MAX}, found ${describe(e.value)}`,
        );
      } else m.crash_in_ledger_write = v;
    } else if (e.key === "replay_old" || e.key === "junk") {
      if (readBool(ctx, e, kPath)) m[e.key] = true;
    } else if (e.key === "delay_to") {
      const delays: Record<NodeId, number> = {};
      if (!isMap(e.value)) {
        ctx.fail(
          e.at,
          kPath,
          `expected a mapping of delegate id to ms, e.g. { 12: 900 }, found ${describe(e.value)}`,
        );
      } else {
        for (const d of entries(ctx, e.value, kPath, resolve)) {
          const id = Number(d.key), ms = scalar(d.value);
          if (!isU32(id) || !delegateIds.has(id)) {
            ctx.fail(
              d.keyNode,
              `${kPath}.${d.key}`,
              `${d.key} is not a delegate (delegates: ${delegateList || "none"})`,
            );
          } else if (!isWholeMs(ms)) {
            ctx.fail(d.at, `${kPath}.${d.key}`, `${WHOLE_MS_EXPECTED}, found ${describe(d.value)}`);
          } else delays[id] = ms;
        }
        if (Object.keys(delays).length) m.delay_to = delays;
      }
    } else {
      const near = nearestKey(e.key, BEHAVIOUR_KEYS);
      const misplaced = misplacedKey(e.key, "leader_evil", `nodes.${node.entry.key}`);
      ctx.fail(
        e.keyNode,
        kPath,
        misplaced !== undefined
          ? misplaced
          : near !== undefined
          ? `unknown behaviour; did you mean ${near}?`
          : `unknown behaviour; the behaviours are ${BEHAVIOUR_KEYS.join(", ")}`,
      );
    }
  }

  // A leader sends one thing to each follower, and a follower relays one thing to each delegate.
  for (const group of [LEADER_SEND_KEYS, RELAY_KEYS]) {
    const owner = new Map<NodeId, IdListBehaviour>();
    for (const key of group) {
      const l = listed.get(key);
      if (!l) continue;
      l.ids.forEach((id, i) => {
        const first = owner.get(id);
        if (first) {
          ctx.fail(
            l.at[i],
            `${path}.${key}`,
            `${id} is also in ${first}; ${
              group === RELAY_KEYS ? "a relay to a delegate" : "what the leader sends a follower"
            } ` +
              "can follow one behaviour only",
          );
        } else owner.set(id, key);
      });
    }
  }

  for (const key of ID_LIST_BEHAVIOURS) {
    const l = listed.get(key);
    if (l) m[key] = l.ids;
  }
  if (
    !node.delegate && !node.roleUnknown &&
    Object.keys(m).some((k) => k !== "crash_at_round" && k !== "crash_in_ledger_write")
  ) {
    ctx.notice(path, `has no effect: node ${node.id} is not a delegate, so it never leads or relays`);
  }
  // Re-order: lists first in canonical order, then the scalars (as in BEHAVIOUR_KEYS).
  const ordered: Misbehaviour = {};
  for (const key of BEHAVIOUR_KEYS) {
    if (m[key] !== undefined) (ordered as Record<string, unknown>)[key] = m[key];
  }
  return ordered;
}

function readKeys(ctx: Context, e: Entry | undefined, seed: number, resolve: Resolve): ScenarioKeys {
  if (!e || isEmpty(e.value)) return { kind: "default" };
  const v = scalar(e.value);
  if (v === "seed") return { kind: "seed", seed };
  let dir: unknown = typeof v === "string" ? v.trim() : undefined;
  if (isMap(e.value)) {
    const items = entries(ctx, e.value, "keys", resolve).map((i) => [i.key, scalar(i.value)]);
    if (items.length === 1 && items[0][0] === "seed" && isSeed(items[0][1])) {
      return { kind: "seed", seed: items[0][1] };
    }
    if (items.length === 1 && items[0][0] === "dir") dir = items[0][1];
  }
  if (typeof dir === "string" && dir !== "") {
    const problem = pathProblem(dir);
    if (problem === undefined) return { kind: "dir", dir };
    ctx.fail(e.at, "keys", problem);
    return { kind: "default" };
  }
  ctx.fail(
    e.at,
    "keys",
    `expected "seed" (keys derived from the scenario's seed), { seed: N } (N from 0 to ${MAX_SEED}), ` +
      `or a key directory (a path or { dir: path }), found ${describe(e.value)}`,
  );
  return { kind: "default" };
}

/** Why `path` cannot be a path, or undefined: too long, or a control character in it. */
function pathProblem(path: string, what = "the key directory path"): string | undefined {
  if (path.length > MAX_PATH_CHARS) {
    return `${what} has ${path.length} characters; at most ${MAX_PATH_CHARS} are allowed`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return `${what} holds a control character`;
  return undefined;
}

/**
 * `problem:`: a registered problem kind's name; default: the kind of the published scene class the file
 * names, else {@link DEFAULT_PROBLEM}. A kind other than the scene class's is an error.
 */
function readProblem(ctx: Context, e: Entry | undefined, published?: PublishedScene): string {
  const implied = published?.problem ?? DEFAULT_PROBLEM;
  if (!e || isEmpty(e.value)) return implied;
  const v = scalar(e.value);
  const known = problemKinds();
  if (typeof v === "string" && known.includes(v)) {
    if (published === undefined || v === implied) return v;
    ctx.fail(
      e.at,
      "problem",
      `${v} contradicts scene.class, whose ${published.className} scene runs ${implied}; remove problem: ` +
        "or scene.class",
    );
    return implied;
  }
  const near = typeof v === "string" ? nearestKey(v, known) : undefined;
  ctx.fail(
    e.at,
    "problem",
    `unknown problem kind ${describe(e.value)}${near ? `; did you mean ${near}?` : ""} ` +
      `(known: ${known.join(", ")}; default ${DEFAULT_PROBLEM})`,
  );
  return DEFAULT_PROBLEM;
}

/**
 * `case:`: a case file, relative to the scenario file's folder, resolved to an absolute path;
 * undefined when unset (the kind's bundled case). Whether the file can be read is checked by
 * {@link loadScenarioFile}; what it holds, by the problem kind when a run reads it.
 */
function readCasePath(ctx: Context, e: Entry | undefined): string | undefined {
  if (!e || isEmpty(e.value)) return undefined;
  const v = scalar(e.value);
  if (typeof v !== "string" || v.trim() === "") {
    ctx.fail(e.at, "case", `expected the path of a case file (JSON), found ${describe(e.value)}`);
    return undefined;
  }
  const problem = pathProblem(v, "the case file path");
  if (problem !== undefined) {
    ctx.fail(e.at, "case", problem);
    return undefined;
  }
  ctx.caseAt = ctx.pos(e.at);
  const path = v.trim();
  return isAbsolute(path) ? path : resolvePath(dirname(ctx.file), path);
}

/** `solver:`: an LP solver back end (lp/solver.ts); default {@link DEFAULT_SOLVER}. */
function readSolver(ctx: Context, e: Entry | undefined): SolverName {
  if (!e || isEmpty(e.value)) return DEFAULT_SOLVER;
  const v = scalar(e.value);
  if (isSolverName(v)) return v;
  ctx.fail(
    e.at,
    "solver",
    `unknown solver ${describe(e.value)}; use ${SOLVERS.join(" or ")} (default ${DEFAULT_SOLVER})`,
  );
  return DEFAULT_SOLVER;
}

/** The start of an error about a number of days, with the allowed range. */
const DAYS_EXPECTED = `expected a number of days >= 1, at most ${MAX_DAYS}`;

/**
 * True when `value` is a number of days one run may dispatch: an integer from 1
 * to {@link MAX_DAYS}. The one rule for `days:` and `poso run --days`.
 *
 * @example
 * ```ts
 * import { isDays } from "./loader.ts";
 * console.log(isDays(7), isDays(0), isDays(100000)); // true false false
 * ```
 */
export function isDays(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_DAYS;
}

function readDays(ctx: Context, e: Entry | undefined, resolve: Resolve): DaysConfig {
  const out: DaysConfig = { count: 1, rotateLeader: false };
  if (!e || isEmpty(e.value)) return out;
  const v = scalar(e.value);
  if (typeof v === "number") {
    if (!isDays(v)) ctx.fail(e.at, "days", `${DAYS_EXPECTED}, found ${describe(e.value)}`);
    else out.count = v;
    return out;
  }
  if (!isMap(e.value)) {
    ctx.fail(
      e.at,
      "days",
      `expected a number of days or a mapping (${DAYS_KEYS.join(", ")}), found ${describe(e.value)}`,
    );
    return out;
  }
  for (const d of entries(ctx, e.value, "days", resolve)) {
    const x = scalar(d.value), path = `days.${d.key}`;
    if (d.key === "count") {
      if (!isDays(x)) ctx.fail(d.at, path, `${DAYS_EXPECTED}, found ${describe(d.value)}`);
      else out.count = x;
    } else if (d.key === "rotate_leader") {
      const b = readBool(ctx, d, path);
      if (b !== undefined) out.rotateLeader = b;
    } else unknownKey(ctx, d, "days", "days", DAYS_KEYS, {}, "days");
  }
  return out;
}

/** `HOST:PORT` of a `network.peers` entry: a DNS name or an IPv4 address, or an IPv6 address in brackets. */
const PEER_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;
function readNetwork(
  ctx: Context,
  e: Entry | undefined,
  resolve: Resolve,
): (NetworkConfig & { peerLines: [NodeId, unknown][] }) | undefined {
  if (!e || isEmpty(e.value)) return undefined;
  const out: NetworkConfig & { peerLines: [NodeId, unknown][] } = { peers: {}, peerLines: [] };
  if (!isMap(e.value)) {
    ctx.fail(e.at, "network", `expected a mapping (${NETWORK_KEYS.join(", ")}), found ${describe(e.value)}`);
    return out;
  }
  for (const d of entries(ctx, e.value, "network", resolve)) {
    const path = `network.${d.key}`;
    if (d.key === "block_interval_sec") {
      const x = scalar(d.value);
      if (typeof x !== "number" || !(x > 0) || x > MAX_BLOCK_INTERVAL_SEC || !Number.isInteger(x * 1000)) {
        ctx.fail(
          d.at,
          path,
          `expected seconds above 0, at most ${MAX_BLOCK_INTERVAL_SEC}, in whole ms, found ${
            describe(d.value)
          }`,
        );
      } else out.blockMs = Math.round(x * 1000);
    } else if (d.key === "peers") {
      if (!isMap(d.value)) {
        ctx.fail(d.at, path, `expected a mapping of node id to HOST:PORT, found ${describe(d.value)}`);
        continue;
      }
      for (const q of entries(ctx, d.value, path, resolve)) {
        const id = Number(q.key), text = scalar(q.value), where = `${path}.${q.key}`;
        if (!/^\d{1,10}$/.test(q.key) || id >= 2 ** 32) {
          ctx.fail(q.at, where, "a peer is named by its node id (a whole number below 2^32)");
          continue;
        }
        const m = typeof text === "string" ? PEER_PATTERN.exec(text.trim()) : null;
        const port = m ? Number(m[2]) : 0;
        if (!m || port < 1 || port > MAX_PORT) {
          ctx.fail(
            q.at,
            where,
            `expected HOST:PORT (a DNS name or IP address, port 1 to ${MAX_PORT}), found ${
              describe(q.value)
            }`,
          );
          continue;
        }
        out.peers[id] = { host: m[1].replace(/^\[|\]$/g, ""), port };
        out.peerLines.push([id, q.at]);
      }
    } else unknownKey(ctx, d, "network", "network", NETWORK_KEYS, {}, "network");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Describing behaviours

/** Names of participants by id: a map, a record, or a scenario's participant list. */
export type NameLookup =
  | ReadonlyMap<NodeId, string>
  | Readonly<Record<number, string>>
  | readonly Participant[];

function nameOf(names: NameLookup, id: NodeId): string {
  if (names instanceof Map) return names.get(id) ?? `node ${id}`;
  if (Array.isArray(names)) {
    return (names as readonly Participant[]).find((p) => p.id === id)?.name ?? `node ${id}`;
  }
  return (names as Readonly<Record<number, string>>)[id] ?? `node ${id}`;
}

/**
 * Short English lines describing a participant's behaviours, one per role
 * (as leader, as follower) and one per other behaviour; `[]` when honest.
 * `self` names the participant at the start of each line; `solution` is what the problem kind
 * calls a proposal's solution (its cost unit's `solution`: `dispatch`, `sum`, `market clearing`).
 *
 * @example
 * ```ts
 * import { describeMisbehaviour } from "./loader.ts";
 * const names = { 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
 * describeMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, names, 8);
 * // ["C as leader: sends nothing to D, E, G; sends the selfish dispatch to C, F"]
 * ```
 */
export function describeMisbehaviour(
  m: Misbehaviour,
  names: NameLookup,
  self?: NodeId,
  solution = "dispatch",
): string[] {
  const who = self === undefined ? "" : `${nameOf(names, self)} `;
  const list = (ids: NodeId[]) => ids.map((id) => nameOf(names, id)).join(", ");
  const lines: string[] = [];
  const leader: string[] = [];
  if (m.follower_ignore?.length) leader.push(`sends nothing to ${list(m.follower_ignore)}`);
  if (m.follower_error?.length) leader.push(`sends the selfish ${solution} to ${list(m.follower_error)}`);
  if (m.follower_feasible?.length) {
    leader.push(`sends a feasible but non-optimal ${solution} to ${list(m.follower_feasible)}`);
  }
  if (m.equivocate?.length) leader.push(`sends another valid optimum (equivocates) to ${list(m.equivocate)}`);
  if (m.equivocate_metadata?.length) {
    leader.push(
      `sends ${
        list(m.equivocate_metadata)
      } the same dispatch with another claimed cost and label (equivocates)`,
    );
  }
  if (leader.length > 0) lines.push(`${who}as leader: ${leader.join("; ")}`);
  const follower: string[] = [];
  if (m.follower_collusion?.length) {
    follower.push(`accepts unchecked and relays what comes straight from ${list(m.follower_collusion)}`);
  }
  if (m.follower_trick_ignore?.length) follower.push(`relays nothing to ${list(m.follower_trick_ignore)}`);
  if (m.follower_trick_error?.length) {
    follower.push(
      `relays a tampered dispatch to ${list(m.follower_trick_error)} and sends it to them as its decision`,
    );
  }
  if (follower.length > 0) lines.push(`${who}as follower: ${follower.join("; ")}`);
  if (m.crash_at_round !== undefined) {
    lines.push(
      `${who}crashes when round ${m.crash_at_round} starts (once) and is restarted from its saved state`,
    );
  }
  if (m.delay_ms !== undefined) lines.push(`${who}holds back its relays and decisions by ${m.delay_ms} ms`);
  if (m.delay_to) {
    const each = Object.entries(m.delay_to).map(([id, ms]) => `${nameOf(names, Number(id))} by ${ms} ms`);
    lines.push(`${who}holds back every message to ${each.join(", ")}`);
  }
  if (m.forge_leader?.length) {
    lines.push(`${who}sends ${list(m.forge_leader)} a proposal the leader never signed (forged)`);
  }
  if (m.replay_old) lines.push(`${who}replays messages of earlier rounds and blocks at every round start`);
  if (m.oversize?.length) lines.push(`${who}sends ${list(m.oversize)} proposals far larger than the problem`);
  if (m.junk) lines.push(`${who}sends junk payloads to everyone at every round start`);
  if (m.impersonate?.length) {
    lines.push(
      `${who}sends its relays and decisions in the name of ${list(m.impersonate)} (unsigned by them)`,
    );
  }
  if (m.crash_in_ledger_write !== undefined) {
    lines.push(`${who}dies half-way through writing ledger block ${m.crash_in_ledger_write} (once)`);
  }
  return lines;
}
