/**
 * Length-prefixed frames of the PoSo libp2p protocols: a 4-byte big-endian
 * unsigned length, then that many bytes. The decoder checks a length against the
 * cap before it allocates anything for the frame.
 *
 * @module
 */

/** Bytes of the length prefix of a frame. */
export const FRAME_PREFIX_BYTES = 4;

/** Largest length a 4-byte prefix can carry; caps above it make no sense. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

/**
 * One frame: the prefix and `data`.
 *
 * @example
 * ```ts
 * console.log(encodeFrame(Uint8Array.of(7))); // Uint8Array(5) [ 0, 0, 0, 1, 7 ]
 * ```
 */
export function encodeFrame(data: Uint8Array): Uint8Array {
  if (data.length > MAX_FRAME_LENGTH) throw new RangeError(`frame of ${data.length} bytes: too long`);
  const out = new Uint8Array(FRAME_PREFIX_BYTES + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, FRAME_PREFIX_BYTES);
  return out;
}

/** What {@link FrameDecoder.push} found: whole frames, and an error that ends the stream. */
export interface DecodeResult {
  /** Whole frames, in order (payloads without the prefix). */
  frames: Uint8Array[];
  /** Set when a prefix announced more than the cap: the stream must be reset, nothing more is read. */
  oversize?: number;
}

/**
 * Incremental decoder of a byte stream into frames of at most `maxBytes` each.
 *
 * @example
 * ```ts
 * const d = new FrameDecoder(10);
 * const f = encodeFrame(Uint8Array.of(1, 2));
 * console.log(d.push(f.subarray(0, 3)).frames.length, d.push(f.subarray(3)).frames); // 0 [ Uint8Array(2) [ 1, 2 ] ]
 * ```
 */
export class FrameDecoder {
  #prefix = new Uint8Array(FRAME_PREFIX_BYTES);
  #prefixHave = 0;
  #body: Uint8Array | undefined;
  #bodyHave = 0;
  #failed = false;

  /** A decoder refusing frames longer than `maxBytes` (payload bytes). */
  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_FRAME_LENGTH) {
      throw new RangeError(`maxBytes ${maxBytes}: not an integer in 0..${MAX_FRAME_LENGTH}`);
    }
  }

  /** True while part of a frame has been read (a stream ending now was truncated). */
  get partial(): boolean {
    return this.#prefixHave > 0 || this.#body !== undefined;
  }

  /** Feeds bytes; returns the frames they complete. After an oversize prefix, ignores everything. */
  push(chunk: Uint8Array): DecodeResult {
    const frames: Uint8Array[] = [];
    if (this.#failed) return { frames };
    let at = 0;
    while (at < chunk.length) {
      if (this.#body === undefined) {
        const take = Math.min(FRAME_PREFIX_BYTES - this.#prefixHave, chunk.length - at);
        this.#prefix.set(chunk.subarray(at, at + take), this.#prefixHave);
        this.#prefixHave += take;
        at += take;
        if (this.#prefixHave < FRAME_PREFIX_BYTES) break;
        const length = new DataView(this.#prefix.buffer).getUint32(0);
        this.#prefixHave = 0;
        if (length > this.maxBytes) {
          this.#failed = true;
          return { frames, oversize: length };
        }
        this.#body = new Uint8Array(length);
        this.#bodyHave = 0;
      }
      const take = Math.min(this.#body.length - this.#bodyHave, chunk.length - at);
      this.#body.set(chunk.subarray(at, at + take), this.#bodyHave);
      this.#bodyHave += take;
      at += take;
      if (this.#bodyHave === this.#body.length) {
        frames.push(this.#body);
        this.#body = undefined;
      }
    }
    return { frames };
  }
}
