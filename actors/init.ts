/**
 * The init message of a participant (actors/protocol.ts WorkerInit), the same for a Worker started by
 * the supervisor and for a node process: its roles, its behaviours and the chain it works on.
 *
 * @module
 */
import type { GenesisRecord } from "../consensus/ledger.ts";
import type { DelegateSnapshot, EquivocationEvidence, NodeId } from "../consensus/types.ts";
import type { Participant, Scenario } from "../scenarios/loader.ts";
import type { KeySource } from "./keys.ts";
import type { DayInfo, WorkerInit } from "./protocol.ts";

/** What a shell decides for one participant's start (the rest follows from the scenario). */
export interface InitChoices {
  keys: KeySource;
  publicKeys: Record<NodeId, string>;
  genesis: GenesisRecord;
  problem: WorkerInit["problem"];
  day: DayInfo;
  /** Its ledger file, if it keeps one. */
  ledgerFile?: string;
  /** Evidence its delegate gathered in the day so far. */
  evidence?: EquivocationEvidence[];
  /** The delegate's state to start from. */
  snapshot: DelegateSnapshot;
  /** It crashed at its `crash_at_round` already (a restart does not crash again). */
  alreadyCrashed: boolean;
  /** Arm `crash_in_ledger_write` (false once it happened). */
  armLedgerCrash: boolean;
}

/**
 * The init message of participant `p` of `scenario`.
 *
 * @example
 * ```ts ignore
 * const init = participantInit(scenario, scenario.participants[0], { keys, publicKeys, genesis, problem,
 *   day, snapshot: { id: 6, round: 0, blacklist: [], received: [] }, alreadyCrashed: false, armLedgerCrash: true });
 * ```
 */
export function participantInit(scenario: Scenario, p: Participant, c: InitChoices): WorkerInit {
  const delegates = scenario.participants.filter((q) => q.delegate).map((q) => q.id);
  const normals = scenario.participants.filter((q) => q.normal).map((q) => q.id);
  return {
    type: "init",
    id: p.id,
    names: Object.fromEntries(scenario.participants.map((q) => [q.id, q.name])),
    keys: c.keys,
    publicKeys: c.publicKeys,
    genesis: c.genesis,
    problem: c.problem,
    solver: scenario.solver,
    day: c.day,
    ...(c.ledgerFile === undefined ? {} : { ledgerFile: c.ledgerFile }),
    ...(c.evidence === undefined ? {} : { evidence: c.evidence }),
    ...(p.delegate
      ? {
        delegate: {
          delegates,
          normals,
          protocol: scenario.protocol,
          ...(scenario.faultTolerance === undefined ? {} : { f: scenario.faultTolerance }),
          misbehaviour: p.misbehaviour,
          snapshot: c.snapshot,
          alreadyCrashed: c.alreadyCrashed,
        },
      }
      : {}),
    ...(p.normal ? { normal: { delegates, verifyCertificates: scenario.normalVerify } } : {}),
    ...(p.misbehaviour.crash_in_ledger_write === undefined || !c.armLedgerCrash
      ? {}
      : { crashInLedgerWrite: p.misbehaviour.crash_in_ledger_write }),
  };
}
