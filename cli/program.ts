/**
 * The `poso` command line: subcommands, options, exit codes.
 *
 * Exit codes: 0 success; 1 a runtime failure or a rejected certificate;
 * 2 a usage error (unknown flag, bad value), printed with the usage.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { CaseError } from "../models/case.ts";
import { SolverError } from "../models/glpk.ts";
import { type Variant, VARIANTS } from "../models/variants.ts";
import { formatSolveReport, runSolve } from "./solve.ts";
import { runScenarioFile } from "./run.ts";
import { renderTrace } from "../scenarios/render.ts";
import { DEFAULT_DATA_DIR } from "../actors/supervisor.ts";
import { formatLedgerVerdict, verifyLedgerDir } from "./ledger.ts";
import { renderReportHtml } from "./report.ts";
import { renderDays } from "./days.ts";
import { ScenarioError } from "../scenarios/loader.ts";
import { CertificateFileError, formatVerifyReport, runVerify } from "./verify.ts";
import denoJson from "../deno.json" with { type: "json" };

/** Exit status of a usage error. */
export const EXIT_USAGE = 2;
/** Exit status of a runtime failure or a rejected certificate. */
export const EXIT_FAILURE = 1;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  writeFile(path: string, text: string): Promise<void>;
}

const denoIo: CliIo = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  writeFile: (p, t) => Deno.writeTextFile(p, t),
};

