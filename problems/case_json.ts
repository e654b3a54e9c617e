/**
 * What every problem kind's case reader shares: reading a JSON case file within a size cap,
 * parsing it without echoing its content in an error, and describing a bad value or an unknown
 * key in a {@link CaseError}.
 *
 * @module
 */
import { InputFileError, nearestKey, readCappedText } from "../actors/files.ts";
import { CaseError } from "./case_error.ts";

/** Longest text of a value or key an error message shows, characters (longer ones are cut, with `…`). */
export const MAX_SHOWN_TEXT_CHARS = 64;

/**
 * A JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import { isJsonObject } from "./case_json.ts";
 * console.log(isJsonObject({}), isJsonObject([]), isJsonObject(null)); // true false false
 * ```
 */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Text cut to {@link MAX_SHOWN_TEXT_CHARS} characters, for an error message.
 *
 * @example
 * ```ts
 * import { shownText } from "./case_json.ts";
 * console.log(shownText("x".repeat(70)).length); // 65
 * ```
 */
export function shownText(text: string): string {
  return text.length > MAX_SHOWN_TEXT_CHARS ? `${text.slice(0, MAX_SHOWN_TEXT_CHARS)}…` : text;
}

/**
 * A value as an error message describes what it found: `null`, `an array`, a number as written,
 * `the string "…"` (cut), else its type (`object`, `boolean`).
 *
 * @example
 * ```ts
 * import { describeJson } from "./case_json.ts";
 * console.log([null, [1], 5, NaN, "230", {}].map(describeJson).join(" | ")); // null | an array | 5 | NaN | the string "230" | object
 * ```
 */
export function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(shownText(v))}`;
  return typeof v;
}

/**
 * Why text is not JSON, without the part of V8's message that quotes the text: a case path may
 * name any readable file, so an error never echoes the file's content.
 *
 * @example
 * ```ts
 * import { jsonSyntaxDetail } from "./case_json.ts";
 * let e: unknown;
 * try { JSON.parse("{ secret: 1 }"); } catch (x) { e = x; }
 * console.log(jsonSyntaxDetail(e).includes("secret")); // false
 * ```
 */
export function jsonSyntaxDetail(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/, ".*" is not valid JSON$/s, "");
}

/**
 * The detail of an unknown key: `unknown field; did you mean <near>?` when a known key is close
 * (actors/files.ts nearestKey), else `unknown field; the fields here are <known>`.
 *
 * @example
 * ```ts
 * import { unknownFieldDetail } from "./case_json.ts";
 * console.log(unknownFieldDetail("valeus", ["name", "values"])); // unknown field; did you mean values?
 * ```
 */
export function unknownFieldDetail(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near
    ? `unknown field; did you mean ${near}?`
    : `unknown field; the fields here are ${known.join(", ")}`;
}

/**
 * Reads a JSON case file of at most `maxBytes` bytes and validates it with `parse`. Errors are
 * {@link CaseError}s naming the file (path "" when the file cannot be read or is not JSON;
 * `parse`'s own, naming the field, otherwise). `what` names the files in the size error
 * (`case files`).
 *
 * @example
 * ```ts
 * import { loadJsonCase } from "./case_json.ts";
 * const e = await loadJsonCase("no/such.json", 1024, "case files", (v) => v).catch((e) => e);
 * console.log(e.message); // no/such.json: (root): cannot read case file: no such file
 * ```
 */
export async function loadJsonCase<C>(
  path: string | URL,
  maxBytes: number,
  what: string,
  parse: (value: unknown, file: string) => C,
): Promise<C> {
  const file = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = await readCappedText(path, maxBytes, what);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new CaseError("", `cannot read case file: ${e.detail}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CaseError("", `not valid JSON: ${jsonSyntaxDetail(e)}`, file);
  }
  return parse(json, file);
}
