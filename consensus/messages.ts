/**
 * Structural validation of untrusted messages. Only the shape is checked
 * here; the numbers inside a certificate are the checker's business
 * (models/certificate.ts), which reports them as a verdict.
 *
 * @module
 */
import type { Message } from "./types.ts";

/** Longest accepted relay path (a path never repeats an id, so it cannot be longer than the delegates). */
export const MAX_PATH_LENGTH = 64;

/** The result of {@link parseMessage}. */
export type ParseResult = { ok: true; msg: Message } | { ok: false; reason: string };

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

const isVector = (v: unknown): boolean =>
  Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));

function proposalProblem(p: unknown, round: number): string | undefined {
  if (!isObject(p)) return "proposal is not an object";
  if (!isRound(p.round)) return "proposal.round is not an integer >= 1";
  if (p.round !== round) return `proposal.round ${p.round} differs from the message's round ${round}`;
  if (!isRound(p.height)) return "proposal.height is not an integer >= 1";
  if (!isNodeId(p.leader)) return "proposal.leader is not a u32 id";
  if (typeof p.claimedCostUsd !== "number") return "proposal.claimedCostUsd is not a number";
  const c = p.certificate;
  if (!isObject(c)) return "proposal.certificate is not an object";
  if (!isVector(c.x)) return "proposal.certificate.x is not an array";
  if (!isVector(c.y)) return "proposal.certificate.y is not an array";
  return undefined;
}

function pathProblem(path: unknown, leader: unknown): string | undefined {
  if (!Array.isArray(path)) return "path is not an array";
  if (path.length === 0) return "path is empty";
  if (path.length > MAX_PATH_LENGTH) return `path has ${path.length} entries (at most ${MAX_PATH_LENGTH})`;
  const seen = new Set<number>();
  for (const id of path) {
    if (!isNodeId(id)) return "path holds an entry that is not a u32 id";
    if (seen.has(id)) return `path repeats node ${id}`;
    seen.add(id);
  }
  if (path[0] !== leader) return `path starts at ${path[0]}, the proposal's leader is ${leader}`;
  return undefined;
}

/** Longest accepted signature (base64url of 64 bytes is 86 characters). */
const MAX_SIG_LENGTH = 128;
const isSig = (v: unknown) => typeof v === "string" && v.length <= MAX_SIG_LENGTH;

function sigsProblem(sigs: unknown, pathLength: number): string | undefined {
  if (sigs === undefined) return undefined;
  if (!Array.isArray(sigs)) return "sigs is not an array";
  if (sigs.length > pathLength) return `sigs has ${sigs.length} entries for a path of ${pathLength}`;
  if (!sigs.every(isSig)) return "sigs holds an entry that is not a signature string";
  return undefined;
}

function problem(raw: unknown): string | undefined {
  if (!isObject(raw)) return "message is not an object";
  if (raw.kind !== "proposal" && raw.kind !== "decision") return `unknown message kind ${String(raw.kind)}`;
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
 * Validates an untrusted message's structure. Never throws: junk of any kind
 * (including objects whose getters throw) yields `{ ok: false, reason }`.
 * On success `msg` is the input object itself, so certificate objects keep
 * their identity (and their memoised verdicts).
 *
 * @example
 * ```ts
 * console.log(parseMessage("hello")); // { ok: false, reason: "message is not an object" }
 * ```
 */
export function parseMessage(raw: unknown): ParseResult {
  try {
    const reason = problem(raw);
    return reason === undefined ? { ok: true, msg: raw as Message } : { ok: false, reason };
  } catch (e) {
    return { ok: false, reason: `unreadable message: ${e instanceof Error ? e.message : "error"}` };
  }
}
