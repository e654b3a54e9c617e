/**
 * Signed messages of the price iteration on Workers (and later over a network): a sender seals
 * each message inside its own Worker with its own Ed25519 key; the receiver opens it, checking the
 * signature under the public key of the sender the message names, before its machine sees it. A
 * message forged (signed by another key, or naming another sender) or altered on the way (values,
 * round, recipient) fails the check and is dropped.
 *
 * What is signed ({@link iterationStatement}): a domain tag, the run's id (so a signature of one run
 * is worthless in another), the recipient (so a demand sent to one delegate cannot be replayed to
 * another, where it would make the community's copies differ and frame it), and the message's exact
 * JSON text, which holds its kind, round, sender, values (and origin, done flag).
 *
 * A forward is signed by the delegate that forwards it: the forwarder vouches for the values it
 * relays, as in the published protocol (a colluding forwarder can still alter a community's demand
 * and get it blacklisted: `broadcast_collusion` keeps its published meaning).
 *
 * @module
 */
import type { IterationMessage } from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import { ED25519_SIGNATURE_BYTES, type KeyPair, sign, verifySignature } from "./keys.ts";

/** A message as it travels: its JSON text and the sender's signature over {@link iterationStatement}. */
export interface SignedIterationMessage {
  /** The message as JSON (`from` is the sender). */
  body: string;
  /** Ed25519 signature, base64url. */
  sig: string;
}

/** Longest body of a signed message, characters (the runner's limit on a message's JSON). */
export const MAX_SIGNED_BODY_CHARS = 4096;
/** Longest signature text, characters: 64 bytes in base64url are 86. */
const MAX_SIG_CHARS = Math.ceil((ED25519_SIGNATURE_BYTES * 4) / 3);
/** The message kinds of the iteration. */
const KINDS = new Set(["demand", "forward", "prices"]);
/** Domain tag of an iteration statement. */
const DOMAIN = "poso/iteration/1";

const encoder = new TextEncoder();

/**
 * The bytes a sender signs: domain, run id, recipient and the message's JSON, separated by U+001F.
 *
 * @example
 * ```ts
 * import { iterationStatement } from "./iteration_auth.ts";
 * const a = iterationStatement("run-1", 10, '{"kind":"demand"}');
 * console.log(a.length > 0, a.length === iterationStatement("run-1", 11, '{"kind":"demand"}').length); // true true
 * ```
 */
export function iterationStatement(run: string, to: NodeId, body: string): Uint8Array {
  return encoder.encode([DOMAIN, run, String(to), body].join("\u001f"));
}

/** Seals `message` (whose `from` must be the key's owner) for `to` in run `run`. */
export async function sealIterationMessage(
  pair: KeyPair,
  run: string,
  to: NodeId,
  message: IterationMessage,
): Promise<SignedIterationMessage> {
  const body = JSON.stringify({ ...message, from: pair.id });
  return { body, sig: await sign(pair, iterationStatement(run, to, body)) };
}

/** What {@link openIterationMessage} found: the message, or why it was dropped. */
export type OpenedMessage =
  | { ok: true; message: IterationMessage }
  | { ok: false; why: string; claimed?: NodeId };

/**
 * Opens a signed message that arrived at `self`: its shape and sizes, a sender with a known public
 * key, the kind, then the signature. Never throws; anything wrong is `{ ok: false, why }`. The
 * message's vectors are the machine's to check.
 */
export async function openIterationMessage(
  publicKeys: Readonly<Record<NodeId, string>>,
  run: string,
  self: NodeId,
  envelope: unknown,
): Promise<OpenedMessage> {
  const e = envelope as Partial<SignedIterationMessage> | null;
  if (typeof e !== "object" || e === null || typeof e.body !== "string" || typeof e.sig !== "string") {
    return { ok: false, why: "not a signed message" };
  }
  if (e.body.length > MAX_SIGNED_BODY_CHARS) {
    return { ok: false, why: `longer than ${MAX_SIGNED_BODY_CHARS}` };
  }
  if (e.sig.length > MAX_SIG_CHARS) return { ok: false, why: "malformed signature" };
  let m: Partial<IterationMessage> | null;
  try {
    m = JSON.parse(e.body);
  } catch {
    return { ok: false, why: "its body is not JSON" };
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    return { ok: false, why: "its body is not a message" };
  }
  const from = m.from;
  if (typeof from !== "number" || !Object.hasOwn(publicKeys, from)) {
    return { ok: false, why: `from ${JSON.stringify(from)}, not a participant` };
  }
  if (!KINDS.has(m.kind as string)) {
    return { ok: false, why: "not a message of the iteration", claimed: from };
  }
  if (!await verifySignature(publicKeys[from], iterationStatement(run, self, e.body), e.sig)) {
    return { ok: false, why: `bad signature: forged or altered (claims to be from ${from})`, claimed: from };
  }
  return { ok: true, message: m as IterationMessage };
}
