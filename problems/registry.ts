/**
 * Every problem kind this program knows, by the name a scenario's `problem:`
 * gives. Consensus and the runtimes reach problems only through this
 * registry and the contract of problems/types.ts.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { InputFileError, readCapped } from "../actors/files.ts";
import { IES_DISPATCH } from "./ies-dispatch/kind.ts";
import { ENERGY_MARKET } from "./market/kind.ts";
import { SIMPLE_SUM } from "./simple-sum/kind.ts";
import type { CaseFile, ProblemKind } from "./types.ts";

/** The kind a scenario that names none runs. */
export const DEFAULT_PROBLEM = "ies-dispatch";

/** The kinds, by name. */
const KINDS: ReadonlyMap<string, ProblemKind> = new Map<string, ProblemKind>(
  ([IES_DISPATCH, SIMPLE_SUM, ENERGY_MARKET] as ProblemKind[]).map((k) => [k.name, k]),
);

/**
 * The names of every known problem kind.
 *
 * @example
 * ```ts
 * import { problemKinds } from "../mod.ts";
 * console.log(problemKinds().includes("ies-dispatch")); // true
 * ```
 */
export function problemKinds(): string[] {
  return [...KINDS.keys()];
}

/**
 * The problem kind called `name`; throws a RangeError listing the known ones.
 *
 * @example
 * ```ts
 * import { problemKind } from "../mod.ts";
 * console.log(problemKind("ies-dispatch").name); // ies-dispatch
 * ```
 */
export function problemKind(name: string = DEFAULT_PROBLEM): ProblemKind {
  const kind = KINDS.get(name);
  if (!kind) {
    throw new RangeError(
      `unknown problem kind ${JSON.stringify(name)} (known: ${problemKinds().join(", ")})`,
    );
  }
  return kind;
}

/**
 * Largest case file a run reads, bytes (16 MiB): the bundled case is 30 kB,
 * and a case of a few hundred hubs and buses stays far below.
 */
export const MAX_CASE_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A case file that cannot be read or is not JSON; the message is `<file>: <detail>`.
 * (A case that is JSON but does not fit its kind is the kind's own error, naming the field.)
 *
 * @example
 * ```ts
 * import { CaseFileError } from "../mod.ts";
 * console.log(new CaseFileError("my.json", "no such file").message); // my.json: no such file
 * ```
 */
export class CaseFileError extends Error {
  /**
   * An error about a case file; the message is `<file>: <detail>`.
   *
   * @param file the case file, as named
   * @param detail what is wrong with it
   */
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = "CaseFileError";
  }
}

/**
 * The digest a genesis records for a case: `sha256:<64 hex>` of the file's bytes.
 *
 * @example
 * ```ts
 * import { caseDigest } from "../mod.ts";
 * console.log(caseDigest(new TextEncoder().encode("")));
 * // sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 * ```
 */
export function caseDigest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Reads a case file of `kind` (default its bundled case) once: at most
 * {@link MAX_CASE_FILE_BYTES}, digested ({@link caseDigest}), parsed as JSON
 * and validated by the kind. Errors name the file: a {@link CaseFileError}
 * when it cannot be read or is not JSON, the kind's own error (naming the
 * field) when it does not fit the kind.
 *
 * @example
 * ```ts
 * import { problemKind, readCaseFile } from "../mod.ts";
 * const e = await readCaseFile(problemKind("ies-dispatch"), "no/such.json").catch((e) => e);
 * console.log(e.message); // no/such.json: cannot read case file: no such file
 * ```
 */
export async function readCaseFile<Case>(
  kind: ProblemKind<Case>,
  path: string | URL = kind.defaultCase,
): Promise<CaseFile<Case>> {
  const file = path instanceof URL ? path.pathname : path;
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(path, MAX_CASE_FILE_BYTES, "case files");
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new CaseFileError(file, `cannot read case file: ${e.detail}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    // V8 quotes the text around an unexpected token; a case path may name any readable file, so an
    // error never echoes the file's content.
    const why = e instanceof SyntaxError
      ? e.message.replace(/, ".*" is not valid JSON$/s, "")
      : "not UTF-8 text";
    throw new CaseFileError(file, `not a JSON case file of ${kind.name}: ${why}`);
  }
  return { kind, case: kind.parseCase(json, file), digest: caseDigest(bytes), file };
}
