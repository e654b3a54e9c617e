/**
 * What PoSo signatures cover: the exact bytes ("statements") a leader, a
 * relayer and a deciding delegate sign. Pure functions; the signing itself
 * (Ed25519 through WebCrypto) is the shells' business (actors/keys.ts,
 * actors/auth.ts).
 *
 * Every statement starts with a domain tag and the chain id (the hash of the
 * ledger's genesis), then the block height and the round, so a signature can
 * never be reused in another chain, another block or another round: a
 * replayed message either keeps its old height/round (and is dropped as
 * stale) or changes them (and its signatures fail).
 *
 * - Leader: `poso/proposal/1 | chain | height | round | leader | proposalDigest`.
 * - Relayer path[i] (i >= 1): `poso/relay/1 | chain | height | round |
 *   proposalDigest | path[0..i] | sig[i-1]`: it vouches for the content as
 *   relayed, the path so far and the previous signature, so the signatures
 *   form a chain that is also the path (Dolev-Strong).
 * - Decision of delegate `from`: `poso/decision/1 | chain | height | round |
 *   leader | dispatchDigest | proposalDigest | from`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Certificate } from "../lp/certificate.ts";
import { dispatchDigest, float64BytesToHash } from "./digest.ts";
import type { NodeId, Proposal } from "./types.ts";

const encoder = new TextEncoder();

/** Joins the fields of a statement with a separator no field can contain. */
function statement(fields: (string | number)[]): Uint8Array {
  return encoder.encode(fields.map(String).join("\u001f"));
}

const certificateDigests = new WeakMap<object, string>();

/**
 * SHA-256 over a whole certificate: format, LP id, variant label, x (through
 * its {@link dispatchDigest}, which a receiver computes anyway, so x is hashed
 * once per message) and y as little-endian Float64. Memoised per certificate
 * object (certificates are never mutated once made).
 *
 * @example
 * ```ts
 * const d = certificateDigest({ format: "poso-certificate/1", lpId: "sha256:0", x: [1], y: [2] });
 * console.log(d.startsWith("sha256:")); // true
 * ```
 */
export function certificateDigest(c: Certificate): string {
  const hit = certificateDigests.get(c);
  if (hit) return hit;
  const h = createHash("sha256");
  h.update(statement([
    "poso/certificate/2",
    c.format,
    c.lpId,
    c.variant ?? "",
    c.x?.length ?? 0,
    c.y?.length ?? 0,
    dispatchDigest(c),
  ]));
  h.update(float64BytesToHash(c.y));
  const d = `sha256:${h.digest("hex")}`;
  certificateDigests.set(c, d);
  return d;
}

/**
 * SHA-256 over everything a proposal says: height, round, leader, claimed
 * cost and the whole certificate ({@link certificateDigest}). Any change to
 * any of them changes the digest.
 *
 * @example
 * ```ts
 * const p = { height: 1, round: 1, leader: 8, claimedCostUsd: 744,
 *   certificate: { format: "poso-certificate/1" as const, lpId: "sha256:0", x: [1], y: [2] } };
 * console.log(proposalDigest(p).startsWith("sha256:")); // true
 * ```
 */
export function proposalDigest(p: Proposal): string {
  const fields = ["poso/proposal-content/1", p.height, p.round, p.leader, p.claimedCostUsd];
  return `sha256:${
    createHash("sha256").update(statement([...fields, certificateDigest(p.certificate)])).digest("hex")
  }`;
}

/**
 * What the leader signs for its proposal.
 *
 * @example
 * ```ts
 * const bytes = leaderStatement("sha256:chain", 1, 2, 9, "sha256:abc");
 * console.log(bytes.length > 0); // true
 * ```
 */
export function leaderStatement(
  chain: string,
  height: number,
  round: number,
  leader: NodeId,
  digest: string,
): Uint8Array {
  return statement(["poso/proposal/1", chain, height, round, leader, digest]);
}

/**
 * What relayer `path[path.length - 1]` signs when it relays a proposal with
 * digest `digest` along `path`, `previousSig` being the last signature it received.
 *
 * @example
 * ```ts
 * const bytes = relayStatement("sha256:chain", 1, 2, "sha256:abc", [9, 10], "c2ln");
 * console.log(bytes.length > 0); // true
 * ```
 */
export function relayStatement(
  chain: string,
  height: number,
  round: number,
  digest: string,
  path: readonly NodeId[],
  previousSig: string,
): Uint8Array {
  return statement(["poso/relay/1", chain, height, round, digest, path.join(","), previousSig]);
}

/**
 * What delegate `from` signs when it commits: the block it votes for.
 *
 * @example
 * ```ts
 * const bytes = decisionStatement("sha256:chain", 1, 2, 9, "sha256:x", "sha256:p", 10);
 * console.log(bytes.length > 0); // true
 * ```
 */
export function decisionStatement(
  chain: string,
  height: number,
  round: number,
  leader: NodeId,
  dispatchDigest: string,
  proposalDigest: string,
  from: NodeId,
): Uint8Array {
  return statement(["poso/decision/1", chain, height, round, leader, dispatchDigest, proposalDigest, from]);
}
