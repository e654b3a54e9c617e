/**
 * `poso verify cert.json`: check a certificate file against the LP this
 * process builds itself from the case data.
 *
 * @module
 */
import { InputFileError, readCappedText } from "../actors/files.ts";
import { checkCertificate, describeVerdict, type Verdict } from "../lp/certificate.ts";
import { trueCost } from "../problems/ies-dispatch/cost.ts";
import { buildDispatchModel } from "../problems/ies-dispatch/dispatch.ts";
import { loadCase } from "./solve.ts";
import { usd } from "./table.ts";

/** What `poso verify --json` prints. */
export interface VerifyReport {
  file: string;
  verdict: Verdict;
  /** True cost of the certified dispatch, $ per day (null when malformed). */
  trueCostUsd: number | null;
  checkMs: number;
}

/** A file that cannot be read or parsed as a certificate. */
export class CertificateFileError extends Error {}

/** Largest certificate file, bytes (16 MiB): `poso solve --out` writes about 130 kB for the published case. */
const MAX_CERTIFICATE_FILE_BYTES = 16 * 1024 * 1024;

/** Reads a certificate file and checks it. */
export async function runVerify(file: string, casePath?: string): Promise<VerifyReport> {
  let json: unknown;
  try {
    json = JSON.parse(await readCappedText(file, MAX_CERTIFICATE_FILE_BYTES, "certificate files"));
  } catch (e) {
    const why = e instanceof SyntaxError
      ? `not valid JSON: ${e.message}`
      : e instanceof InputFileError
      ? e.detail
      : (e as Error).message;
    throw new CertificateFileError(`${file}: ${why}`);
  }
  const model = buildDispatchModel(await loadCase(casePath));
  const t0 = performance.now();
  const verdict = checkCertificate(model.lp, json);
  const checkMs = performance.now() - t0;
  const x = verdict.verdict === "malformed" ? null : (json as { x: number[] }).x;
  return { file, verdict, trueCostUsd: x ? trueCost(model, x).total : null, checkMs };
}

/** The human-readable verdict. */
export function formatVerifyReport(r: VerifyReport): string {
  const cost = r.trueCostUsd === null ? "" : `\nTrue cost of the dispatch: ${usd(r.trueCostUsd)} per day`;
  return `${r.file}: ${describeVerdict(r.verdict)}${cost}\nChecked in ${r.checkMs.toFixed(2)} ms`;
}
