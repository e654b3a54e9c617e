/**
 * Every problem kind this program knows, by the name a scenario's `problem:`
 * gives. Consensus and the runtimes reach problems only through this
 * registry and the contract of problems/types.ts.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { InputFileError, readCapped } from "../actors/files.ts";
import { CaseError } from "./case_error.ts";
import { jsonSyntaxDetail } from "./case_json.ts";
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
  const bytes = await caseBytes(path, file);
  return {
    kind,
    case: kind.parseCase(caseJson(bytes, file, kind.name), file),
    digest: caseDigest(bytes),
    file,
  };
}

/** A case file's bytes as JSON; a {@link CaseFileError} (never echoing the content) when they are not. */
function caseJson(bytes: Uint8Array, file: string, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    const why = e instanceof SyntaxError ? jsonSyntaxDetail(e) : "not UTF-8 text";
    throw new CaseFileError(file, `not a JSON case file of ${what}: ${why}`);
  }
}

/** Reads a case file at most {@link MAX_CASE_FILE_BYTES} long; a {@link CaseFileError} when it cannot. */
async function caseBytes(path: string | URL, file: string): Promise<Uint8Array> {
  try {
    return await readCapped(path, MAX_CASE_FILE_BYTES, "case files");
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new CaseFileError(file, `cannot read case file: ${e.detail}`);
  }
}

/**
 * Reads a case file whose kind is not named: the kind is the one whose validator accepts it (the
 * first of `kinds` that does, in registry order). When none does, a {@link CaseFileError} gives each
 * kind's objection (naming the field) and says how to name the kind; a file that cannot be read or
 * is not JSON is refused as {@link readCaseFile} refuses it.
 *
 * @example
 * ```ts
 * import { readCaseFileOfAnyKind } from "../mod.ts";
 * const c = await readCaseFileOfAnyKind("problems/simple-sum/data/simple-sum.json");
 * console.log(c.kind.name); // simple-sum
 * ```
 */
export async function readCaseFileOfAnyKind(
  path: string | URL,
  kinds: readonly ProblemKind[] = [...KINDS.values()],
): Promise<CaseFile> {
  const file = path instanceof URL ? path.pathname : path;
  const bytes = await caseBytes(path, file);
  const json = caseJson(bytes, file, "any problem kind");
  const objections: string[] = [];
  for (const kind of kinds) {
    try {
      return { kind, case: kind.parseCase(json), digest: caseDigest(bytes), file };
    } catch (e) {
      if (!(e instanceof CaseError)) throw e;
      objections.push(`${kind.name}: ${e.message}`);
    }
  }
  throw new CaseFileError(
    file,
    `not a case of any problem kind (name its kind with --problem): ${objections.join("; ")}`,
  );
}
