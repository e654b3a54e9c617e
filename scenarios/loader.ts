/**
 * Scenario files: the original PoSo configuration layout (a `nodes:` map of
 * participants with `leader_evil:` behaviours), read with `npm:yaml` so that
 * every error names the file, the line, the column and the key.
 *
 * The reference for the format is scenarios/README.md.
 *
 * @module
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
} from "yaml";
import process from "node:process";
import type { Misbehaviour, NodeId } from "../consensus/types.ts";

// ---------------------------------------------------------------------------
// Types

/** The protocol variants: the article's rules (`paper`) or Dolev-Strong relay phases (`strict`). */
export type Protocol = "paper" | "strict";

/** Where the participants' Ed25519 keys come from (`keys:`). */
export type ScenarioKeys =
  /** Derived from `seed` (anyone who knows it knows every key: tests and reproducible runs only). */
  | { kind: "seed"; seed: number }
  /** A key directory, created on first use; relative paths are relative to the current directory. */
  | { kind: "dir"; dir: string }
  /** Not set: `<data directory>/keys`. */
  | { kind: "default" };

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
  /** `protocol:`: the article's rules (`paper`, the default) or Dolev-Strong relay phases (`strict`). */
  protocol: Protocol;
  /** Strict mode: length of relay phases 2..f+1, whole ms (phase 1 lasts the round timeout). */
  phaseMs: number;
  /** Strict mode: dishonest delegates tolerated (default: the largest number below half of the delegates). */
  faultTolerance?: number;
  /** Where the keys come from. */
  keys: ScenarioKeys;
  /** Days to dispatch, one block each. */
  days: DaysConfig;
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
  /** Every participant, sorted by id. */
  participants: Participant[];
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
  /** Every problem found, the first one being the one described by the fields above. */
  readonly problems: readonly ScenarioProblem[];

  /** An error for `problems`, the first of which its fields describe. */
  constructor(problems: [ScenarioProblem, ...ScenarioProblem[]]) {
    const [first, ...rest] = problems;
    const lines = [formatProblem(first)];
    if (rest.length > 0) {
      lines.push(`and ${rest.length} more problem${rest.length === 1 ? "" : "s"}:`);
      for (const p of rest) lines.push(`  ${formatProblem(p)}`);
    }
    super(lines.join("\n"));
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

/** Default `scene.params.round_timeout_sec`, seconds (the published code's round length). */
export const DEFAULT_ROUND_TIMEOUT_SEC = 3;
/** Default `scene.params.link_delay_ms`, [min, max] ms of simulated one-way delay. */
export const DEFAULT_LINK_DELAY_MS: readonly [number, number] = [1, 20];
/** Default `scene.params.phase_sec` (strict mode), seconds: several link delays and a check. */
export const DEFAULT_PHASE_SEC = 0.5;
/** Default `seed`. */
export const DEFAULT_SEED = 1;
/**
 * Fewest delegates a scenario may have: a normal node accepts a dispatch held
 * by more than half of the delegates, and with fewer than three a single
 * dishonest delegate is already half of them.
 */
export const MIN_DELEGATES = 3;
/** Largest node id and seed: both are u32. */
const U32_MAX = 0xffff_ffff;
/** Milliseconds per second. */
const MS_PER_SEC = 1000;

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

const TOP_KEYS = ["name", "description", "protocol", "seed", "keys", "days", "scene", "nodes"] as const;
const DAYS_KEYS = ["count", "rotate_leader"] as const;
const SCENE_KEYS = ["params"] as const;
const PARAM_KEYS = [
  "round_timeout_sec",
  "max_rounds",
  "link_delay_ms",
  "normal_verify",
  "phase_sec",
  "fault_tolerance",
] as const;
const NODE_KEYS = ["name", "is_delegate", "is_normal", "leader_evil"] as const;

const NETWORK = "the original configuration's network address; this runtime routes messages itself";
const KEYS = "the original configuration's per-node key file; keys come from the top-level keys: setting";
const HUB = "the original configuration's hub spreadsheet; the case data comes from models/data/uom-ies.json";
const GAMS = "the original configuration's GAMS installation; this runtime solves a linear model with GLPK";

/** Keys of the original configuration that mean nothing here, with the reason given in the notice. */
const ORIGINAL_NODE_KEYS: Record<string, string> = {
  ip: NETWORK,
  port: NETWORK,
  host: NETWORK,
  address: NETWORK,
  transport: "the original configuration's transport (tcpv1); this runtime has its own transports",
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
  normal_evil: "the original configuration's demand tampering by normal nodes is not implemented; " +
    "this node behaves honestly as a normal node",
  delegate_evil: "the original configuration's price and broadcast tampering is not implemented; " +
    "use the leader_evil behaviours (scenarios/README.md)",
};
const ORIGINAL_TOP_KEYS: Record<string, string> = {
  log_level: "the original configuration's log level; traces are printed by the CLI",
  transport: "the original configuration's transport settings; this runtime has its own transports",
  hub_file: HUB,
  xlsx: HUB,
  gams_path: GAMS,
  gams_dir: GAMS,
};
const ORIGINAL_SCENE_KEYS: Record<string, string> = {
  class: "the original configuration's Python scene class; this runtime has a single scene",
};
const ORIGINAL_PARAM_KEYS: Record<string, string> = {
  hub_file: HUB,
  xlsx: HUB,
  gams_path: GAMS,
  gams_dir: GAMS,
};

// ---------------------------------------------------------------------------
// Loading

/**
 * Why a file could not be read, in words a user can act on (for messages of
 * the form `file: why`).
 *
 * @example
 * ```ts
 * console.log(readFailure(new Deno.errors.NotFound("x"))); // "no such file"
 * ```
 */
export function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return "no permission to read it (run with --allow-read)";
  }
  return `cannot read it: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Reads and validates a scenario file. Needs `--allow-read` for the file.
 * A file that cannot be read is reported as a {@link ScenarioError} with line 0.
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
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ScenarioError([{ file: path, line: 0, column: 0, keyPath: "", detail: readFailure(e) }]);
  }
  return parseScenario(text, path);
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
  const lc = new LineCounter();
  const ctx = new Context(file, lc);
  let doc;
  try {
    doc = withoutProcessEnv(() =>
      parseDocument(text, { lineCounter: lc, prettyErrors: false, strict: true, uniqueKeys: true })
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
      return { file, line, column: col, keyPath: "", detail: `not valid YAML: ${yamlProblem(err, text)}` };
    });
    throw new ScenarioError(problems as [ScenarioProblem, ...ScenarioProblem[]]);
  }
  for (const w of doc.warnings) {
    const { line, col } = lc.linePos(w.pos[0]);
    ctx.notices.push(`${file}:${line}:${col}: ${firstLine(w.message)}`);
  }
  const scenario = validate(ctx, doc.contents as YamlNode | null, (n) => resolveAlias(n, doc));
  if (ctx.problems.length > 0) {
    throw new ScenarioError(ctx.problems as [ScenarioProblem, ...ScenarioProblem[]]);
  }
  return scenario as Scenario;
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
function yamlProblem(err: { code: string; message: string; pos: [number, number] }, text: string): string {
  if (err.code === "DUPLICATE_KEY") {
    const key = text.slice(err.pos[0], err.pos[1]).split(/[:\n]/)[0].trim();
    return `the key ${JSON.stringify(key)} appears twice in the same mapping`;
  }
  if (err.code === "MULTIPLE_DOCS") return "a scenario file holds one YAML document; remove the second ---";
  return firstLine(err.message);
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/** Follows an alias (`*name`) to the node it names; null when it names nothing. */
function resolveAlias(node: unknown, doc: ReturnType<typeof parseDocument>): unknown {
  let n = node;
  // Alias chains are bounded by the document; guard anyway against a cycle.
  for (let hops = 0; isAlias(n) && hops < 64; hops++) n = n.resolve(doc) ?? null;
  return isAlias(n) ? null : n;
}

// ---------------------------------------------------------------------------
// Validation

type Resolve = (n: unknown) => unknown;

class Context {
  readonly problems: ScenarioProblem[] = [];
  readonly notices: string[] = [];
  constructor(readonly file: string, readonly lc: LineCounter) {}

  /** 1-based position of a node's first character; 1:1 when it has none. */
  pos(node: unknown): { line: number; column: number } {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    if (typeof offset !== "number") return { line: 1, column: 1 };
    const { line, col } = this.lc.linePos(offset);
    return { line, column: col };
  }

  fail(node: unknown, keyPath: string, detail: string): void {
    this.problems.push({ file: this.file, ...this.pos(node), keyPath, detail });
  }

  notice(keyPath: string, detail: string): void {
    this.notices.push(`${keyPath}: ${detail}`);
  }
}

/** A key/value entry of a mapping, with the nodes to point at. */
interface Entry {
  key: string;
  /** The key node (for positions). */
  keyNode: unknown;
  /** The value node, aliases resolved (null when empty). */
  value: unknown;
  /** Where to point for a problem with the value: the value, or the key when the value is empty. */
  at: unknown;
}

/** The entries of a mapping node; reports non-scalar keys. */
function entries(ctx: Context, map: unknown, path: string, resolve: Resolve): Entry[] {
  const out: Entry[] = [];
  if (!isMap(map)) return out;
  for (const pair of map.items) {
    if (!isPair(pair)) continue;
    const keyNode = resolve(pair.key);
    if (!isScalar(keyNode) || (typeof keyNode.value === "object" && keyNode.value !== null)) {
      ctx.fail(pair.key ?? map, path, "keys must be plain words or numbers");
      continue;
    }
    const value = resolve(pair.value);
    const hasRange = (value as { range?: unknown } | null)?.range !== undefined;
    out.push({ key: String(keyNode.value), keyNode, value, at: hasRange ? value : keyNode });
  }
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
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

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known key nearest to `key`, or undefined when none is close (at most a third of its letters differ).
 *
 * @example
 * ```ts
 * console.log(nearestKey("folower_ignore", ["follower_ignore", "delay_ms"]), nearestKey("xyz", ["delay_ms"]));
 * // follower_ignore undefined
 * ```
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * An unknown key: a notice when it belongs to the original configuration or
 * is not close to any key of this level, an error when it is a likely typo of
 * a key that matters (a typo there would silently change the scenario).
 */
function unknownKey(
  ctx: Context,
  e: Entry,
  path: string,
  known: readonly string[],
  original: Record<string, string>,
  what: string,
): void {
  const keyPath = join(path, e.key);
  if (Object.hasOwn(original, e.key)) {
    ctx.notice(keyPath, `ignored (${original[e.key]})`);
    return;
  }
  const near = nearestKey(e.key, known);
  if (near !== undefined) {
    ctx.fail(e.keyNode, keyPath, `unknown ${what} key; did you mean ${near}?`);
    return;
  }
  ctx.notice(keyPath, `ignored (not a ${what} key of this format; known: ${known.join(", ")})`);
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
  let name = baseName(ctx.file);
  const nameE = get("name");
  if (nameE && !isEmpty(nameE.value)) {
    const v = scalar(nameE.value);
    if (typeof v !== "string" || v.trim() === "") {
      ctx.fail(nameE.at, "name", `expected text, found ${describe(nameE.value)}`);
    } else name = v.trim();
  }
  let description = "";
  const descE = get("description");
  if (descE && !isEmpty(descE.value)) {
    const v = scalar(descE.value);
    if (typeof v !== "string") {
      ctx.fail(descE.at, "description", `expected text, found ${describe(descE.value)}`);
    } else description = v.trim();
  }

  // protocol
  let protocol: Protocol = "paper";
  const protoE = get("protocol");
  if (protoE && !isEmpty(protoE.value)) {
    const v = scalar(protoE.value);
    if (v !== "paper" && v !== "strict") {
      ctx.fail(
        protoE.at,
        "protocol",
        `unknown protocol ${describe(protoE.value)}; use "paper" (the default) or "strict"`,
      );
    } else protocol = v;
  }

  // seed
  let seed = DEFAULT_SEED;
  const seedE = get("seed");
  if (seedE && !isEmpty(seedE.value)) {
    const v = scalar(seedE.value);
    if (!isU32(v)) {
      ctx.fail(seedE.at, "seed", `expected an integer from 0 to ${U32_MAX}, found ${describe(seedE.value)}`);
    } else seed = v;
  }

  // keys, days
  const keys = readKeys(ctx, get("keys"), seed);
  const days = readDays(ctx, get("days"), resolve);

  // scene.params
  const params = readParams(ctx, get("scene"), resolve);

  // nodes
  const participants = readNodes(ctx, get("nodes"), rootNode, resolve);

  for (const e of top) {
    if (!(TOP_KEYS as readonly string[]).includes(e.key)) {
      unknownKey(ctx, e, "", TOP_KEYS, ORIGINAL_TOP_KEYS, "top-level");
    }
  }

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
  if (protocol === "paper" && (params.faultTolerance !== undefined || params.phaseSet)) {
    ctx.notice("scene.params", "phase_sec and fault_tolerance only matter with protocol: strict");
  }
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
    seed,
    roundTimeoutMs: params.roundTimeoutMs,
    maxRounds,
    linkDelayMs: params.linkDelayMs,
    normalVerify: params.normalVerify,
    participants,
    notices: ctx.notices,
  };
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
}

function readParams(ctx: Context, sceneE: Entry | undefined, resolve: Resolve): Params {
  const out: Params = {
    roundTimeoutMs: DEFAULT_ROUND_TIMEOUT_SEC * MS_PER_SEC,
    phaseMs: DEFAULT_PHASE_SEC * MS_PER_SEC,
    linkDelayMs: [...DEFAULT_LINK_DELAY_MS],
    normalVerify: false,
  };
  if (!sceneE || isEmpty(sceneE.value)) return out;
  if (!isMap(sceneE.value)) {
    ctx.fail(sceneE.at, "scene", `expected a mapping with params:, found ${describe(sceneE.value)}`);
    return out;
  }
  let paramsE: Entry | undefined;
  for (const e of entries(ctx, sceneE.value, "scene", resolve)) {
    if (e.key === "params") paramsE = e;
    else unknownKey(ctx, e, "scene", SCENE_KEYS, ORIGINAL_SCENE_KEYS, "scene");
  }
  if (!paramsE || isEmpty(paramsE.value)) return out;
  if (!isMap(paramsE.value)) {
    ctx.fail(paramsE.at, "scene.params", `expected a mapping, found ${describe(paramsE.value)}`);
    return out;
  }
  for (const e of entries(ctx, paramsE.value, "scene.params", resolve)) {
    const path = `scene.params.${e.key}`;
    const v = scalar(e.value);
    switch (e.key) {
      case "round_timeout_sec": {
        if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
          ctx.fail(e.at, path, `expected a number of seconds > 0, found ${describe(e.value)}`);
        } else if (Math.round(v * MS_PER_SEC) < 1) {
          ctx.fail(e.at, path, `${v} s is under a millisecond; the timeout counts whole ms`);
        } else out.roundTimeoutMs = Math.round(v * MS_PER_SEC);
        break;
      }
      case "phase_sec": {
        if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || Math.round(v * MS_PER_SEC) < 1) {
          ctx.fail(e.at, path, `expected a number of seconds >= 0.001, found ${describe(e.value)}`);
        } else {
          out.phaseMs = Math.round(v * MS_PER_SEC);
          out.phaseSet = true;
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
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
          ctx.fail(e.at, path, `expected an integer >= 1, found ${describe(e.value)}`);
        } else out.maxRounds = v;
        break;
      }
      case "link_delay_ms": {
        const range = readDelayRange(ctx, e, path, resolve);
        if (range) out.linkDelayMs = range;
        break;
      }
      case "normal_verify": {
        if (typeof v !== "boolean") {
          ctx.fail(e.at, path, `expected true or false, found ${describe(e.value)}`);
        } else out.normalVerify = v;
        break;
      }
      default:
        unknownKey(ctx, e, "scene.params", PARAM_KEYS, ORIGINAL_PARAM_KEYS, "scene.params");
    }
  }
  return out;
}

function readDelayRange(
  ctx: Context,
  e: Entry,
  path: string,
  resolve: Resolve,
): [number, number] | undefined {
  const items = isSeq(e.value) ? e.value.items.map(resolve) : [];
  const nums = items.map(scalar);
  if (
    !isSeq(e.value) || nums.length !== 2 ||
    !nums.every((n): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0)
  ) {
    ctx.fail(e.at, path, `expected [min, max] in ms, two numbers >= 0, found ${describe(e.value)}`);
    return undefined;
  }
  if (nums[0] > nums[1]) {
    ctx.fail(e.at, path, `min ${nums[0]} ms is greater than max ${nums[1]} ms`);
    return undefined;
  }
  return [nums[0], nums[1]];
}

/** A node entry read in the first pass, before the ids in behaviour lists can be checked. */
interface RawNode {
  id: NodeId;
  entry: Entry;
  name?: string;
  nameAt: unknown;
  delegate: boolean;
  normal: boolean;
  behaviours?: Entry;
}

function readNodes(ctx: Context, nodesE: Entry | undefined, root: unknown, resolve: Resolve): Participant[] {
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
  const problemsBefore = ctx.problems.length;
  const raw: RawNode[] = [];
  const seenIds = new Map<NodeId, string>();
  for (const e of entries(ctx, nodesE.value, "nodes", resolve)) {
    const path = `nodes.${e.key}`;
    const keyValue = scalar(e.keyNode);
    const id = typeof keyValue === "number"
      ? keyValue
      : typeof keyValue === "string" && /^\d+$/.test(keyValue)
      ? Number(keyValue)
      : NaN;
    if (!isU32(id)) {
      ctx.fail(e.keyNode, path, `node ids are integers from 0 to ${U32_MAX}, found ${describe(e.keyNode)}`);
      continue;
    }
    if (seenIds.has(id)) {
      ctx.fail(e.keyNode, path, `node id ${id} is defined twice (also as nodes.${seenIds.get(id)})`);
      continue;
    }
    seenIds.set(id, e.key);
    if (!isMap(e.value)) {
      ctx.fail(
        e.at,
        path,
        `expected a mapping with name, is_delegate, is_normal, found ${describe(e.value)}`,
      );
      continue;
    }
    const node: RawNode = { id, entry: e, nameAt: e.keyNode, delegate: false, normal: false };
    let nameSeen = false;
    for (const f of entries(ctx, e.value, path, resolve)) {
      const fPath = `${path}.${f.key}`;
      const v = scalar(f.value);
      switch (f.key) {
        case "name":
          nameSeen = true;
          node.nameAt = f.at;
          if (typeof v !== "string") {
            ctx.fail(
              f.at,
              fPath,
              `expected a short name such as C, found ${describe(f.value)}` +
                (typeof v === "number" || typeof v === "boolean" ? ` (quote it: name: "${v}")` : ""),
            );
          } else if (v.trim() === "") ctx.fail(f.at, fPath, "the name is empty");
          else if (/[\s<>$]/.test(v)) {
            ctx.fail(f.at, fPath, `"${v}" contains a space or one of < > $, which the trace cells use`);
          } else node.name = v;
          break;
        case "is_delegate":
        case "is_normal":
          if (typeof v !== "boolean") {
            ctx.fail(f.at, fPath, `expected true or false, found ${describe(f.value)}`);
          } else if (f.key === "is_delegate") node.delegate = v;
          else node.normal = v;
          break;
        case "leader_evil":
          node.behaviours = f;
          break;
        default:
          unknownKey(ctx, f, path, NODE_KEYS, ORIGINAL_NODE_KEYS, "node");
      }
    }
    if (!nameSeen) {
      ctx.fail(
        e.keyNode,
        `${path}.name`,
        "missing: every node needs a short name such as C (used in traces)",
      );
    }
    raw.push(node);
  }

  // Names unique.
  const byName = new Map<string, RawNode>();
  for (const n of raw) {
    if (n.name === undefined) continue;
    const other = byName.get(n.name);
    if (other) {
      ctx.fail(n.nameAt, `nodes.${n.id}.name`, `"${n.name}" is already the name of node ${other.id}`);
    } else byName.set(n.name, n);
  }

  const delegates = raw.filter((n) => n.delegate).sort((a, b) => a.id - b.id);
  // With a node already in error the counts below would mostly repeat that error.
  const nodesInError = ctx.problems.length > problemsBefore;
  if (!nodesInError && delegates.length < MIN_DELEGATES) {
    ctx.fail(
      nodesE.keyNode,
      "nodes",
      `${delegates.length} delegate${delegates.length === 1 ? "" : "s"} (is_delegate: true); at least ` +
        `${MIN_DELEGATES} are needed, because normal nodes accept what more than half of the delegates decided ` +
        "and with fewer than three a single dishonest delegate is already half of them",
    );
  }
  if (!nodesInError && !raw.some((n) => n.normal)) {
    ctx.fail(
      nodesE.keyNode,
      "nodes",
      "no normal node (is_normal: true); the normal-node phase needs at least one to accept a block",
    );
  }
  const delegateIds = new Set(delegates.map((n) => n.id));
  const delegateList = delegates.map((n) => `${n.id}${n.name ? ` ${n.name}` : ""}`).join(", ");
  const everyone = { ids: new Set(raw.map((n) => n.id)), list: raw.map((n) => n.id).join(", ") };

  const participants = raw.map((n): Participant => ({
    id: n.id,
    name: n.name ?? String(n.id),
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
      )
      : {},
  }));
  return participants.sort((a, b) => a.id - b.id);
}

function readBehaviours(
  ctx: Context,
  node: RawNode,
  path: string,
  delegateIds: ReadonlySet<NodeId>,
  delegateList: string,
  resolve: Resolve,
  everyone: { ids: ReadonlySet<NodeId>; list: string },
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
      e.value.items.forEach((raw, i) => {
        const item = resolve(raw);
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
        } else if (!allowed.has(v)) {
          ctx.fail(
            item,
            iPath,
            `${v} is not ${what} (${anyone ? "participants" : "delegates"}: ${allowedList || "none"})`,
          );
        } else if (ids.includes(v)) {
          ctx.notice(iPath, `${v} is listed twice; once is enough`);
        } else {
          ids.push(v);
          at.push(item);
        }
      });
      listed.set(key, { ids, at });
    } else if (e.key === "crash_at_round") {
      const v = scalar(e.value);
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
        ctx.fail(e.at, kPath, `expected a round number (an integer >= 1), found ${describe(e.value)}`);
      } else m.crash_at_round = v;
    } else if (e.key === "delay_ms") {
      const v = scalar(e.value);
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        ctx.fail(e.at, kPath, `expected whole milliseconds (an integer >= 0), found ${describe(e.value)}`);
      } else m.delay_ms = v;
    } else if (e.key === "crash_in_ledger_write") {
      const v = scalar(e.value);
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
        ctx.fail(e.at, kPath, `expected a day (block height, an integer >= 1), found ${describe(e.value)}`);
      } else m.crash_in_ledger_write = v;
    } else if (e.key === "replay_old" || e.key === "junk") {
      const v = scalar(e.value);
      if (typeof v !== "boolean") ctx.fail(e.at, kPath, `expected true or false, found ${describe(e.value)}`);
      else if (v) m[e.key] = true;
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
          } else if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0) {
            ctx.fail(
              d.at,
              `${kPath}.${d.key}`,
              `expected whole milliseconds (an integer >= 0), found ${describe(d.value)}`,
            );
          } else delays[id] = ms;
        }
        if (Object.keys(delays).length) m.delay_to = delays;
      }
    } else {
      const near = nearestKey(e.key, BEHAVIOUR_KEYS);
      ctx.fail(
        e.keyNode,
        kPath,
        near !== undefined
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
  if (!node.delegate && Object.keys(m).some((k) => k !== "crash_at_round" && k !== "crash_in_ledger_write")) {
    ctx.notice(path, `has no effect: node ${node.id} is not a delegate, so it never leads or relays`);
  }
  // Re-order: lists first in canonical order, then the scalars (as in BEHAVIOUR_KEYS).
  const ordered: Misbehaviour = {};
  for (const key of BEHAVIOUR_KEYS) {
    if (m[key] !== undefined) (ordered as Record<string, unknown>)[key] = m[key];
  }
  return ordered;
}

function readKeys(ctx: Context, e: Entry | undefined, seed: number): ScenarioKeys {
  if (!e || isEmpty(e.value)) return { kind: "default" };
  const v = scalar(e.value);
  if (v === "seed") return { kind: "seed", seed };
  if (isMap(e.value)) {
    const items = (e.value.items as { key: unknown; value: unknown }[]).map((
      i,
    ) => [scalar(i.key), scalar(i.value)]);
    if (items.length === 1 && items[0][0] === "seed" && isU32(items[0][1])) {
      return { kind: "seed", seed: items[0][1] as number };
    }
    if (
      items.length === 1 && items[0][0] === "dir" && typeof items[0][1] === "string" && items[0][1] !== ""
    ) {
      return { kind: "dir", dir: items[0][1] as string };
    }
  } else if (typeof v === "string" && v.trim() !== "") return { kind: "dir", dir: v.trim() };
  ctx.fail(
    e.at,
    "keys",
    `expected "seed" (keys derived from the scenario's seed), { seed: N }, or a key directory ` +
      `(a path or { dir: path }), found ${describe(e.value)}`,
  );
  return { kind: "default" };
}

