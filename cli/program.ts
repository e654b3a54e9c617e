/**
 * The `poso` command line: subcommands, options, exit codes.
 *
 * Exit codes: 0 success; 1 a runtime failure (missing or bad file, rejected
 * certificate, failing ledger, no block accepted), printed as one line
 * `poso: …` naming the file; 2 a usage error (unknown flag or subcommand,
 * missing argument, bad value), printed as commander's one-line error followed
 * by the command's usage line.
 *
 * Output is plain text and never coloured: commander is told that neither
 * stream has colours (so it also never reads FORCE_COLOR or NO_COLOR from the
 * environment), and nothing here writes escape sequences. Progress notes go to
 * stderr, only when stderr is a terminal, and never with `--json`.
 *
 * @module
 */
import { dirname } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { formatBytes, InputFileError } from "../actors/files.ts";
import { KeyError } from "../actors/keys.ts";
import { LEDGER_FILE_SUFFIX, LedgerError, ledgerFileName } from "../actors/ledger_file.ts";
import { LOCK_FILE_NAME } from "../actors/data_lock.ts";
import { publicKeyFile } from "../actors/keys.ts";
import {
  DEFAULT_DATA_DIR,
  defaultDataDir,
  keySourceOf,
  RunError,
  RunInterruptedError,
} from "../actors/supervisor.ts";
import type { RunReport } from "../consensus/report.ts";
import { CaseError, loadCaseFile, MAX_CASE_BYTES, UOM_CASE_URL } from "../problems/ies-dispatch/case.ts";
import { MAX_SCALE_COPIES, MAX_SCALE_DAYS, scaleCase, ScaleError } from "../problems/ies-dispatch/scale.ts";
import { SolverError } from "../lp/glpk.ts";
import { DEFAULT_SOLVER, type SolverName, SOLVERS } from "../lp/solver.ts";
import { CaseFileError, DEFAULT_PROBLEM, problemKind, problemKinds } from "../problems/registry.ts";
import { PROPOSAL_VARIANTS, type ProposalVariant } from "../consensus/types.ts";
import { ChainCaseError } from "../actors/chain_check.ts";
import { renderTrace } from "../scenarios/render.ts";
import {
  isDays,
  isSeed,
  loadScenarioFile,
  MAX_DAYS,
  MAX_SEED,
  type Scenario,
  ScenarioError,
  SECONDS_RANGE,
  secondsToMs,
} from "../scenarios/loader.ts";
import { caseSummary } from "./case.ts";
import {
  CsvDirError,
  csvFilesOfAnyKind,
  csvHelp,
  DAYS_CSV,
  prepareCsvDir,
  writeRunCsv,
  writeSolveCsv,
} from "./csv.ts";
import { renderDays } from "./days.ts";
import { defaultKeyDir, formatKeys, generateKeys, showKeys } from "./keys.ts";
import { formatLedgerVerdict, verifyLedgerDir } from "./ledger.ts";
import { renderReportHtml } from "./report.ts";
import { liveOutcomeOf } from "../actors/live_event.ts";
import { DEFAULT_LIVE_PORT, finishLive, LIVE_HOST, LiveError, startLiveServer } from "./live.ts";
import { addNetCommand, addNodeCommand } from "./net.ts";
import { NodeError } from "../net/node.ts";
import { readIterationReportFile, renderIterationReportHtml } from "./iteration_report.ts";
import {
  checkDistinct,
  checkOutputDir,
  checkOutputFile,
  type NamedPath,
  OutputPathError,
} from "./outputs.ts";
import {
  type IterationRunReport,
  renderIterationTrace,
  renderSimpleAddTrace,
  runIterationScenario,
  runSimpleAddScenario,
} from "./iteration.ts";
import { loadRunScenario, readRunReportFile, ReportFileError, runLoadedScenario } from "./run.ts";
import { formatSolveReport, runSolve } from "./solve.ts";
import { CertificateFileError, formatVerifyReport, runVerify } from "./verify.ts";
import denoJson from "../deno.json" with { type: "json" };

/** Exit status of a usage error. */
export const EXIT_USAGE = 2;
/** Exit status of a runtime failure or a rejected certificate. */
export const EXIT_FAILURE = 1;
/** Exit status of a run stopped by Ctrl-C (SIGINT): 128 + 2, as shells report a process killed by it. */
export const EXIT_INTERRUPTED = 130;

/** Widest help text, columns (narrower when the terminal is). */
const MAX_HELP_WIDTH = 100;

/**
 * Where the CLI writes; tests pass their own.
 *
 * @example
 * ```ts
 * import { type CliIo, runCli } from "./program.ts";
 * const out: string[] = [];
 * const io: CliIo = {
 *   out: (t) => out.push(t),
 *   err: (t) => out.push(t),
 *   writeFile: (p, t) => Deno.writeTextFile(p, t),
 * };
 * console.log(await runCli(["--version"], io), out); // 0 [ "poso 0.1.0" ]
 * ```
 */
export interface CliIo {
  /** Writes one chunk of standard output (a newline follows). */
  out(text: string): void;
  /** Writes one chunk of standard error (a newline follows). */
  err(text: string): void;
  /** Writes a file (the default one creates its folder when it is missing). */
  writeFile(path: string, text: string): Promise<void>;
  /** True when stderr is a terminal: then long commands print progress notes there. Default: never. */
  errIsTerminal?(): boolean;
  /**
   * Calls `handler` on Ctrl-C (SIGINT) until the returned function is called; a Worker run then
   * stops cleanly and exits {@link EXIT_INTERRUPTED}. Default: Ctrl-C is not caught.
   */
  onInterrupt?(handler: () => void): () => void;
}

const denoIo: CliIo = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  writeFile: async (p, t) => {
    try {
      await Deno.writeTextFile(p, t);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      await Deno.mkdir(dirname(p), { recursive: true });
      await Deno.writeTextFile(p, t);
    }
  },
  errIsTerminal: () => Deno.stderr.isTerminal(),
  onInterrupt: (handler) => {
    Deno.addSignalListener("SIGINT", handler);
    return () => Deno.removeSignalListener("SIGINT", handler);
  },
};

