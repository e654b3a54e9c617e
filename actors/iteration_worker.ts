/**
 * The Worker of one participant of an iteration (see actors/iteration_workers.ts): it builds its
 * machines (a community, a delegate, or both) from the job it is sent (the data and the module that
 * turns it into the setup: the runtime knows no problem), steps them on every input and posts back
 * their effects with its status. It never sees another participant's state.
 *
 * Every message it sends is signed here with its own key (derived or read from the run's key source
 * at init: the private key never leaves the Worker); every message it receives is verified under the
 * public key of the sender it names before its machines see it (actors/iteration_auth.ts). A forged
 * or altered message is dropped, counted in its status and noted. Inputs are handled one at a time,
 * in order (signing and verifying are asynchronous).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import {
  type CommunityState,
  type IterationDelegateState,
  type IterationEffect,
  newCommunity,
  newIterationDelegate,
  stepCommunity,
  stepIterationDelegate,
} from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import type { IterationSetup } from "./iteration_runner.ts";
import { openIterationMessage, sealIterationMessage, type SignedIterationMessage } from "./iteration_auth.ts";
import { type KeyPair, type KeySource, ownKeyPair } from "./keys.ts";

/** What a Worker needs to sign and verify: the run's id, its key source and every public key. */
export interface IterationAuth {
  /** The run's id (signatures of another run do not verify). */
  run: string;
  /** Where its own key comes from (a seed, or a key directory). */
  keys: KeySource;
  /** Its name (its key file's name in a key directory). */
  name: string;
  /** Every participant's public key (base64url) by id. */
  publicKeys: Record<NodeId, string>;
}

/** What the runner sends a Worker. */
export type ToIterationWorker =
  | { type: "init"; id: NodeId; spec: unknown; setupModule: string; auth: IterationAuth }
  | { type: "start" }
  | { type: "deliver"; envelope: SignedIterationMessage }
  | { type: "timeout"; role: "community" | "delegate" };

/** A sealed message and its recipient. */
export interface WireMessage {
  /** Recipient. */
  to: NodeId;
  /** The signed message. */
  envelope: SignedIterationMessage;
}

/** A Worker's status after an input: where its machines are. */
export interface WorkerStatus {
  /** Its community's round and whether it finished (absent: not a community). */
  community?: { round: number; finished: boolean; prices: number[]; answer: number[] };
  /** Its delegate's round and whether it finished (absent: not a delegate). */
  delegate?: { round: number; finished: boolean };
  /** Signatures of the messages it received: verified, and rejected (those messages were dropped). */
  signatures: { verified: number; rejected: number };
}

/** What a Worker posts back: after `init`, `ready`; after every other input, its effects and status. */
export type FromIterationWorker =
  | { type: "ready"; status: WorkerStatus }
  | { type: "out"; effects: IterationEffect[]; wire: WireMessage[]; status: WorkerStatus }
  | { type: "error"; message: string };

let community: CommunityState | undefined;
let delegate: IterationDelegateState | undefined;
let self_: NodeId = -1;
let auth: IterationAuth | undefined;
let pair: KeyPair | undefined;
const signatures = { verified: 0, rejected: 0 };

function status(): WorkerStatus {
  return {
    ...(community
      ? {
        community: {
          round: community.round,
          finished: community.finished,
          prices: community.prices,
          answer: community.answer,
        },
      }
      : {}),
    ...(delegate ? { delegate: { round: delegate.round, finished: delegate.finished } } : {}),
    signatures: { ...signatures },
  };
}

/** Posts the effects of one input, every message sealed with this participant's key. */
async function out(effects: IterationEffect[]): Promise<void> {
  const wire: WireMessage[] = [];
  for (const e of effects) {
    if (e.type === "send") {
      wire.push({ to: e.to, envelope: await sealIterationMessage(pair!, auth!.run, e.to, e.message) });
    }
  }
  post({ type: "out", effects, wire, status: status() });
}

function post(msg: FromIterationWorker): void {
  self.postMessage(msg);
}

/** The module a Worker imports to build its machines. */
interface SetupModule {
  iterationSetupOf(spec: unknown): IterationSetup;
}

async function onInput(input: ToIterationWorker): Promise<void> {
  switch (input.type) {
    case "init": {
      self_ = input.id;
      auth = input.auth;
      pair = await ownKeyPair(auth.keys, input.id, auth.name);
      if (pair.publicKey !== auth.publicKeys[input.id]) {
        throw new Error(`its key is not the public key the run has for participant ${input.id}`);
      }
      const mod = (await import(input.setupModule)) as SetupModule;
      const setup = mod.iterationSetupOf(input.spec);
      const c = setup.communities.find((x) => x.id === input.id);
      const d = setup.delegates.find((x) => x.id === input.id);
      community = c ? newCommunity(c) : undefined;
      delegate = d ? newIterationDelegate(d) : undefined;
      post({ type: "ready", status: status() });
      return;
    }
    case "start":
      return await out(community ? stepCommunity(community, { type: "start" }) : []);
    case "timeout": {
      return await out(
        input.role === "community"
          ? (community ? stepCommunity(community, { type: "timeout" }) : [])
          : (delegate ? stepIterationDelegate(delegate, { type: "timeout" }) : []),
      );
    }
    case "deliver": {
      const opened = await openIterationMessage(auth!.publicKeys, auth!.run, self_, input.envelope);
      if (!opened.ok) {
        signatures.rejected++;
        const round = community?.round ?? delegate?.round ?? 0;
        return await out([{
          type: "note",
          round,
          text: `participant ${self_} dropped a message: ${opened.why}`,
        }]);
      }
      signatures.verified++;
      const m = opened.message;
      return await out(
        m.kind === "prices"
          ? (community ? stepCommunity(community, { type: "message", message: m }) : [])
          : (delegate ? stepIterationDelegate(delegate, { type: "message", message: m }) : []),
      );
    }
  }
}

/** Inputs are handled one at a time, in the order they came (each awaits its signatures). */
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToIterationWorker>) => {
  queue = queue.then(() => onInput(e.data)).catch((err) =>
    post({ type: "error", message: err instanceof Error ? err.message : String(err) })
  );
};
