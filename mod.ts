/**
 * PoSo-TS: Proof-of-Solution consensus for energy dispatch.
 *
 * This module is the public API. Problems are plug-ins: {@link problemKind} gives a kind of the
 * registry ({@link IES_DISPATCH} is the dispatch), whose {@link ProblemKind.problemFor} builds a
 * day's {@link Problem}: what the leader solves and how followers check it. The dispatch kind:
 * - {@link loadUomCase} / {@link loadCaseFile} / {@link parseCase}: the case data, validated;
 * - {@link buildDispatchModel}: the 24-hour dispatch LP of the University of Manchester
 *   integrated energy system (docs/model.md);
 * - {@link solveLp} / {@link solveLpHighs} / {@link solveWith}: the GLPK and HiGHS back ends, and
 *   {@link solveVariant}: the proposals a leader can make;
 * - {@link checkCertificate}: the follower's LP-duality certificate check;
 * - {@link trueCost}: the day's true cost of a dispatch;
 * - {@link dayLoadFactor} / {@link caseForDay}: the daily load factors of a multi-day run;
 * - {@link dispatchSeries} / {@link summariseDispatch}: the hourly series of a dispatch and
 *   what a report says about it.
 *
 * The protocol: {@link stepDelegate} and {@link stepNormal} are pure state machines,
 * {@link withMisbehaviour} wraps the honest delegate in the adversary behaviours a
 * scenario configures, {@link leaderStatement} and its siblings are the statements
 * participants sign, and {@link makeGenesis} / {@link makeBlock} / {@link scanLedger}
 * build and check the ledger records of the chain.
 *
 * The shells: {@link loadScenarioFile} reads a scenario, {@link simulate} runs it in
 * deterministic virtual time and {@link runScenario} / {@link runDays} on Worker actors,
 * which sign with Ed25519 keys ({@link ownKeyPair}, {@link sign}, {@link verifySignature}),
 * authenticate what they receive ({@link Authenticator}) and append each block to their
 * ledger file ({@link LedgerFile}, {@link readLedger}). {@link verifyLedgerDir} checks a
 * data directory of ledgers and {@link renderReportHtml} / {@link writeReport} turn a run's
 * report into an HTML page.
 *
 * @example Solve the day and check the certificate as a follower would
 * ```ts
 * import { buildDispatchModel, checkCertificate, loadUomCase, solveVariant } from "./mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const proposal = await solveVariant(model, "optimal");
 * console.log(checkCertificate(model.lp, proposal.certificate).verdict); // "accepted"
 * ```
 *
 * @example Run Scenario I in the deterministic simulator and print its trace
 * ```ts
 * import { loadProposalBook, loadScenarioFile, problemKind, renderTrace, simConfigFor, simulate } from "./mod.ts";
 * const kind = problemKind("ies-dispatch");
 * const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
 * const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
 * const { report } = await simulate(problem.verifier, await loadProposalBook(problem), simConfigFor(scenario));
 * console.log(renderTrace(report, scenario));
 * ```
 *
 * @module
 */
// The optimisation core: case data, the dispatch LP, GLPK and HiGHS, certificates and costs.
// Problems as plug-ins: the contract, the registry, the days' schedule.
export * from "./problems/types.ts";
export * from "./problems/registry.ts";
// What every kind's CSV and case reader share.
export * from "./problems/csv.ts";
export * from "./problems/case_json.ts";
export * from "./problems/schedule.ts";
export * from "./problems/ies-dispatch/kind.ts";
export * from "./problems/ies-dispatch/verifier.ts";
export * from "./problems/ies-dispatch/case.ts";
export * from "./lp/lp.ts";
export * from "./lp/glpk.ts";
export * from "./lp/highs.ts";
export * from "./lp/solver.ts";
export * from "./problems/ies-dispatch/dispatch.ts";
export * from "./problems/ies-dispatch/cost.ts";
export * from "./lp/certificate.ts";
export * from "./problems/ies-dispatch/variants.ts";
// Daily load factors of a multi-day run.
export * from "./problems/ies-dispatch/days.ts";
// Hourly series of a dispatch.
export * from "./problems/ies-dispatch/series.ts";
// What a report says about an accepted dispatch.
export * from "./problems/ies-dispatch/summary.ts";
// Bigger cases for scaling studies, and a dispatch's hourly series as CSV.
export * from "./problems/ies-dispatch/scale.ts";
export * from "./problems/ies-dispatch/csv.ts";
// What `poso solve` shows of a dispatch.
export * from "./problems/ies-dispatch/details.ts";

// The protocol core (pure state machines) and its trace.
export * from "./consensus/types.ts";
export * from "./consensus/messages.ts";
export * from "./consensus/digest.ts";
export * from "./consensus/delegate.ts";
export * from "./consensus/iteration.ts";
export * from "./actors/iteration_runner.ts";
export * from "./consensus/normal.ts";
export * from "./consensus/behaviours.ts";
export * from "./consensus/report.ts";
export * from "./consensus/recorder.ts";
// The statements participants sign.
export * from "./consensus/signing.ts";
// Ledger records: genesis, blocks, hashes and the chain scan.
export * from "./consensus/ledger.ts";
// Scenarios, and the two shells that run them.
export * from "./scenarios/loader.ts";
export * from "./scenarios/render.ts";
export * from "./actors/simulator.ts";
// The Worker runtime's supervisor: keys, genesis, Workers, days and restarts.
export {
  consensusLeader,
  DEFAULT_DATA_DIR,
  defaultDataDir,
  genesisOf,
  keySourceOf,
  runDays,
  RunError,
  RunInterruptedError,
  type RunProblem,
  runProblemOf,
  runScenario,
  type SupervisorOptions,
  WORKER_MODULE,
} from "./actors/supervisor.ts";
// What a run tells its live page as it goes on (SupervisorOptions.onEvent).
export type { LiveEvent, LiveMessageStatus } from "./actors/live_event.ts";
// The "did you mean" of an unknown key in a scenario or a case.
export { nearestKey } from "./actors/files.ts";
// Ed25519 keys of the participants (a key directory or a seed), signing and verifying.
export * from "./actors/keys.ts";
// Message authentication: the shells sign what their machines send and check what they receive.
export * from "./actors/auth.ts";
// A participant's ledger file: durable appends, torn-write recovery, reading.
export { LedgerError, LedgerFile, ledgerFileName, readLedger } from "./actors/ledger_file.ts";
// Verifying a chain's blocks, shared by `poso ledger verify` and the runtime.
export {
  type ChainChecker,
  type ChainCheckOptions,
  COST_TOLERANCE_USD,
  makeChainChecker,
} from "./actors/chain_check.ts";
// Checking a data directory of ledgers (`poso ledger verify`).
export {
  type FileProblem,
  type FileVerdict,
  formatLedgerVerdict,
  type LedgerVerdict,
  verifyLedgerDir,
  type VerifyOptions,
} from "./cli/ledger.ts";
// A run's report as a self-contained HTML page.
export { renderReportHtml, type ReportHtmlOptions, writeReport } from "./cli/report.ts";
