/**
 * Message authentication for the shells (Worker runtime and simulator): a
 * participant signs what its machines send and verifies what it receives
 * before a machine sees it. The machines stay pure: they only copy the
 * signatures of what they relay (consensus/types.ts ProposalMessage).
 *
 * Attribution. A relayer signs the content as it relays it, so when a
 * relayer changes a proposal, the signatures before it fail and its own
 * (and any later ones) verify: the first valid signature after a failing one
 * names who changed or forged the message. When the sender's own (last)
 * signature fails, nobody in the path can be blamed (it could be a link
 * forgery), and the message is dropped naming the sender's signature.
 *
 * Size first. Checking a signature means hashing the whole proposal, so the
 * message's sizes are checked before anything is hashed: with the problem's
 * {@link MessageShape} in the context, a message whose certificate has any
 * other length is refused unverified (the cost of the refusal does not grow
 * with the message); without it, the generic bounds of consensus/messages.ts
 * apply.
 *
 * @module
 */
import { dispatchDigest } from "../consensus/digest.ts";
import { isNodeId, type MessageShape, parseMessage } from "../consensus/messages.ts";
import { decisionStatement, leaderStatement, proposalDigest, relayStatement } from "../consensus/signing.ts";
import type { DecisionMessage, Message, NodeId, ProposalMessage } from "../consensus/types.ts";
import { type KeyPair, sign, verifySignature } from "./keys.ts";

/** What every participant of a run knows: the chain id and every public key. */
export interface AuthContext {
  /** Chain id (the ledger genesis hash) every statement binds to. */
  chain: string;
  /** Public keys (base64url) by participant id. */
  publicKeys: Record<NodeId, string>;
  /** Names for readable reasons. */
  names?: Record<NodeId, string>;
  /**
   * The problem's message shape (`messageShapeOf(model.lp)`: x and y lengths). A message of any
   * other size is refused before it is hashed. Default: only the generic bounds of consensus/messages.ts.
   */
  shape?: MessageShape;
}

/** Result of {@link Authenticator.check}. */
export type AuthResult =
  | { ok: true }
  | {
    ok: false;
    /** Readable reason, naming the signer that failed and, when known, who is to blame. */
    reason: string;
    /** The participant whose signature failed (with `unverified`: the claimed sender, unchecked). */
    signer: NodeId;
    /** The participant that signed a message carrying a signature that fails: it changed or forged it. */
    blame?: NodeId;
    /** Refused for its size before any signature was checked (nothing was hashed). */
    unverified?: boolean;
  };

/** Two hex digits of every byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, "0"));
/** Lower-case hex of `b` (a cache key of every signature made and checked: kept cheap). */
const toHex = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX_BYTE[b[i]];
  return s;
};

/** Who a message says sent it (a proposal's last path entry, a decision's `from`), or -1; never throws. */
function claimedSender(raw: unknown): NodeId {
  try {
    const m = raw as { kind?: unknown; path?: unknown; from?: unknown };
    const id = m.kind === "decision" ? m.from : Array.isArray(m.path) ? m.path[m.path.length - 1] : undefined;
    return isNodeId(id) ? id : -1;
  } catch {
    return -1;
  }
}

/** Verification results by (key, signature, statement); Ed25519 verification is deterministic. */
const verified = new Map<string, boolean>();
/** Signatures by (key, statement); Ed25519 signing is deterministic (RFC 8032). */
const signed = new Map<string, string>();
/**
 * Bound on each cache's entries (then it is cleared), so a long run, or a peer flooding a node with
 * signed junk, cannot grow it without end: an entry's key is ~650 characters, so a full cache holds
 * ~13 MB; a day of scenario I verifies tens of signatures per participant, market120's a few hundred.
 */
const MAX_CACHED = 10_000;

/**
 * Signs and verifies PoSo messages for one participant (or, in the
 * simulator, for all of them, one key pair each).
 *
 * @example
 * ```ts
 * import { Authenticator, seedKeyPair } from "../mod.ts";
 * const c = await seedKeyPair(1, 8);
 * const auth = new Authenticator({ chain: "sha256:demo", publicKeys: { 8: c.publicKey } }, new Map([[8, c]]));
 * const certificate = { format: "poso-certificate/1" as const, lpId: "", x: [1], y: [] };
 * const proposal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: 744 };
 * const sealed = await auth.seal({ kind: "proposal", round: 1, to: 9, path: [8], sigs: [], proposal });
 * console.log(await auth.check(sealed)); // { ok: true }
 * const changed = { ...sealed, proposal: { ...proposal, claimedCostUsd: 1 } };
 * console.log((await auth.check(changed)).ok); // false: the leader never signed that
 * ```
 */
