/**
 * What the supervisor and a participant's Worker say to each other. Every
 * input carries a sequence number; the Worker answers each with one or more
 * `effects` replies, the last one marked `final`, so the supervisor knows
 * when the system is quiet.
 *
 * @module
 */
import type {
  DelegateEffect,
  DelegateEvent,
  DelegateSnapshot,
  Misbehaviour,
  NodeId,
  NormalEffect,
} from "../consensus/types.ts";

/** Starts a participant's machines inside a fresh Worker. */
export interface WorkerInit {
  type: "init";
  id: NodeId;
  names: Record<NodeId, string>;
  delegate?: {
    delegates: NodeId[];
    normals: NodeId[];
    misbehaviour: Misbehaviour;
    /** Resume from this persisted state (after a crash). */
    snapshot?: DelegateSnapshot;
    /** This node already crashed once at its `crash_at_round`. */
    alreadyCrashed: boolean;
  };
  normal?: { delegates: NodeId[]; verifyCertificates: boolean };
}

/** Supervisor → Worker. */
export type ToWorker =
  | WorkerInit
  | { type: "event"; seq: number; event: DelegateEvent }
  | { type: "deliver"; seq: number; msg: unknown };

/** Worker → supervisor. */
export type FromWorker =
  | { type: "ready"; id: NodeId; startupMs: number }
  | {
    type: "effects";
    id: NodeId;
    seq: number;
    /** The last reply to input `seq`. */
    final: boolean;
    delegate: DelegateEffect[];
    normal: NormalEffect[];
    /** Time spent solving (GLPK) for this reply, ms. */
    solveMs: number;
    /** Time spent checking certificates for this reply, ms. */
    checkMs: number;
  }
  | { type: "failed"; id: NodeId; error: string };