/** Thrown by an action to end with a given exit status after its output. */
class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A runtime failure whose message (naming the file) is the whole story; printed as `poso: <message>`. */
class CliError extends Error {}

/** Help width for a stream: the terminal's width up to {@link MAX_HELP_WIDTH}, else that maximum. */
function helpWidth(stream: { isTerminal(): boolean }): number {
  try {
    return stream.isTerminal() ? Math.min(MAX_HELP_WIDTH, Deno.consoleSize().columns) : MAX_HELP_WIDTH;
  } catch {
    return MAX_HELP_WIDTH;
  }
}

/** The progress callback of a long command: notes on stderr when it is a terminal, never with --json. */
function progressOf(io: CliIo, json: boolean | undefined): ((line: string) => void) | undefined {
  return !json && io.errIsTerminal?.() ? (line) => io.err(`  … ${line}`) : undefined;
}

/** Text after a command's options: the examples, then notes. */
function epilogue(examples: string[], ...notes: string[]): string {
  return `\n${examples.length === 1 ? "Example" : "Examples"}:\n${examples.map((e) => `  ${e}`).join("\n")}` +
    (notes.length > 0 ? `\n\n${notes.join("\n")}` : "");
}

const TOP_EPILOGUE = `
Examples:
  poso run scenarios/scenario1.yaml              run the article's Scenario I on Worker actors
  poso run scenarios/scenario2.yaml --simulate --json > run.json
  poso report run.json -o run.html               the run as a self-contained HTML page
  poso solve                                     solve the bundled dispatch case and check its certificate
  poso solve --problem simple-sum                the tutorial kind's bundled case (docs/adding-a-problem.md)
  poso case check my-case.json                   validate your own case (docs/case-format.md)
  poso ledger verify poso-data/scenario1 --recheck   check the ledgers a run wrote
  poso keys generate my-keys --scenario scenarios/scenario1.yaml

Run 'poso <command> --help' for a command's options, defaults and examples.
Exit status: 0 success, 1 failure (the message names the file), 2 usage error.
Output is plain text, never coloured (NO_COLOR is always honoured); progress notes go to stderr,
only when it is a terminal, and never with --json.`;

/** Help of `--case` for `poso solve` and `poso verify`. */
const CASE_OPTION_HELP = "the case (JSON) of the problem (default: the problem kind's bundled case; " +
  "for ies-dispatch the University of Manchester case)";

/** `--problem <kind>` of `poso solve` and `poso verify`: a registered kind; `defaultText` says what applies without it. */
function problemOption(
  defaultText = `the kind whose validator accepts --case, else ${DEFAULT_PROBLEM}`,
): Option {
  return new Option("--problem <kind>", `the problem kind (default: ${defaultText})`).choices(problemKinds());
}

