/**
 * The Worker of one participant of an iteration (see actors/iteration_workers.ts): it builds its
 * machines (a community, a delegate, or both) from the job it is sent (the data and the module that
 * turns it into the setup: the runtime knows no problem), steps them on every input and posts back
 * their effects with its status. It never sees another participant's state; what it receives comes
 * through the runner, which stamps every message with the Worker that sent it.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import {
  type CommunityState,
  type IterationDelegateState,
  type IterationEffect,
  type IterationMessage,
  newCommunity,
  newIterationDelegate,
  stepCommunity,
  stepIterationDelegate,
} from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import type { IterationSetup } from "./iteration_runner.ts";

/** What the runner sends a Worker. */
export type ToIterationWorker =
  | { type: "init"; id: NodeId; spec: unknown; setupModule: string }
  | { type: "start" }
  | { type: "deliver"; message: IterationMessage }
  | { type: "timeout"; role: "community" | "delegate" };

/** A Worker's status after an input: where its machines are. */
export interface WorkerStatus {
  /** Its community's round and whether it finished (absent: not a community). */
  community?: { round: number; finished: boolean; prices: number[]; answer: number[] };
  /** Its delegate's round and whether it finished (absent: not a delegate). */
  delegate?: { round: number; finished: boolean };
}

/** What a Worker posts back: after `init`, `ready`; after every other input, its effects and status. */
export type FromIterationWorker =
  | { type: "ready"; status: WorkerStatus }
  | { type: "out"; effects: IterationEffect[]; status: WorkerStatus }
  | { type: "error"; message: string };

let community: CommunityState | undefined;
let delegate: IterationDelegateState | undefined;

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
  };
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
      post({
        type: "out",
        effects: community ? stepCommunity(community, { type: "start" }) : [],
        status: status(),
      });
      return;
    case "timeout": {
      const effects = input.role === "community"
        ? (community ? stepCommunity(community, { type: "timeout" }) : [])
        : (delegate ? stepIterationDelegate(delegate, { type: "timeout" }) : []);
      post({ type: "out", effects, status: status() });
      return;
    }
    case "deliver": {
      const m = input.message;
      const effects = m.kind === "prices"
        ? (community ? stepCommunity(community, { type: "message", message: m }) : [])
        : (delegate ? stepIterationDelegate(delegate, { type: "message", message: m }) : []);
      post({ type: "out", effects, status: status() });
      return;
    }
  }
}

self.onmessage = (e: MessageEvent<ToIterationWorker>) => {
  onInput(e.data).catch((err) =>
    post({ type: "error", message: err instanceof Error ? err.message : String(err) })
  );
};
