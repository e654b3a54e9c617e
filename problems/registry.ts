/**
 * Every problem kind this program knows, by the name a scenario's `problem:`
 * gives. Consensus and the runtimes reach problems only through this
 * registry and the contract of problems/types.ts.
 *
 * @module
 */
import { IES_DISPATCH } from "./ies-dispatch/kind.ts";
import { SIMPLE_SUM } from "./simple-sum/kind.ts";
import type { ProblemKind } from "./types.ts";

/** The kind a scenario that names none runs. */
export const DEFAULT_PROBLEM = "ies-dispatch";

/** The kinds, by name. */
const KINDS: ReadonlyMap<string, ProblemKind> = new Map<string, ProblemKind>(
  ([IES_DISPATCH, SIMPLE_SUM] as ProblemKind[]).map((k) => [k.name, k]),
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
