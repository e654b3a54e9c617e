/**
 * Messages and trace events as bytes: JSON, with every Float64Array (certificates) carried exactly
 * as base64url of its little-endian bytes (`{"$f64": "..."}`), so that a proposal's digest and
 * signatures are the same after the trip. Decoding never throws: it returns a reason.
 *
 * @module
 */

/** Key of the object that stands for a Float64Array on the wire. */
const F64_TAG = "$f64";
/** Bytes of one float64. */
const FLOAT64_BYTES = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Little-endian bytes of a float64 array (this machine's order made explicit). */
function f64Bytes(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * FLOAT64_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(i * FLOAT64_BYTES, a[i], true);
  return out;
}

/**
 * The bytes of a message or event.
 *
 * @example
 * ```ts
 * import { decodeWire, encodeWire } from "./wire.ts";
 * const back = decodeWire(encodeWire({ x: Float64Array.of(-0, 1.5) }), 1000);
 * console.log(back.ok && Object.is((back.value as { x: Float64Array }).x[0], -0)); // true
 * ```
 */
export function encodeWire(value: unknown): Uint8Array {
  return encoder.encode(
    JSON.stringify(
      value,
      (_k, v) =>
        v instanceof Float64Array
          ? { [F64_TAG]: f64Bytes(v).toBase64({ alphabet: "base64url", omitPadding: true }) }
          : v,
    ),
  );
}

/** A decoded value, or why the bytes are not one. */
export type WireResult = { ok: true; value: unknown } | { ok: false; reason: string };

/** The value `bytes` encode (at most `maxBytes` of them), or a reason. */
export function decodeWire(bytes: Uint8Array, maxBytes: number): WireResult {
  if (bytes.length > maxBytes) return { ok: false, reason: `${bytes.length} bytes, more than ${maxBytes}` };
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, reason: "not UTF-8 text" };
  }
  let bad: string | undefined;
  let value: unknown;
  try {
    value = JSON.parse(text, (_k, v) => {
      if (v === null || typeof v !== "object" || Array.isArray(v) || !(F64_TAG in v)) return v;
      const s = (v as Record<string, unknown>)[F64_TAG];
      if (Object.keys(v).length !== 1 || typeof s !== "string") {
        bad ??= `a ${F64_TAG} value is not one base64url string`;
        return null;
      }
      let raw: Uint8Array;
      try {
        raw = Uint8Array.fromBase64(s, { alphabet: "base64url" });
      } catch {
        bad ??= `a ${F64_TAG} value is not base64url`;
        return null;
      }
      if (raw.length % FLOAT64_BYTES !== 0) {
        bad ??= `a ${F64_TAG} value is ${raw.length} bytes, not a whole number of float64s`;
        return null;
      }
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out = new Float64Array(raw.length / FLOAT64_BYTES);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * FLOAT64_BYTES, true);
      return out;
    });
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message})` };
  }
  return bad ? { ok: false, reason: bad } : { ok: true, value };
}