export class Authenticator {
  /** Time spent signing, ms (since construction or the last {@link Authenticator.takeTimes}). */
  signMs = 0;
  /** Time spent verifying, ms. */
  verifyMs = 0;

  /**
   * An authenticator for a run's `context` that signs as each participant in `keys`
   * (its own key pair; every key pair in the simulator).
   */
  constructor(readonly context: AuthContext, private readonly keys: Map<NodeId, KeyPair> = new Map()) {}

  /** A participant's name (its id when it has none). */
  private name(id: NodeId): string {
    return this.context.names?.[id] ?? String(id);
  }

  /** Returns and resets the time counters. */
  takeTimes(): { signMs: number; verifyMs: number } {
    const t = { signMs: this.signMs, verifyMs: this.verifyMs };
    this.signMs = this.verifyMs = 0;
    return t;
  }

  /** `bytes` signed with `id`'s key (memoised), or undefined when this authenticator holds no key of `id`. */
  private async signAs(id: NodeId, bytes: Uint8Array): Promise<string | undefined> {
    const pair = this.keys.get(id);
    if (!pair) return undefined;
    const t0 = performance.now();
    const key = `${pair.publicKey}|${toHex(bytes)}`;
    let sig = signed.get(key);
    if (!sig) {
      sig = await sign(pair, bytes);
      if (signed.size >= MAX_CACHED) signed.clear();
      signed.set(key, sig);
    }
    this.signMs += performance.now() - t0;
    return sig;
  }

  /** True when `sig` is `id`'s valid signature of `bytes` (memoised). */
  private async valid(id: NodeId, bytes: Uint8Array, sig: string | undefined): Promise<boolean> {
    const pub = this.context.publicKeys[id];
    if (!pub || typeof sig !== "string") return false;
    const t0 = performance.now();
    const key = `${pub}|${sig}|${toHex(bytes)}`;
    let ok = verified.get(key);
    if (ok === undefined) {
      ok = await verifySignature(pub, bytes, sig);
      if (verified.size >= MAX_CACHED) verified.clear();
      verified.set(key, ok);
    }
    this.verifyMs += performance.now() - t0;
    return ok;
  }

  /**
   * Adds the sender's signature to a message its machine sends: the leader's
   * to its own proposal, a relayer's to the chain of a relay, a delegate's to
   * its decision. A proposal's missing signatures are added in path order for
   * as long as this authenticator holds the signer's key (a Worker holds only
   * its own, so it signs only its own slot); a message that is not well-formed
   * (behaviour `junk`), or whose next missing signature is someone else's,
   * goes out as it is.
   */
  async seal(msg: Message): Promise<Message> {
    if (!parseMessage(msg).ok) return msg;
    const { chain } = this.context;
    if (msg.kind === "proposal") {
      const { path } = msg, p = msg.proposal;
      const sigs = [...(msg.sigs ?? [])];
      let digest: string | undefined;
      while (sigs.length < path.length && this.keys.has(path[sigs.length])) {
        const i = sigs.length;
        digest ??= proposalDigest(p);
        const bytes = i === 0
          ? leaderStatement(chain, p.height, p.round, p.leader, digest)
          : relayStatement(chain, p.height, p.round, digest, path.slice(0, i + 1), sigs[i - 1]);
        const sig = await this.signAs(path[i], bytes);
        if (!sig) break;
        sigs.push(sig);
      }
      return sigs.length === (msg.sigs?.length ?? 0) ? msg : { ...msg, sigs };
    }
    if (msg.sig || !this.keys.has(msg.from)) return msg;
    const p = msg.proposal;
    const bytes = decisionStatement(
      chain,
      p.height,
      msg.round,
      p.leader,
      dispatchDigest(p.certificate),
      proposalDigest(p),
      msg.from,
    );
    const sig = await this.signAs(msg.from, bytes);
    return sig ? { ...msg, sig } : msg;
  }