function buildProgram(io: CliIo): Command {
  const program = new Command("poso")
    .description(
      "PoSo-TS: Proof-of-Solution consensus for energy dispatch. Delegates take turns to solve the day's\n" +
        "dispatch LP; the others accept a proposal only after checking its optimality certificate.",
    )
    .version(`poso ${denoJson.version}`, "-V, --version", "print the version")
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // One line per error: commander puts its "(Did you mean …?)" suggestion on a line of its own.
      outputError: (s, write) => write(s.replace(/\n\(Did you mean/, " (Did you mean")),
      // Plain text: no colour, whatever the terminal or FORCE_COLOR say (commander would otherwise read
      // the environment); any escape sequence would be stripped.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      getOutHelpWidth: () => helpWidth(Deno.stdout),
      getErrHelpWidth: () => helpWidth(Deno.stderr),
    })
    .exitOverride()
    .addHelpText("after", TOP_EPILOGUE);

  program
    .command("run")
    .summary("run a scenario (YAML) and print who received what, round by round")
    .description(
      "Run a PoSo scenario (YAML; scenarios/README.md) on Worker actors, one block per day, each\n" +
        "participant appending to its ledger in the data directory, and print who received what in\n" +
        "every round. --simulate runs one block in the deterministic simulator instead (instant).",
    )
    .argument("<scenario>", "scenario file, e.g. scenarios/scenario1.yaml")
    .option(
      "--json",
      "print the trace as JSON Lines: one run report per day, each as soon as it is decided (input of `poso report`)",
    )
    .option(
      "--seed <n>",
      `seed of message order and delays, and of the days' load factors, 0 to ${MAX_SEED} ` +
        "(default: the scenario's seed, else 1)",
      parseSeed,
    )
    .option(
      "--timings",
      "also print where the wall time went (start-up, solving, checking, signing, waiting)",
    )
    .option("--simulate", "run one block in the deterministic simulator (virtual time, instant) instead")
    .option(
      "--full-rounds",
      "wait out every round timeout on the wall clock, as separate machines would (default: a round " +
        "ends as soon as every Worker is idle and nothing is due before its timeout; same decisions)",
    )
    .option(
      "--timeout <sec>",
      `round timeout in seconds, ${SECONDS_RANGE} (default: the scenario's round_timeout_sec, else 3)`,
      parseTimeout,
    )
    .option(
      "--data <dir>",
      "where a Worker run keeps one ledger per participant (and keys/, unless the scenario names a key " +
        `directory) (default: ${DEFAULT_DATA_DIR}/<scenario file name without .yaml>)`,
    )
    .option(
      "--days <n>",
      `days to dispatch on Workers, one block each, 1 to ${MAX_DAYS} (default: the scenario's days, else 1)`,
      parseDays,
    )
    .option(
      "--until <day>",
      "dispatch until the chain holds this day's block, whatever it holds already (a rerun after a crash finishes the plan)",
      parseCount,
    )
    .option(
      "--report <file>",
      "also write a self-contained HTML report of the run (every day, with a day picker; of a price iteration: its trajectory)",
    )
    .option(
      "--case <file>",
      "the case (JSON) every day's problem is built from, relative to the current directory " +
        "(default: the scenario's case:, else the problem kind's bundled case)",
    )
    .addOption(
      new Option(
        "--solver <name>",
        "the LP solver a leader solves with (default: the scenario's solver:, else " +
          `${DEFAULT_SOLVER})`,
      ).choices([...SOLVERS]),
    )
    .option(
      "--csv <dir>",
      `also write CSV files in this directory (made if missing): ${csvHelp(true)}`,
    )
    .option(
      "--live",
      `serve a live page of the Worker run at http://${LIVE_HOST}:<port>/ while it goes on (read-only; ` +
        "it stays up after the run until Ctrl-C; needs --allow-net, as `deno task live` grants); for the " +
        "published price iteration (also with --simulate) the price trajectory, round by round",
    )
    .option(
      "--port <n>",
      `the live page's port, 0 to 65535, 0 for any free one (default: ${DEFAULT_LIVE_PORT})`,
      parsePort,
    )
    .addHelpText(
      "after",
      epilogue(
        [
          "poso run scenarios/scenario1.yaml",
          "poso run scenarios/scenario1.yaml --live --port 8765 --full-rounds   # watch it at http://127.0.0.1:8765/",
          "poso run scenarios/scenario1.yaml --case my-case.json --data out/my-case --solver glpk",
          "poso run scenarios/scenario1.yaml --until 5 --data out/week   # rerun it after a crash: same command",
          "poso run scenarios/scenario4.yaml --json > run.json",
          "poso run scenarios/scenario1.yaml --days 7 --data out/week --json > week.jsonl   # a line per day, as decided",
          "poso run scenarios/scenario2.yaml --simulate --seed 7 --report out/s2.html",
        ],
        "Exit status: 0 when normal nodes accepted a block (every day), 1 when none was or the run failed.",
      ),
    )
    .action(
      async (
        file: string,
        opts: {
          json?: boolean;
          seed?: number;
          timings?: boolean;
          simulate?: boolean;
          fullRounds?: boolean;
          timeout?: number;
          data?: string;
          days?: number;
          until?: number;
          report?: string;
          case?: string;
          solver?: SolverName;
          csv?: string;
          live?: boolean;
          port?: number;
        },
        cmd: Command,
      ) => {
        if (opts.port !== undefined && !opts.live) {
          cmd.error("error: --port is the live page's port: add --live", { exitCode: EXIT_USAGE });
        }
        if (opts.days !== undefined && opts.until !== undefined) {
          cmd.error("error: --days and --until exclude each other", { exitCode: EXIT_USAGE });
        }
        const workerOnly = opts.days !== undefined || opts.until !== undefined || opts.fullRounds ||
          cmd.getOptionValueSource("data") === "cli";
        if (opts.simulate && workerOnly) {
          cmd.error(
            "error: --days, --until, --data and --full-rounds apply to Worker runs; --simulate runs one block " +
              "in virtual time and writes no ledger",
            {
              exitCode: EXIT_USAGE,
            },
          );
        }
        // Everything the run will write is checked before it starts (a bad --report must not cost a run).
        const scenario = await loadRunScenario(file, {
          seed: opts.seed,
          casePath: opts.case,
          solver: opts.solver,
        });
        if (opts.live && opts.simulate && scenario.iteration?.kind !== "market") {
          cmd.error(
            "error: --live shows a Worker run as it goes on; --simulate runs in virtual time (use --report)",
            { exitCode: EXIT_USAGE },
          );
        }
        if (scenario.iteration) {
          // The published iteration (not PoSo): one run, on Workers or in the simulator; no ledger, no report page.
          if (workerOnly || opts.csv) {
            cmd.error(
              "error: --days, --until, --data, --full-rounds and --csv apply to PoSo runs; this scene " +
                "class runs the published price iteration (scenarios/README.md)",
              { exitCode: EXIT_USAGE },
            );
          }
          if (opts.live && scenario.iteration.kind === "simple-add") {
            cmd.error("error: --live draws a market's price trajectory; a SimpleAdd scene has none", {
              exitCode: EXIT_USAGE,
            });
          }
          const workers = !opts.simulate;
          if (opts.report && scenario.iteration.kind === "simple-add") {
            cmd.error("error: --report draws a market's prices; a SimpleAdd scene has none", {
              exitCode: EXIT_USAGE,
            });
          }
          if (opts.report) await checkRunOutputs(scenario, undefined, { report: opts.report });
          if (scenario.iteration.kind === "simple-add") {
            const report = await runSimpleAddScenario(scenario, { workers });
            io.out(opts.json ? JSON.stringify(report) : renderSimpleAddTrace(report));
            if (!report.converged) throw new ExitStatus(EXIT_FAILURE);
            return;
          }
          // The live page starts before the run (a taken port or a missing permission costs no run); the
          // simulator runs in one go, so its page fills when the run is over, from the server's log.
          const live = opts.live
            ? await startLiveServer({ port: opts.port ?? DEFAULT_LIVE_PORT })
            : undefined;
          if (live) io.err(`live page: ${live.url}`);
          let report: IterationRunReport | undefined;
          try {
            report = await runIterationScenario(scenario, {
              workers,
              ...(live ? { onEvent: live.publish } : {}),
            });
            io.out(opts.json ? JSON.stringify(report) : renderIterationTrace(report));
            if (opts.report) {
              await io.writeFile(opts.report, renderIterationReportHtml(report));
              if (!opts.json) io.out(`report written to ${opts.report}`);
            }
          } finally {
            if (live) {
              await finishLive(live, {
                ok: report?.converged ?? false,
                text: !report
                  ? "the run failed"
                  : `${report.converged ? "converged" : "did not converge"} after ${report.rounds} rounds`,
              }, io);
            }
          }
          if (!report.converged) throw new ExitStatus(EXIT_FAILURE);
          return;
        }
        const dataDir = opts.data ?? defaultDataDir(scenario);
        await checkRunOutputs(scenario, opts.simulate ? undefined : dataDir, opts);
        const progress = progressOf(io, opts.json);
        if (opts.simulate) progress?.(`simulating ${file} (virtual time)`);
        // --json keeps `dispatch` (the hourly series `poso report` draws); timings only with --timings.
        const shown = (r: RunReport): RunReport => opts.timings ? r : { ...r, timings: undefined };
        let printed = 0;
        // Each day is printed as soon as it is decided: a JSON line (flushed), or its trace under a heading.
        const onDay = (r: RunReport) => {
          printed++;
          if (opts.json) io.out(JSON.stringify(shown(r)));
          else {
            const heading = r.day ? `Day ${printed}, block ${r.day.height}\n\n` : "";
            io.out(`${printed > 1 ? "\n" : ""}${heading}${renderTrace(shown(r), scenario)}`);
          }
        };
        // The live page starts before the run (a taken port or a missing permission costs no run).
        const live = opts.live ? await startLiveServer({ port: opts.port ?? DEFAULT_LIVE_PORT }) : undefined;
        if (live) io.err(`live page: ${live.url}`);
        const dayDone = (r: RunReport) => {
          if (live && r.day) live.publish(liveOutcomeOf(r.day.height, r));
          return onDay(r);
        };
        // Ctrl-C stops a Worker run cleanly: the Workers are terminated, the lock released, exit 130.
        const interrupt = new AbortController();
        const stopListening = opts.simulate ? undefined : io.onInterrupt?.(() => interrupt.abort());
        let reports: RunReport[];
        try {
          reports = await runLoadedScenario(scenario, {
            simulate: opts.simulate,
            timeoutSec: opts.timeout,
            dataDir,
            days: opts.days,
            untilHeight: opts.until,
            fullRounds: opts.fullRounds,
            progress,
            onDay: dayDone,
            signal: interrupt.signal,
            ...(live ? { onEvent: live.publish } : {}),
          });
        } catch (e) {
          await live?.close();
          if (!(e instanceof RunInterruptedError)) throw e;
          io.err(`poso: ${interruptedMessage(e, printed, file, opts)}`);
          throw new ExitStatus(EXIT_INTERRUPTED);
        } finally {
          stopListening?.();
        }
        // The trace, report and CSV are written first; then a live page stays up until Ctrl-C.
        try {
          if (reports.length === 0) {
            io.out(`the chain in ${dataDir} already holds block ${opts.until}: no day left to dispatch`);
            return;
          }
          if (reports.length > 1 && !opts.json) io.out("\n" + renderDays(reports));
          const last = reports[reports.length - 1];
          if (opts.report && last) {
            // Every day of a multi-day run: the charts across days and a day picker.
            await io.writeFile(opts.report, renderReportHtml(reports, { scenario }));
            if (!opts.json) io.out(`report written to ${opts.report}`);
          }
          if (opts.csv) {
            const written = await writeRunCsv(opts.csv, reports, io.writeFile, problemKind(scenario.problem));
            if (!opts.json) io.out(`CSV written to ${written.join(", ")}`);
          }
          if (!last?.outcome) throw new ExitStatus(EXIT_FAILURE);
        } finally {
          if (live) {
            const decided = reports.filter((r) => r.outcome).length;
            await finishLive(live, {
              ok: reports.length > 0 && decided === reports.length,
              text: reports.length === 0
                ? "no day left to dispatch"
                : `${decided} of ${reports.length} ${reports.length === 1 ? "day" : "days"} decided a block`,
            }, io);
          }
        }
      },
    );

  program
    .command("report")
    .summary("write the HTML report of a run saved with `poso run --json`")
    .description(
      "Write the self-contained HTML report (charts of the accepted dispatch, the message flow of every\n" +
        "round, the normal-node phase) of a run saved with `poso run --json`. For a multi-day run (a line\n" +
        "per day) the page holds every day (charts across days, a day picker), or the one --day names.\n" +
        "For a run of the published price iteration (a MultiEnergyPark scene) the page shows its price\n" +
        "trajectory, final prices, communities, convergence and blacklists.",
    )
    .argument(
      "<run.json>",
      "what `poso run --json` printed: a run report per line (JSON Lines), or one report or an array of them",
    )
    .option(
      "-o, --out <file>",
      "the HTML file to write (default: <run.json> with .html instead of .json or .jsonl)",
    )
    .option(
      "--day <n>",
      "the day (block height) of a multi-day run to report alone (default: every day, with a day picker)",
      parseCount,
    )
    .option(
      "--scenario <yaml>",
      "the run's scenario file: adds its description and every participant's behaviours, and orders the nodes as the file does",
    )
    .option("--title <text>", "the page title (default: PoSo run report: <scenario name>)")
    .addHelpText(
      "after",
      epilogue([
        "poso run scenarios/scenario1.yaml --simulate --json > run.json && poso report run.json -o run.html",
        "poso report week.jsonl --day 3 -o day3.html --scenario scenarios/scenario1.yaml",
      ]),
    )
    .action(async (file: string, opts: { out?: string; day?: number; scenario?: string; title?: string }) => {
      const out = opts.out ?? file.replace(/\.jsonl?$/i, "") + ".html";
      await checkOutputFile(out, opts.out === undefined ? "the default of -o, --out" : "-o, --out");
      await checkDistinct([{ path: out, what: "-o, --out" }], [
        { path: file, what: "the run's JSON" },
        ...(opts.scenario === undefined ? [] : [{ path: opts.scenario, what: "the scenario file" }]),
      ]);
      const iteration = await readIterationReportFile(file);
      if (iteration) {
        if (opts.day !== undefined) {
          throw new ReportFileError(file, "is a price-iteration run (one run, no days): drop --day");
        }
        await io.writeFile(out, renderIterationReportHtml(iteration, { title: opts.title }));
        io.out(`report written to ${out}`);
        return;
      }
      const { report, days, day, all } = await readRunReportFile(file, { day: opts.day });
      const scenario = opts.scenario === undefined ? undefined : await loadScenarioFile(opts.scenario);
      if (scenario && scenario.name !== report.scenario) {
        io.err(
          `poso: note: ${file} is a run of "${report.scenario}", ${opts.scenario} is "${scenario.name}"`,
        );
      }
      // Without --day a multi-day run's page holds every day (charts across days, a day picker).
      const shown = opts.day === undefined ? all : [report];
      await io.writeFile(out, renderReportHtml(shown, { scenario, title: opts.title }));
      const which = days <= 1
        ? ""
        : opts.day === undefined
        ? ` (all ${days} days)`
        : ` (day ${day} of ${days})`;
      io.out(`report written to ${out}${which}`);
      if (!report.dispatch) {
        io.out(
          `${file} has no dispatch series (no block, or an older poso): the page shows the message flow only`,
        );
      }
    });

  program
    .command("solve")
    .summary("solve a case's problem with an LP solver and check its certificate")
    .description(
      "Build day 1's problem of a case (any problem kind: " + problemKinds().join(", ") +
        "), solve it with\n" +
        "the chosen LP solver, check the solution's optimality certificate against the LP as a follower\n" +
        "would, and report its true cost, what the kind adds (the dispatch, docs/model.md: cost and energy\n" +
        "by source) and timings.",
    )
    .addOption(
      new Option("--variant <name>", "which proposal to produce (the proposals a leader can make)")
        .choices([...PROPOSAL_VARIANTS])
        .default("optimal"),
    )
    .addOption(problemOption())
    .option("--case <file>", CASE_OPTION_HELP)
    .addOption(
      new Option("--solver <name>", "the LP solver").choices([...SOLVERS]).default(DEFAULT_SOLVER),
    )
    .option("--out <file>", "also write the certificate (x, y) to this JSON file, for `poso verify`")
    .option("--json", "print one JSON object instead of the readable summary")
    .option("--csv <dir>", `also write the solution as CSV in this directory: ${csvHelp(false)}`)
    .addHelpText(
      "after",
      epilogue([
        "poso solve                                    # the bundled dispatch case, with " + DEFAULT_SOLVER,
        "poso solve --variant selfish --out selfish.json --solver glpk",
        "poso solve --case my-case.json --json         # the kind is the one the case fits",
        "poso solve --case out/x4.json --csv out/x4",
        "poso solve --problem simple-sum --csv out/sum # SimpleSum's bundled case: values.csv",
      ]),
    )
    .action(
      async (
        opts: {
          variant: ProposalVariant;
          problem?: string;
          case?: string;
          solver: SolverName;
          out?: string;
          json?: boolean;
          csv?: string;
        },
      ) => {
        if (opts.csv) await prepareCsvDir(opts.csv, csvFilesOfAnyKind(false));
        if (opts.out !== undefined) {
          await checkOutputFile(opts.out, "--out");
          await checkDistinct(
            [
              { path: opts.out, what: "--out" },
              ...csvFilesOfAnyKind(false).flatMap((name) =>
                opts.csv === undefined ? [] : [{ path: `${opts.csv}/${name}`, what: `--csv's ${name}` }]
              ),
            ],
            opts.case === undefined ? [] : [{ path: opts.case, what: "the case file" }],
          );
        }
        progressOf(io, opts.json)?.(
          `building ${
            opts.problem ?? "the case's"
          } problem and solving the ${opts.variant} variant with ${opts.solver}`,
        );
        const { report, details, certificate, summary, kind } = await runSolve({
          variant: opts.variant,
          solver: opts.solver,
          ...(opts.problem === undefined ? {} : { problem: opts.problem }),
          ...(opts.case === undefined ? {} : { casePath: opts.case }),
        });
        if (opts.out) await io.writeFile(opts.out, JSON.stringify(certificate) + "\n");
        const csvFile = opts.csv ? await writeSolveCsv(opts.csv, kind, summary, io.writeFile) : undefined;
        io.out(opts.json ? JSON.stringify(report) : formatSolveReport(report, details));
        if (opts.out && !opts.json) io.out(`Certificate written to ${opts.out}`);
        if (opts.csv && !opts.json) {
          io.out(csvFile ? `CSV written to ${csvFile}` : `${kind.name} writes no CSV of a solution`);
        }
      },
    );

  addCaseCommand(program, io);

  program
    .command("verify")
    .summary("check a certificate file against the LP this program builds itself")
    .description(
      "Check a certificate file (x, y; as `poso solve --out` writes) against day 1's LP that this\n" +
        "program builds itself from the case: feasibility, then the duality gap. Without --problem and\n" +
        "--case, the bundled case of the kind whose LP the certificate names.",
    )
    .argument("<certificate>", "certificate JSON file, as written by `poso solve --out`")
    .addOption(
      problemOption(
        "with --case, the kind whose validator accepts it; else the kind whose bundled case's LP the " +
          `certificate names, else ${DEFAULT_PROBLEM}`,
      ),
    )
    .option("--case <file>", CASE_OPTION_HELP)
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      epilogue(
        [
          "poso verify cert.json",
          "poso verify cert.json --case my-case.json --json",
          "poso verify sum.json --problem simple-sum",
        ],
        "Exit status: 0 accepted, 1 rejected or unreadable.",
      ),
    )
    .action(async (file: string, opts: { problem?: string; case?: string; json?: boolean }) => {
      const report = await runVerify(file, {
        ...(opts.problem === undefined ? {} : { problem: opts.problem }),
        ...(opts.case === undefined ? {} : { casePath: opts.case }),
      });
      io.out(opts.json ? JSON.stringify(report) : formatVerifyReport(report));
      if (report.verdict.verdict !== "accepted") throw new ExitStatus(EXIT_FAILURE);
    });

  const ledger = program
    .command("ledger")
    .summary("check the ledgers of a data directory (ledger verify)")
    .description("Inspect the ledgers `poso run` writes (one <name>.ledger.jsonl per participant).")
    .addHelpText("after", epilogue(["poso ledger verify", "poso ledger verify out/week --recheck"]));
  ledger
    .command("verify")
    .summary("check hash chain, signatures, quorum and agreement of every ledger")
    .description(
      "Check every ledger in a data directory: each record's hash and the chain links, every signature,\n" +
        "the quorum, the evidence and the blacklist each block derives from its round, every block's\n" +
        "certificate against its day's LP, that no ledger is missing, extra, a link or behind the others,\n" +
        "and that the ledgers agree; with --recheck also recompute each block's true cost.",
    )
    .argument("[dir]", "data directory (as given to `poso run --data`)", DEFAULT_DATA_DIR)
    .option("--recheck", "also recompute each block's true cost from its day's model")
    .option("--keys <dir>", "check the chain's public keys against the .pub files of this key directory")
    .option(
      "--case <file>",
      "the chain's case file (JSON), needed when the genesis names a case other than the bundled one; " +
        "its SHA-256 must be the genesis' caseDigest",
    )
    .option("--json", "print the verdict as JSON")
    .addHelpText(
      "after",
      epilogue(
        [
          "poso ledger verify poso-data/scenario1",
          "poso ledger verify out/week --recheck",
          "poso ledger verify poso-data/scenario1 --keys poso-data/scenario1/keys --json",
          "poso ledger verify out/my-case --recheck --case my-case.json",
        ],
        "Exit status: 0 every ledger verified; 1 otherwise, naming the first bad block of each ledger.",
      ),
    )
    .action(
      async (dir: string, opts: { recheck?: boolean; keys?: string; case?: string; json?: boolean }) => {
        await requireDirectory(dir, "data directory", "`poso run --data DIR` writes one");
        progressOf(io, opts.json)?.(
          `checking the ledgers in ${dir}${opts.recheck ? ", recomputing each block's true cost" : ""}`,
        );
        const verdict = await verifyLedgerDir(dir, {
          recheck: opts.recheck,
          keysDir: opts.keys,
          ...(opts.case === undefined ? {} : { casePath: opts.case }),
        });
        if (opts.json) io.out(JSON.stringify(verdict));
        if (verdict.files.length === 0) {
          if (!verdict.summary.startsWith("no ledger")) throw new CliError(verdict.summary);
          const below = await foldersWithLedgers(dir);
          throw new CliError(
            `${dir}: no ledger file (*${LEDGER_FILE_SUFFIX}) in this directory; ` +
              (below.length > 0
                ? `its folders ${below.join(", ")} hold ledgers (a run without --data writes in ` +
                  `${DEFAULT_DATA_DIR}/<scenario>): poso ledger verify ${dir}/${below[0]}`
                : `\`poso run --data ${dir}\` writes them`),
          );
        }
        if (!opts.json) io.out(formatLedgerVerdict(verdict));
        if (!verdict.ok) throw new ExitStatus(EXIT_FAILURE);
      },
    );

  const keys = program
    .command("keys")
    .summary("create or show the participants' Ed25519 keys")
    .description(
      "Manage a key directory: <name>.key (private, mode 0600, never printed) and <name>.pub (public)\n" +
        "for each participant of a scenario.",
    )
    .addHelpText(
      "after",
      epilogue([
        "poso keys generate my-keys --scenario scenarios/scenario1.yaml",
        "poso keys show my-keys --scenario scenarios/scenario1.yaml",
      ]),
    );
  const keyDirArg =
    "key directory (default: the scenario's keys: directory, else poso-data/<scenario file name without .yaml>/keys, " +
    "where `poso run` without --data looks)";
  keys
    .command("generate")
    .summary("create the missing key pairs; print the public keys")
    .description(
      "Create the missing Ed25519 key pairs of the scenario's participants in the key directory (existing\n" +
        "keys are kept and checked), then print the names created and every PUBLIC key.",
    )
    .argument("[dir]", keyDirArg)
    .requiredOption("--scenario <yaml>", "the scenario whose participants need keys (required)")
    .option("--json", "print { dir, created, keys } as JSON")
    .addHelpText(
      "after",
      epilogue(
        ["poso keys generate my-keys --scenario scenarios/scenario1.yaml"],
        "Private keys are written to <dir>/<name>.key and are never printed.",
      ),
    )
    .action(async (dir: string | undefined, opts: { scenario: string; json?: boolean }) => {
      const scenario = await loadScenarioFile(opts.scenario);
      const report = await generateKeys(dir ?? defaultKeyDir(scenario), scenario);
      io.out(opts.json ? JSON.stringify(report) : formatKeys(report, "generate"));
    });
  keys
    .command("show")
    .summary("print every participant's public key")
    .description("Print each participant's public key from its <name>.pub file in the key directory.")
    .argument("[dir]", keyDirArg)
    .requiredOption("--scenario <yaml>", "the scenario whose participants to show (required)")
    .option("--json", "print { dir, created, keys } as JSON")
    .addHelpText("after", epilogue(["poso keys show my-keys --scenario scenarios/scenario1.yaml"]))
    .action(async (dir: string | undefined, opts: { scenario: string; json?: boolean }) => {
      const scenario = await loadScenarioFile(opts.scenario);
      const report = await showKeys(dir ?? defaultKeyDir(scenario), scenario);
      io.out(opts.json ? JSON.stringify(report) : formatKeys(report, "show"));
    });

  showUsageAfterErrors(program);
  const netIo = {
    ...io,
    exit: (code: number): never => {
      throw new ExitStatus(code);
    },
  };
  addNodeCommand(program, netIo);
  addNetCommand(program, netIo);
  return program;
}

