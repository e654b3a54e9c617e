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
  EquivocationEvidence,
  Misbehaviour,
  NodeId,
  NormalEffect,
  ProtocolVariant,
} from "../consensus/types.ts";
import type { BlockFields, GenesisRecord } from "../consensus/ledger.ts";
import type { SolverName } from "../lp/solver.ts";
import type { KeySource } from "./keys.ts";

/** The block a participant works on: set by `day` inputs and carried into a restarted Worker's init. */
export interface DayInfo {
  /** Block height = day number (1-based). */
  height: number;
  /** The day's load factor (problems/ies-dispatch/days.ts). */
  loadFactor: number;
  /** Leader rotation: the day's first leader is the first non-blacklisted delegate after this id. */
  startAfter?: NodeId;
  /** Delegates blacklisted when the day starts (for the ledger block's blacklist). */
  blacklistAtStart: NodeId[];
}

/** Starts a participant's machines inside a fresh Worker. */
export interface WorkerInit {
  type: "init";
  id: NodeId;
  names: Record<NodeId, string>;
  /** Where this participant's private key comes from; it never leaves the Worker. */
  keys: KeySource;
  /** Every participant's public key (base64url). */
  publicKeys: Record<NodeId, string>;
  /** The chain: every ledger's first record; its hash is what signatures bind to. */
  genesis: GenesisRecord;
  /**
   * The run's problem: its kind (problems/registry.ts), its case (validated by the Worker when it
   * needs it: to build a day's problem itself, or to check blocks it catches up), and the data of
   * `day`'s problem (Problem.data) when the kind can send it, which the Worker makes the problem from
   * instead of rebuilding it.
   */
  problem: { kind: string; case: unknown; data?: unknown };
  /** The back end a delegate solves with (lp/solver.ts; default DEFAULT_SOLVER); loaded at start-up by delegates only. */
  solver?: SolverName;
  /** Ledger file of this participant (normal nodes keep one), or undefined for none. */
  ledgerFile?: string;
  /** The day in progress (a restarted Worker resumes in it). */
  day: DayInfo;
  delegate?: {
    delegates: NodeId[];
    normals: NodeId[];
    protocol: ProtocolVariant;
    f?: number;
    misbehaviour: Misbehaviour;
    /** Resume from this persisted state (after a crash). */
    snapshot?: DelegateSnapshot;
    /** This node already crashed once at its `crash_at_round`. */
    alreadyCrashed: boolean;
  };
  normal?: { delegates: NodeId[]; verifyCertificates: boolean };
  /** Equivocation evidence its delegate gathered in the day so far (kept across a restart, for the block). */
  evidence?: EquivocationEvidence[];
  /** Behaviour `crash_in_ledger_write`: the height at which to die mid-write, unless it did already. */
  crashInLedgerWrite?: number;
}

/** Supervisor → Worker. */
export type ToWorker =
  | WorkerInit
  /**
   * A new day; `problem` is the data of its problem (Problem.data), unless the Worker was given it
   * ahead (`prepare`) or the kind cannot send it (the Worker then builds it from the case).
   */
  | {
    type: "day";
    seq: number;
    day: DayInfo;
    problem?: unknown;
    /**
     * The delegate's blacklist for the day also takes the chain's (`day.blacklistAtStart`, from the
     * last block): a node process that missed rounds (down, or catching up) did not blacklist their
     * leaders itself.
     */
    withChainBlacklist?: boolean;
  }
  /** Day `height`'s problem data (Problem.data), sent while the Workers wait for a round's end. */
  | { type: "prepare"; seq: number; height: number; loadFactor: number; problem: unknown }
  | { type: "event"; seq: number; event: DelegateEvent }
  | { type: "deliver"; seq: number; msg: unknown }
  /**
   * Blocks this participant's ledger lacks, as another participant's ledger holds them (untrusted:
   * the Worker verifies each against its own tip, signatures, blacklist and certificate, before it
   * appends it, and stops at the first that fails).
   */
  | { type: "catchUp"; seq: number; blocks: BlockFields[] };

/** A received message dropped because a signature failed. */
export interface SignatureFailure {
  reason: string;
  signer: NodeId;
  blame?: NodeId;
  /** Refused before any signature was checked (a certificate of the wrong size). */
  unverified?: boolean;
}

/** A block this participant appended to its ledger. */
export interface BlockWritten {
  height: number;
  round: number;
  leader: NodeId;
  hash: string;
  bytes: number;
  /** Time to append and fsync, ms. */
  writeMs: number;
}

/** Worker → supervisor. */
export type FromWorker =
  | {
    type: "ready";
    id: NodeId;
    startupMs: number;
    /** Bytes of a torn last ledger record cut off on opening (after a crash mid-write). */
    truncatedBytes: number;
    /** Height of the ledger's last block (0: none). */
    ledgerHeight: number;
  }
  | {
    type: "effects";
    id: NodeId;
    seq: number;
    /** The last reply to input `seq`. */
    final: boolean;
    delegate: DelegateEffect[];
    normal: NormalEffect[];
    /** Messages dropped because their signatures failed. */
    unauthentic?: SignatureFailure[];
    /** Ledger blocks appended while handling this input. */
    blocks?: BlockWritten[];
    /** A `catchUp` block this participant refused to adopt, and why. */
    refused?: { height: number; reason: string };
    /** Time spent solving (GLPK) for this reply, ms. */
    solveMs: number;
    /** Time spent checking certificates for this reply, ms. */
    checkMs: number;
    /** Time spent signing and verifying signatures for this reply, ms. */
    signMs: number;
  }
  /** The Worker is about to die on purpose (behaviour `crash_in_ledger_write`): terminate it now. */
  | { type: "dying"; id: NodeId; why: string }
  | { type: "failed"; id: NodeId; error: string }
  /** The Worker could not start (its ledger cannot be opened, its key cannot be read, ...): the run ends. */
  | { type: "startFailed"; id: NodeId; error: string };