function readDays(ctx: Context, e: Entry | undefined, resolve: Resolve): DaysConfig {
  const out: DaysConfig = { count: 1, rotateLeader: false };
  if (!e || isEmpty(e.value)) return out;
  const v = scalar(e.value);
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 1) {
      ctx.fail(e.at, "days", `expected a number of days >= 1, found ${describe(e.value)}`);
    } else out.count = v;
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
      if (typeof x !== "number" || !Number.isInteger(x) || x < 1) {
        ctx.fail(d.at, path, `expected a number of days >= 1, found ${describe(d.value)}`);
      } else out.count = x;
    } else if (d.key === "rotate_leader") {
      if (typeof x !== "boolean") ctx.fail(d.at, path, `expected true or false, found ${describe(d.value)}`);
      else out.rotateLeader = x;
    } else unknownKey(ctx, d, "days", DAYS_KEYS, {}, "days");
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
 * `self` names the participant at the start of each line.
 *
 * @example
 * ```ts
 * import { describeMisbehaviour } from "./loader.ts";
 * const names = { 8: "C", 9: "D", 10: "E", 11: "F", 12: "G" };
 * describeMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, names, 8);
 * // ["C as leader: sends nothing to D, E, G; sends the selfish dispatch to C, F"]
 * ```
 */
export function describeMisbehaviour(m: Misbehaviour, names: NameLookup, self?: NodeId): string[] {
  const who = self === undefined ? "" : `${nameOf(names, self)} `;
  const list = (ids: NodeId[]) => ids.map((id) => nameOf(names, id)).join(", ");
  const lines: string[] = [];
  const leader: string[] = [];
  if (m.follower_ignore?.length) leader.push(`sends nothing to ${list(m.follower_ignore)}`);
  if (m.follower_error?.length) leader.push(`sends the selfish dispatch to ${list(m.follower_error)}`);
  if (m.follower_feasible?.length) {
    leader.push(`sends a feasible but non-optimal dispatch to ${list(m.follower_feasible)}`);
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