/** Thrown by an action to end with a given exit status after its output. */
class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command("poso")
    .description("PoSo-TS: Proof-of-Solution consensus for energy dispatch")
    .version(denoJson.version, "-V, --version", "print the version")
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // Plain help text; also keeps commander from reading colour variables from the environment.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("solve")
    .description("Solve the 24-hour dispatch LP with GLPK, check its certificate and report the cost")
    .addOption(
      new Option("--variant <name>", "which dispatch to produce").choices([...VARIANTS]).default("optimal"),
    )
    .option("--case <file>", "case data (JSON) to use instead of the bundled UoM case")
    .option("--out <file>", "write the certificate (x, y) to this JSON file")
    .option("--json", "print one JSON object instead of the readable summary")
    .addHelpText(
      "after",
      "\nExamples:\n  poso solve\n  poso solve --variant selfish --out selfish.json\n  poso solve --json",
    )
    .exitOverride()
    .action(async (opts: { variant: Variant; case?: string; out?: string; json?: boolean }) => {
      const { report, certificate } = await runSolve(opts.variant, opts.case);
      if (opts.out) await io.writeFile(opts.out, JSON.stringify(certificate) + "\n");
      io.out(opts.json ? JSON.stringify(report) : formatSolveReport(report));
      if (opts.out && !opts.json) io.out(`Certificate written to ${opts.out}`);
    });

  program
    .command("verify")
    .description("Check a certificate file against the LP this program builds itself")
    .argument("<certificate>", "certificate JSON file, as written by `poso solve --out`")
    .option("--case <file>", "case data (JSON) to use instead of the bundled UoM case")
    .option("--json", "print one JSON object")
    .addHelpText("after", "\nExit status: 0 accepted, 1 rejected.\n\nExample:\n  poso verify cert.json")
    .exitOverride()
    .action(async (file: string, opts: { case?: string; json?: boolean }) => {
      const report = await runVerify(file, opts.case);
      io.out(opts.json ? JSON.stringify(report) : formatVerifyReport(report));
      if (report.verdict.verdict !== "accepted") throw new ExitStatus(EXIT_FAILURE);
    });

  program
    .command("run")
    .description(
      "Run a PoSo scenario (YAML) on Worker actors, one block per day, and print who received what, round by round",
    )
    .argument("<scenario>", "scenario file, e.g. scenarios/scenario1.yaml")
    .option("--json", "print the trace (an array of days) as JSON")
    .option(
      "--seed <n>",
      "seed of message order and delays, and of the days' load factors (default: the scenario's)",
      parseWhole,
    )
    .option(
      "--timings",
      "also print where the wall time went (start-up, solving, checking, signing, waiting)",
    )
    .option("--simulate", "run one block in the deterministic simulator (virtual time, instant) instead")
    .option(
      "--timeout <sec>",
      "round timeout in seconds (default: the scenario's round_timeout_sec)",
      parsePositive,
    )
    .option("--data <dir>", "data directory: one ledger per participant (and keys/)", DEFAULT_DATA_DIR)
    .option(
      "--days <n>",
      "days to dispatch, one block each (default: the scenario's days, else 1)",
      parseCount,
    )
    .option("--report <file>", "also write a self-contained HTML report of the run (the last day)")
    .addHelpText(
      "after",
      "\nExamples:\n  poso run scenarios/scenario1.yaml\n  poso run scenarios/scenario4.yaml --json\n" +
        "  poso run scenarios/scenario1.yaml --days 7 --data out/week\n" +
        "  poso run scenarios/scenario2.yaml --simulate --seed 7 --report out/s2.html",
    )
    .action(
      async (
        file: string,
        opts: {
          json?: boolean;
          seed?: number;
          timings?: boolean;
          simulate?: boolean;
          timeout?: number;
          data: string;
          days?: number;
          report?: string;
        },
      ) => {
        const interactive = !opts.json && Deno.stderr.isTerminal();
        const { scenario, reports } = await runScenarioFile(file, {
          simulate: opts.simulate,
          seed: opts.seed,
          timeoutSec: opts.timeout,
          dataDir: opts.data,
          days: opts.days,
          progress: interactive ? (line) => io.err(`  … ${line}`) : undefined,
        });
        const shown = reports.map((r) => {
          const { dispatch: _, ...rest } = r;
          return opts.timings ? rest : { ...rest, timings: undefined };
        });
        if (opts.json) io.out(JSON.stringify(reports.length === 1 ? shown[0] : shown));
        else {
          io.out(shown.map((r) => renderTrace(r, scenario)).join("\n\n"));
          if (reports.length > 1) io.out("\n" + renderDays(reports));
        }
        const last = reports[reports.length - 1];
        if (opts.report && last) {
          await io.writeFile(opts.report, renderReportHtml(last, { scenario }));
          if (!opts.json) io.out(`report written to ${opts.report}`);
        }
        if (!last?.outcome) throw new ExitStatus(EXIT_FAILURE);
      },
    );

  const ledger = program.command("ledger").description("Inspect ledgers");
  ledger
    .command("verify")
    .description(
      "Check every ledger in a data directory: hash chain, signatures, quorum, and agreement between ledgers",
    )
    .argument("[dir]", "data directory", DEFAULT_DATA_DIR)
    .option("--recheck", "also rebuild each day's LP and check every block's certificate against it")
    .option("--keys <dir>", "check the chain's public keys against this key directory")
    .option("--json", "print the verdict as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  poso ledger verify\n  poso ledger verify out/week --recheck\n" +
        "Exit status 1 names the first bad block of each ledger.",
    )
    .action(async (dir: string, opts: { recheck?: boolean; keys?: string; json?: boolean }) => {
      const verdict = await verifyLedgerDir(dir, { recheck: opts.recheck, keysDir: opts.keys });
      io.out(opts.json ? JSON.stringify(verdict) : formatLedgerVerdict(verdict));
      if (!verdict.ok) throw new ExitStatus(EXIT_FAILURE);
    });

  return program;
}

/** Parses a positive number option value. */
function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("not a positive number");
  return n;
}

/** Parses a count (a whole number >= 1). */
function parseCount(value: string): number {
  const n = parseWhole(value);
  if (n < 1) throw new InvalidArgumentError("must be at least 1");
  return n;
}

/** Parses a whole number option value. */
export function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("not a whole number");
  return n;
}

/** Errors whose message is the whole story for a user (no stack trace). */
function isUserFacing(e: unknown): e is Error {
  return e instanceof CaseError || e instanceof SolverError || e instanceof CertificateFileError ||
    e instanceof ScenarioError ||
    e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory;
}

/** Deno refuses a permission the task did not grant (NotCapable since Deno 2). */
function isPermissionError(e: unknown): e is Error {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/**
 * Runs the CLI on `args` (without the program name) and returns the exit status.
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
    if (isPermissionError(e)) {
      io.err(
        `poso: ${e.message.split(",")[0]}. The poso task may write only below the project directory; ` +
          "pick a path there, or run main.ts with your own --allow-write.",
      );
      return EXIT_FAILURE;
    }
    throw e;
  }
}