/** `poso case`: check a case file, or write a scaled one (docs/case-format.md). */
function addCaseCommand(program: Command, io: CliIo): void {
  const cases = program
    .command("case")
    .summary("check a case file, or write a bigger one for scaling studies")
    .description(
      "Dispatch case files (JSON; docs/case-format.md, schema problems/ies-dispatch/case.schema.json).",
    )
    .addHelpText(
      "after",
      epilogue([
        "poso case check my-case.json",
        "poso case scale my-case.json --copies 4 --days 7 -o out/big.json",
      ]),
    );
  cases
    .command("check")
    .summary("validate a case file and summarise it")
    .description(
      "Validate a case file as every poso command does (unknown keys, ranges, references, back-references)\n" +
        "and summarise it; --json prints the validated case with every default filled in.",
    )
    .argument("<case>", "case file (JSON)")
    .option("--json", "print the validated case (defaults filled in) as JSON")
    .addHelpText(
      "after",
      epilogue(
        ["poso case check my-case.json", "poso case check my-case.json --json > filled.json"],
        "Exit status: 0 valid, 1 not.",
      ),
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const c = await loadCaseFile(file);
      io.out(opts.json ? JSON.stringify(c, null, 2) : `${file}: valid\n${caseSummary(c)}`);
    });
  cases
    .command("scale")
    .summary("write k copies of a case tied at the grid bus, over a d-day horizon")
    .description(
      "Write a bigger valid case for scaling studies: --copies k copies of the whole system, ids\n" +
        "renumbered, tied at the grid (slack) bus by zero-impedance branches and at the gas source by\n" +
        "pipes; --days d repeats the day's prices and load factors d times, storage running over the\n" +
        "whole horizon. docs/case-format.md says how ids are renumbered and what the optimum costs.",
    )
    .argument("[case]", "case file (JSON) (default: the bundled UoM case)")
    .requiredOption("-o, --out <file>", "the case file to write (JSON)")
    .option(
      "--copies <k>",
      `copies of the system, 1 to ${MAX_SCALE_COPIES}`,
      wholeFrom1To(MAX_SCALE_COPIES),
      1,
    )
    .option("--days <d>", `days of the horizon, 1 to ${MAX_SCALE_DAYS}`, wholeFrom1To(MAX_SCALE_DAYS), 1)
    .addHelpText(
      "after",
      epilogue([
        "poso case scale my-case.json --copies 4 -o out/x4.json",
        "poso case scale --copies 2 --days 7 -o out/uom-x2-week.json && poso solve --case out/uom-x2-week.json",
      ]),
    )
    .action(async (file: string | undefined, opts: { out: string; copies: number; days: number }) => {
      await checkOutputFile(opts.out, "-o, --out");
      if (file !== undefined) {
        await checkDistinct([{ path: opts.out, what: "-o, --out" }], [{ path: file, what: "its input" }]);
      }
      const source = file ?? UOM_CASE_URL;
      const c = scaleCase(await loadCaseFile(source), { copies: opts.copies, days: opts.days });
      const text = JSON.stringify(c, null, 2) + "\n";
      const bytes = new TextEncoder().encode(text).length;
      if (bytes > MAX_CASE_BYTES) {
        throw new CliError(
          `${opts.out}: the scaled case would be ${formatBytes(bytes)}, and poso reads case files up to ` +
            `${formatBytes(MAX_CASE_BYTES)}: use fewer copies or days`,
        );
      }
      await io.writeFile(opts.out, text);
      io.out(`${opts.out}: ${caseSummary(c)}`);
    });
}