  /**
   * Verifies every signature of a received message. Its sizes are checked
   * first, and nothing is hashed unless they fit: a message too large, or not
   * of the context's {@link MessageShape}, is refused (`unverified`); other
   * messages that are not well-formed pass through (the machines drop them
   * with the reason, unhashed).
   */
  async check(raw: unknown): Promise<AuthResult> {
    const parsed = parseMessage(raw, this.context.shape);
    if (!parsed.ok) return this.refuse(raw, parsed);
    const msg = parsed.msg;
    try {
      return msg.kind === "proposal" ? await this.checkProposal(msg) : await this.checkDecision(msg);
    } catch (e) {
      const signer = msg.kind === "proposal" ? msg.path[msg.path.length - 1] : msg.from;
      return { ok: false, signer, reason: `signatures could not be checked: ${(e as Error).message}` };
    }
  }

  /**
   * A message that does not parse: refused if it is too large (or of another size than the
   * problem's), passed on otherwise (the machines drop it with the reason).
   */
  private refuse(raw: unknown, parsed: { reason: string; size?: boolean }): AuthResult {
    if (!parsed.size) return { ok: true };
    const sender = claimedSender(raw);
    return {
      ok: false,
      unverified: true,
      signer: sender,
      reason: `refused before any signature check: ${parsed.reason}; sender ${
        sender < 0 ? "unknown" : this.name(sender)
      } unauthenticated`,
    };
  }

  /** Checks the leader's and every relayer's signature of a proposal, and names who is to blame. */
  private async checkProposal(msg: ProposalMessage): Promise<AuthResult> {
    const { chain } = this.context;
    const { path } = msg;
    const sigs = msg.sigs ?? [];
    const p = msg.proposal, digest = proposalDigest(p);
    const ok: boolean[] = [];
    for (let i = 0; i < path.length; i++) {
      const bytes = i === 0
        ? leaderStatement(chain, p.height, p.round, p.leader, digest)
        : relayStatement(chain, p.height, p.round, digest, path.slice(0, i + 1), sigs[i - 1] ?? "");
      ok.push(await this.valid(path[i], bytes, sigs[i]));
    }
    const bad = ok.indexOf(false);
    if (bad < 0) return { ok: true };
    const signer = path[bad];
    const role = bad === 0 ? "leader" : "relayer";
    const missing = sigs[bad] === undefined ? "is missing" : "does not verify";
    const vouch = ok.indexOf(true, bad + 1);
    if (vouch < 0) {
      return {
        ok: false,
        signer,
        reason: `signature of ${this.name(signer)} (${role}) ${missing}; sender ${
          this.name(path[path.length - 1])
        } unauthenticated`,
      };
    }
    const blame = path[vouch];
    return {
      ok: false,
      signer,
      blame,
      reason: `signature of ${this.name(signer)} (${role}) ${missing}; ${
        this.name(blame)
      } signed this copy, so ${this.name(blame)} changed or forged it`,
    };
  }

  /** Checks a decision's own signature, then the leader's signature of the proposal it carries. */
  private async checkDecision(msg: DecisionMessage): Promise<AuthResult> {
    const { chain } = this.context;
    const p = msg.proposal, digest = proposalDigest(p);
    const own = decisionStatement(
      chain,
      p.height,
      msg.round,
      p.leader,
      dispatchDigest(p.certificate),
      digest,
      msg.from,
    );
    if (!await this.valid(msg.from, own, msg.sig)) {
      return {
        ok: false,
        signer: msg.from,
        reason: `decision signature of ${this.name(msg.from)} ${msg.sig ? "does not verify" : "is missing"}`,
      };
    }
    const leaderBytes = leaderStatement(chain, p.height, p.round, p.leader, digest);
    if (!await this.valid(p.leader, leaderBytes, msg.leaderSig)) {
      return {
        ok: false,
        signer: p.leader,
        blame: msg.from,
        reason: `leader ${this.name(p.leader)} never signed this proposal; ${
          this.name(msg.from)
        } signed the decision, so ${this.name(msg.from)} changed or forged it`,
      };
    }
    return { ok: true };
  }
}
