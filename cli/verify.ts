/**
 * `poso verify cert.json`: check a certificate file against the LP this
 * process builds itself from a case (of any problem kind), as a follower
 * checks a proposal.
 *
 * @module
 */
import { InputFileError, readCappedText } from "../actors/files.ts";
import { type Certificate, describeVerdict, type Verdict } from "../lp/certificate.ts";
import { problemKind, problemKinds, readCaseFile } from "../problems/registry.ts";
import { type CaseFile, type CostUnit, formatAmount, perPeriod, type Problem } from "../problems/types.ts";
import { caseOf, dayOne, type ProblemChoice } from "./solve.ts";

/** What `poso verify --json` prints. */
export interface VerifyReport {
  /** The certificate file. */
  file: string;
  /** The problem kind checked against. */
  problem: string;
  /** The case's name. */
  case: string;
  /** The checker's verdict. */
  verdict: Verdict;
  /** What {@link VerifyReport.trueCostUsd} is measured in. */
  costUnit: CostUnit;
  /** True cost of the certified solution, in {@link VerifyReport.costUnit} (null when malformed). */
  trueCostUsd: number | null;
  /** Time of the check, ms. */
  checkMs: number;
}

/** A file that cannot be read or parsed as a certificate. */
export class CertificateFileError extends Error {}

/**
 * Largest certificate file, bytes (16 MiB): `poso solve --out` writes about 130 kB for the published
 * dispatch case, a few hundred bytes for SimpleSum.
 */
const MAX_CERTIFICATE_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The case a certificate is checked against: the one `--problem` and `--case` name ({@link caseOf});
 * with neither, the bundled case of the kind whose day-1 LP the certificate's `lpId` names (the
 * default kind's when none does: its checker then says the certificate is for another LP).
 */
async function caseFor(choice: ProblemChoice, json: unknown): Promise<{ c: CaseFile; problem: Problem }> {
  if (choice.problem !== undefined || choice.casePath !== undefined) {
    const c = await caseOf(choice);
    return { c, problem: dayOne(c) };
  }
  const lpId = (json as Partial<Certificate> | null)?.lpId;
  for (const name of problemKinds()) {
    const c = await readCaseFile(problemKind(name));
    const problem = dayOne(c);
    if (problem.id === lpId) return { c, problem };
  }
  const c = await readCaseFile(problemKind());
  return { c, problem: dayOne(c) };
}

/** Reads a certificate file and checks it. */
export async function runVerify(file: string, choice: ProblemChoice = {}): Promise<VerifyReport> {
  let json: unknown;
  try {
    json = JSON.parse(await readCappedText(file, MAX_CERTIFICATE_FILE_BYTES, "certificate files"));
  } catch (e) {
    const why = e instanceof SyntaxError
      ? `not valid JSON: ${e.message.replace(/, ".*" is not valid JSON$/s, "")}`
      : e instanceof InputFileError
      ? e.detail
      : (e as Error).message;
    throw new CertificateFileError(`${file}: ${why}`);
  }
  const { c, problem } = await caseFor(choice, json);
  const t0 = performance.now();
  const verdict = problem.verifier.verify(json as Certificate);
  const checkMs = performance.now() - t0;
  return {
    file,
    problem: c.kind.name,
    case: c.kind.caseName(c.case),
    verdict,
    costUnit: problem.verifier.cost,
    trueCostUsd: verdict.verdict === "malformed" ? null : problem.verifier.costUsd(json as Certificate),
    checkMs,
  };
}

/** The human-readable verdict: the file's verdict, what it was checked against, the true cost. */
export function formatVerifyReport(r: VerifyReport): string {
  const unit = r.costUnit;
  const what = unit.quantity === unit.solution ? unit.quantity : `${unit.quantity} of the ${unit.solution}`;
  return [
    `${r.file}: ${describeVerdict(r.verdict, unit)}`,
    `Checked against day 1 of ${r.case} (${r.problem}) in ${r.checkMs.toFixed(2)} ms`,
    ...(r.trueCostUsd === null
      ? []
      : [`True ${what}: ${formatAmount(unit, r.trueCostUsd)}${perPeriod(unit)}`]),
  ].join("\n");
}