/**
 * Checks every path a `poso run` writes before it starts (cli/outputs.ts): `--report`, the `--csv`
 * directory and its files, the data directory of a Worker run; and that none of them is another
 * output, a ledger, lock or key file of the data directory, the scenario file or its case file.
 */
async function checkRunOutputs(
  scenario: Scenario,
  dataDir: string | undefined,
  opts: { report?: string; csv?: string },
): Promise<void> {
  const outputs: NamedPath[] = [];
  const inputs: NamedPath[] = [{ path: scenario.file, what: "the scenario file" }];
  if (scenario.casePath !== undefined) inputs.push({ path: scenario.casePath, what: "the case file" });
  if (dataDir !== undefined) {
    await checkOutputDir(dataDir, "--data");
    inputs.push({ path: `${dataDir}/${LOCK_FILE_NAME}`, what: "the data directory's lock file" });
    for (const p of scenario.participants) {
      if (p.normal) inputs.push({ path: ledgerFileName(dataDir, p.name), what: `the ledger of ${p.name}` });
    }
    const keys = keySourceOf(scenario, dataDir);
    if (keys.kind === "dir") {
      for (const p of scenario.participants) {
        inputs.push({ path: publicKeyFile(keys.dir, p.name), what: `the public key of ${p.name}` });
        inputs.push({ path: `${keys.dir}/${p.name}.key`, what: `the private key of ${p.name}` });
      }
    }
  }
  if (opts.csv !== undefined) {
    const own = problemKind(scenario.problem).csv?.file;
    const files = [DAYS_CSV, ...(own === undefined ? [] : [own])];
    await prepareCsvDir(opts.csv, files);
    for (const name of files) {
      outputs.push({ path: `${opts.csv}/${name}`, what: `--csv's ${name}` });
    }
  }
  if (opts.report !== undefined) {
    await checkOutputFile(opts.report, "--report");
    outputs.push({ path: opts.report, what: "--report" });
  }
  await checkDistinct(outputs, inputs);
}

