/**
 * Structural validation of untrusted messages. Only the shape and the sizes
 * are checked here, never the content: nothing is hashed, and the numbers
 * inside a certificate are the checker's business (lp/certificate.ts),
 * which reports them as a verdict.
 *
 * Sizes are bounded before anything else looks at a message: every string a
 * message carries (signatures, certificate labels) and its path have a fixed
 * limit, and the certificate's vectors either the exact lengths of the
 * problem ({@link MessageShape}, the LP's column and row counts) or, when the
 * caller knows no problem, {@link MAX_VECTOR_ENTRIES}. So a forged message
 * with a huge x is refused in time proportional to nothing, before a shell
 * hashes it to check a signature.
 *
 * @module
 */
import type { Message } from "./types.ts";

/** Longest accepted relay path (a path never repeats an id, so it cannot be longer than the delegates). */
export const MAX_PATH_LENGTH = 64;

/**
 * Most entries a certificate's x or y may have when the caller gives no
 * {@link MessageShape}: 2^20, 76 times the UoM case's 13,800 columns (8 MiB of
 * Float64, hashed in about 10 ms). Callers that know the problem pass its shape.
 */
export const MAX_VECTOR_ENTRIES = 2 ** 20;

/** Longest accepted certificate label (`format`, `lpId`, `variant`), characters. */
export const MAX_LABEL_LENGTH = 128;

/**
 * The sizes a message about one problem must have: x has one entry per LP
 * column, y one per LP row ({@link messageShapeOf}).
 *
 * @example
 * ```ts
 * import type { MessageShape } from "../mod.ts";
 * const uom: MessageShape = { x: 13_800, y: 6_456 }; // the UoM dispatch LP
 * ```
 */
export interface MessageShape {
  /** Entries of a certificate's x: the LP's column count. */
  x: number;
  /** Entries of a certificate's y: the LP's row count. */
  y: number;
}

/**
 * The message shape of an LP: its column and row counts.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, messageShapeOf } from "../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * console.log(messageShapeOf(model.lp)); // { x: 13800, y: 6456 }
 * ```
 */
export function messageShapeOf(
  lp: { colNames: readonly unknown[]; rowNames: readonly unknown[] },
): MessageShape {
  return { x: lp.colNames.length, y: lp.rowNames.length };
}

/**
 * The result of {@link parseMessage}. A failure with `size` set is a message too large (or, with
 * a shape, of the wrong size) for the problem: found before anything else was looked at.
 */
export type ParseResult = { ok: true; msg: Message } | { ok: false; reason: string; size?: boolean };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * True for an integer in [0, 2^32): a node id.
 *
 * @example
 * ```ts
 * console.log(isNodeId(8), isNodeId(-1), isNodeId(1.5), isNodeId("8")); // true false false false
 * ```
 */
export const isNodeId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;

const isRound = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

const isVector = (v: unknown): v is ArrayLike<unknown> =>
  Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));

/** Longest accepted signature (base64url of 64 bytes is 86 characters). */
const MAX_SIG_LENGTH = 128;

// ---------------------------------------------------------------------------
// Sizes: checked first, on whatever is there, reading lengths only.

/** A vector's length problem: not the problem's `expected` entries, or more than the cap without a shape. */
function lengthProblem(v: unknown, name: string, expected: number | undefined): string | undefined {
  if (!isVector(v)) return undefined;
  const n = v.length;
  if (expected !== undefined && n !== expected) {
    return `${name} has ${n} entries, the problem has ${expected}`;
  }
  if (n > MAX_VECTOR_ENTRIES) return `${name} has ${n} entries (at most ${MAX_VECTOR_ENTRIES})`;
  return undefined;
}

function stringProblem(v: unknown, name: string, max: number): string | undefined {
  return typeof v === "string" && v.length > max
    ? `${name} has ${v.length} characters (at most ${max})`
    : undefined;
}

function certificateSizeProblem(c: unknown, shape: MessageShape | undefined): string | undefined {
  if (!isObject(c)) return undefined;
  const name = "proposal.certificate";
  return lengthProblem(c.x, `${name}.x`, shape?.x) ?? lengthProblem(c.y, `${name}.y`, shape?.y) ??
    stringProblem(c.format, `${name}.format`, MAX_LABEL_LENGTH) ??
    stringProblem(c.lpId, `${name}.lpId`, MAX_LABEL_LENGTH) ??
    stringProblem(c.variant, `${name}.variant`, MAX_LABEL_LENGTH);
}

function listSizeProblem(v: unknown, name: string): string | undefined {
  if (!Array.isArray(v)) return undefined;
  if (v.length > MAX_PATH_LENGTH) return `${name} has ${v.length} entries (at most ${MAX_PATH_LENGTH})`;
  for (const [i, e] of v.entries()) {
    const bad = stringProblem(e, `${name}[${i}]`, MAX_SIG_LENGTH);
    if (bad) return bad;
  }
  return undefined;
}

