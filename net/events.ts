/**
 * What a node process tells of its run, one event per line on its standard output (JSON, with
 * certificates in wire form: net/wire.ts). `poso net up` gathers every node's events into one
 * trace (net/collect.ts). Each event says which node, the day (block height) and the round the node
 * was in by its own clock, and when (Unix ms).
 *
 * @module
 */
import type { GenesisSchedule } from "../consensus/ledger.ts";
import type { DelegateEffect, NodeId } from "../consensus/types.ts";
import type { DayInfo, FromWorker } from "../actors/protocol.ts";

/** A participant's report of what it did (the Worker runtime's `effects` message). */
type ParticipantEffects = Extract<FromWorker, { type: "effects" }>;

/** A delegate effect in a trace event: a sent message is its addressee, round, digest and cost. */
export type TracedDelegateEffect =
  | Exclude<DelegateEffect, { kind: "send" }>
  | {
    kind: "send";
    to: NodeId;
    round: number;
    /** The sent solution's digest and its cost in the kind's unit (absent for junk). */
    digest?: string;
    cost?: number;
    delayMs?: number;
  };

/** Where and when an event happened. */
export interface EventPlace {
  /** The node's id. */
  node: NodeId;
  /** The day (block height) it was in. */
  height: number;
  /** Its round by its own clock (0 before the day's first round). */
  round: number;
  /** Unix time, ms. */
  at: number;
}

/** One event of a node. */
export type NodeEvent =
  & EventPlace
  & (
    | {
      type: "start";
      name: string;
      ledgerHeight: number;
      truncatedBytes: number;
      schedule: GenesisSchedule;
      chain: string;
    }
    /**
     * The node listens and is ready (its first day's problem made, its solver loaded); a node given
     * the chain's start later (`poso net up`) waits for it now.
     */
    | { type: "listening"; listen: { host: string; port: number } }
    | { type: "day"; day: DayInfo }
    | { type: "tick"; tick: "roundStart" }
    /** What the participant reported (actors/protocol.ts), sent messages as digests and costs. */
    | (
      & { type: "effects"; delegate: TracedDelegateEffect[] }
      & Omit<ParticipantEffects, "type" | "id" | "seq" | "final" | "delegate">
    )
    | { type: "dropped"; reason: string; from?: NodeId }
    | { type: "note"; text: string }
    | { type: "catchUp"; from: NodeId; blocks: number; refused?: { height: number; reason: string } }
    | { type: "crash"; why: string }
    | {
      type: "stats";
      stats: { sentBytes: number; sentMessages: number; dropped: Record<string, number> };
    }
    | { type: "end"; end: "done" | "stopped" | "crashed"; ledgerHeight: number }
  );