/** `word` as one shell word: quoted when it holds anything but letters, digits and `@%+=:,./-`. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * What a run stopped by Ctrl-C says on stderr: where it stopped, what was printed, and the command
 * that finishes the plan (the options that decide the chain and its days kept: --data, --seed,
 * --case, --solver, --timeout, --full-rounds).
 */
function interruptedMessage(
  e: RunInterruptedError,
  printed: number,
  file: string,
  opts: {
    data?: string;
    seed?: number;
    case?: string;
    solver?: string;
    timeout?: number;
    fullRounds?: boolean;
  },
): string {
  const shown = printed === 0
    ? "no day was printed"
    : printed === 1
    ? "the day decided was printed"
    : `the ${printed} days decided were printed`;
  const words = ["poso", "run", file];
  if (opts.data !== undefined) words.push("--data", opts.data);
  if (opts.seed !== undefined) words.push("--seed", String(opts.seed));
  if (opts.case !== undefined) words.push("--case", opts.case);
  if (opts.solver !== undefined) words.push("--solver", opts.solver);
  if (opts.timeout !== undefined) words.push("--timeout", String(opts.timeout));
  if (opts.fullRounds) words.push("--full-rounds");
  words.push("--until", String(e.planned));
  const finish = e.planned > e.lastDecided ? `; \`${words.map(shellWord).join(" ")}\` finishes the plan` : "";
  return `Ctrl-C: ${e.message}; ${shown}${finish}`;
}