/** Anything too large in a message (or of another size than the problem's), whatever its structure. */
function sizeProblem(raw: unknown, shape: MessageShape | undefined): string | undefined {
  if (!isObject(raw)) return undefined;
  return listSizeProblem(raw.path, "path") ?? listSizeProblem(raw.sigs, "sigs") ??
    stringProblem(raw.sig, "sig", MAX_SIG_LENGTH) ??
    stringProblem(raw.leaderSig, "leaderSig", MAX_SIG_LENGTH) ??
    stringProblem(raw.kind, "kind", MAX_LABEL_LENGTH) ??
    (isObject(raw.proposal) ? certificateSizeProblem(raw.proposal.certificate, shape) : undefined);
}

// ---------------------------------------------------------------------------
// Structure: types, ranges and consistency (sizes are already known to be fine).

function certificateProblem(c: unknown): string | undefined {
  const name = "proposal.certificate";
  if (!isObject(c)) return `${name} is not an object`;
  if (!isVector(c.x)) return `${name}.x is not an array`;
  if (!isVector(c.y)) return `${name}.y is not an array`;
  if (typeof c.format !== "string") return `${name}.format is not a string`;
  if (typeof c.lpId !== "string") return `${name}.lpId is not a string`;
  if (c.variant !== undefined && typeof c.variant !== "string") return `${name}.variant is not a string`;
  return undefined;
}

function proposalProblem(p: unknown, round: number): string | undefined {
  if (!isObject(p)) return "proposal is not an object";
  if (!isRound(p.round)) return "proposal.round is not an integer >= 1";
  if (p.round !== round) return `proposal.round ${p.round} differs from the message's round ${round}`;
  if (!isRound(p.height)) return "proposal.height is not an integer >= 1";
  if (!isNodeId(p.leader)) return "proposal.leader is not a u32 id";
  if (!Number.isFinite(p.claimedCostUsd)) return "proposal.claimedCostUsd is not a finite number";
  return certificateProblem(p.certificate);
}

function pathProblem(path: unknown, leader: unknown): string | undefined {
  if (!Array.isArray(path)) return "path is not an array";
  if (path.length === 0) return "path is empty";
  const seen = new Set<number>();
  for (const id of path) {
    if (!isNodeId(id)) return "path holds an entry that is not a u32 id";
    if (seen.has(id)) return `path repeats node ${id}`;
    seen.add(id);
  }
  if (path[0] !== leader) return `path starts at ${path[0]}, the proposal's leader is ${leader}`;
  return undefined;
}

const isSig = (v: unknown) => typeof v === "string";

function sigsProblem(sigs: unknown, pathLength: number): string | undefined {
  if (sigs === undefined) return undefined;
  if (!Array.isArray(sigs)) return "sigs is not an array";
  if (sigs.length > pathLength) return `sigs has ${sigs.length} entries for a path of ${pathLength}`;
  if (!sigs.every(isSig)) return "sigs holds an entry that is not a signature string";
  return undefined;
}

function problem(raw: unknown): string | undefined {
  if (!isObject(raw)) return "message is not an object";
  if (raw.kind !== "proposal" && raw.kind !== "decision") {
    return `unknown message kind ${typeof raw.kind === "string" ? raw.kind : typeof raw.kind}`;
  }
  if (!isRound(raw.round)) return "round is not an integer >= 1";
  if (!isNodeId(raw.to)) return "to is not a u32 id";
  const bad = proposalProblem(raw.proposal, raw.round);
  if (bad) return bad;
  if (raw.kind === "proposal") {
    return pathProblem(raw.path, (raw.proposal as Record<string, unknown>).leader) ??
      sigsProblem(raw.sigs, (raw.path as unknown[]).length);
  }
  if (raw.sig !== undefined && !isSig(raw.sig)) return "sig is not a signature string";
  if (raw.leaderSig !== undefined && !isSig(raw.leaderSig)) return "leaderSig is not a signature string";
  return isNodeId(raw.from) ? undefined : "from is not a u32 id";
}

/**
 * Validates an untrusted message's sizes, then its structure, without hashing
 * or reading the certificate's entries. With `shape` (the problem's LP column
 * and row counts), x and y must have exactly those lengths; without it, at
 * most {@link MAX_VECTOR_ENTRIES}; a size failure says so (`size: true`). Never throws: junk of any kind (including
 * objects whose getters throw) yields `{ ok: false, reason }`. On success
 * `msg` is the input object itself, so certificate objects keep their
 * identity (and their memoised verdicts and digests).
 *
 * @example
 * ```ts
 * console.log(parseMessage("hello")); // { ok: false, reason: "message is not an object" }
 * const certificate = { format: "poso-certificate/1", lpId: "sha256:0", x: new Array(60_000_000), y: [0] };
 * const proposal = { height: 1, round: 1, leader: 8, claimedCostUsd: 744, certificate };
 * const msg = { kind: "proposal", round: 1, to: 9, path: [8], proposal };
 * console.log(parseMessage(msg, { x: 13_800, y: 1 }));
 * // { ok: false, reason: "proposal.certificate.x has 60000000 entries, the problem has 13800", size: true }
 * ```
 */
export function parseMessage(raw: unknown, shape?: MessageShape): ParseResult {
  try {
    const size = sizeProblem(raw, shape);
    if (size !== undefined) return { ok: false, reason: size, size: true };
    const reason = problem(raw);
    return reason === undefined ? { ok: true, msg: raw as Message } : { ok: false, reason };
  } catch (e) {
    return { ok: false, reason: `unreadable message: ${e instanceof Error ? e.message : "error"}` };
  }
}
