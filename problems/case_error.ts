/**
 * The error every problem kind's case validator throws: it names the file and
 * the field path, so a person can act on it.
 *
 * @module
 */

/**
 * A case that does not fit its kind's format (every kind's validator throws it); `path` names the field, e.g. `hubs[2].chp.max_kva`.
 *
 * @example
 * ```ts
 * import { CaseError, parseCase } from "../mod.ts";
 * try {
 *   parseCase({ name: "x", horizon_hours: 0 }, "x.json");
 * } catch (e) {
 *   if (e instanceof CaseError) console.log(e.file, e.path); // x.json horizon_hours
 * }
 * ```
 */
export class CaseError extends Error {
  /** Field path inside the case, such as `electric.branches[3].to`. */
  readonly path: string;
  /** What is wrong with the field, without file and path. */
  readonly detail: string;
  /** The file the case came from, when known. */
  readonly file?: string;
  /**
   * An error about field `path`; the message is `<file>: <path>: <detail>`.
   *
   * @param path field path inside the case ("" for the whole case)
   * @param detail what is wrong with the field
   * @param file the file the case came from, when known
   */
  constructor(path: string, detail: string, file?: string) {
    super(`${file ? `${file}: ` : ""}${path || "(root)"}: ${detail}`);
    this.name = "CaseError";
    this.path = path;
    this.detail = detail;
    this.file = file;
  }
}