/** The command's full name, e.g. `poso ledger verify`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** After a usage error, every command prints its usage line and where to find more. */
function showUsageAfterErrors(cmd: Command): void {
  const path = commandPath(cmd);
  const what = cmd.commands.length > 0 ? "its commands" : "the options, defaults and examples";
  cmd.showHelpAfterError(`Usage: ${path} ${cmd.usage()}\nRun '${path} --help' for ${what}.`);
  for (const sub of cmd.commands) showUsageAfterErrors(sub);
}

/** Most folders {@link foldersWithLedgers} names. */
const MAX_LEDGER_FOLDERS_SHOWN = 5;

/** The folders of `dir` (sorted, at most a few) that hold a ledger file: where to point a user. */
async function foldersWithLedgers(dir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory) continue;
      for await (const inner of Deno.readDir(`${dir}/${entry.name}`)) {
        if (inner.isFile && inner.name.endsWith(LEDGER_FILE_SUFFIX)) {
          found.push(entry.name);
          break;
        }
      }
    }
  } catch {
    // Only a hint: an unreadable folder is left out.
  }
  return found.sort().slice(0, MAX_LEDGER_FOLDERS_SHOWN);
}

/** Throws a CliError unless `dir` is a directory. */
async function requireDirectory(dir: string, what: string, hint: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CliError(`${dir}: no such ${what} (${hint})`);
    throw e;
  }
  if (!info.isDirectory) throw new CliError(`${dir}: not a directory`);
}

/** Parses `--port`: a TCP port from 0 (any free one) to 65535. */
function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new InvalidArgumentError("Expected a port from 0 to 65535 (0: any free port).");
  }
  return n;
}

/** Parses `--timeout`: seconds within SECONDS_RANGE, the rule of a scenario's round_timeout_sec. */
function parseTimeout(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || secondsToMs(n) === undefined) {
    throw new InvalidArgumentError(
      `Expected a number of seconds from ${SECONDS_RANGE} (whole milliseconds).`,
    );
  }
  return n;
}

/** Parses `--seed`: an integer from 0 to MAX_SEED (u32), the rule of a scenario's seed. */
function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !isSeed(n)) {
    throw new InvalidArgumentError(
      `Expected a whole number from 0 to ${MAX_SEED} (u32, as a scenario's seed).`,
    );
  }
  return n;
}

/** Parses `--days`: an integer from 1 to MAX_DAYS, the rule of a scenario's days. */
function parseDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !isDays(n)) {
    throw new InvalidArgumentError(`Expected a whole number of days from 1 to ${MAX_DAYS}.`);
  }
  return n;
}

/** A parser of a whole number from 1 to `max` (commander's argParser; a usage error otherwise). */
function wholeFrom1To(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) {
      throw new InvalidArgumentError(`Expected a whole number from 1 to ${max}.`);
    }
    return n;
  };
}

/** Parses a count (a whole number >= 1). */
function parseCount(value: string): number {
  const n = parseWhole(value);
  if (n < 1) throw new InvalidArgumentError("Expected a whole number of at least 1.");
  return n;
}

/**
 * Parses a whole number option value (commander's argParser); throws an
 * InvalidArgumentError (a usage error) otherwise.
 *
 * @example
 * ```ts
 * import { parseWhole } from "./program.ts";
 * console.log(parseWhole("7")); // 7
 * ```
 */
export function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("Expected a whole number.");
  }
  return n;
}

/** Errors whose message is the whole story for a user (no stack trace); each names its file. */
function isUserFacing(e: unknown): e is Error {
  return e instanceof CliError || e instanceof CaseError || e instanceof SolverError ||
    e instanceof ScaleError || e instanceof CsvDirError ||
    e instanceof CertificateFileError || e instanceof ScenarioError || e instanceof KeyError ||
    e instanceof LedgerError || e instanceof RunError || e instanceof ReportFileError ||
    e instanceof InputFileError || e instanceof CaseFileError || e instanceof ChainCaseError ||
    e instanceof OutputPathError || e instanceof NodeError || e instanceof LiveError;
}

/** File-system errors (Deno's `<what> (os error N): <op> '<path>'`), shown as `<path>: <what>`. */
function isFileSystemError(e: unknown): e is Error {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.IsADirectory || e instanceof Deno.errors.NotADirectory ||
    e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.FilesystemLoop;
}

function fileSystemMessage(e: Error): string {
  const m = /^(.*?) \(os error \d+\)(?:: \w+ '(.*)')?/.exec(e.message);
  if (!m) return e.message;
  return m[2] === undefined ? m[1] : `${m[2]}: ${m[1]}`;
}

/**
 * A permission this Deno process was not granted (NotCapable). `poso` (the
 * task and the compiled binary) may read and write any path; the scenario
 * tasks only below poso-data; a `deno run main.ts` has whatever its flags grant.
 */
function permissionMessage(e: Error): string {
  const what = e.message.split(",")[0]; // `Requires write access to "x"`
  const path = /"(.*)"/.exec(what)?.[1];
  const target = path ? `"${path}"` : "there";
  if (/write access/.test(what)) {
    return `cannot write ${target}: this poso was started without write permission there (the scenario ` +
      `tasks may write only below ${DEFAULT_DATA_DIR}; the poso task and the compiled binary anywhere; with ` +
      "deno run, add --allow-write)";
  }
  if (/read access/.test(what)) {
    return `cannot read ${target}: this poso was started without read access to it (run main.ts with --allow-read)`;
  }
  return `${what}: this poso was started without that permission`;
}

/**
 * Runs the CLI on `args` (without the program name) and returns the exit
 * status: 0 success, {@link EXIT_FAILURE} (1) a runtime failure, printed as one
 * line `poso: …` on `io.err`, {@link EXIT_USAGE} (2) a usage error, printed
 * with the command's usage. Only a bug in poso escapes as an exception.
 *
 * @example
 * ```ts
 * import { runCli } from "./program.ts";
 * const status = await runCli(["--version"]);
 * console.log(status); // 0
 * ```
 */
export async function runCli(args: string[], io: CliIo = denoIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof ExitStatus) return e.code;
    if (e instanceof CommanderError) {
      // Help and version end with code 0; every other commander error is a usage error.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isUserFacing(e)) {
      io.err(`poso: ${e.message}`);
      return EXIT_FAILURE;
    }
    if (isFileSystemError(e)) {
      io.err(`poso: ${fileSystemMessage(e)}`);
      return EXIT_FAILURE;
    }
    if (e instanceof Deno.errors.NotCapable) {
      io.err(`poso: ${permissionMessage(e)}`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}
