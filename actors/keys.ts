/**
 * Ed25519 key pairs of the participants, through WebCrypto.
 *
 * Two sources:
 * - a **key directory**: `<name>.key` (the PKCS#8 private key, base64, file
 *   mode 0600) and `<name>.pub` (the raw 32-byte public key, base64url) per
 *   participant, created on first use. Private keys are read only by the
 *   participant that owns them and are never printed or logged.
 * - a **seed**: every private key is derived as
 *   SHA-256(`poso-key/1|<seed>|<id>`). Anyone who knows the seed knows every
 *   key, so this is for tests and reproducible scenarios only.
 *
 * Signatures and public keys travel as base64url strings.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { NodeId } from "../consensus/types.ts";
import { InputFileError, nodeNameProblem, readCappedText } from "./files.ts";

/** Ed25519 as WebCrypto names it. */
const ED25519 = { name: "Ed25519" } as const;

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/** Bytes of an Ed25519 private seed, and of a raw public key. */
export const ED25519_SEED_BYTES = 32;
/** Bytes of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;
/**
 * Largest key file (`.key` or `.pub`), bytes. A key file holds one line of
 * base64url: 64 characters for a PKCS#8 private key, 43 for a public key.
 */
export const MAX_KEY_FILE_BYTES = 1024;

/**
 * Base64url without padding.
 *
 * @example
 * ```ts
 * console.log(toBase64Url(Uint8Array.of(251, 255))); // "-_8"
 * ```
 */
export function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Inverse of {@link toBase64Url}; undefined when `s` is not base64url.
 *
 * @example
 * ```ts
 * console.log(fromBase64Url("-_8"), fromBase64Url("no padding=")); // Uint8Array(2) [ 251, 255 ] undefined
 * ```
 */
export function fromBase64Url(s: string): Uint8Array | undefined {
  if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - s.length % 4) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * A participant's own key pair.
 *
 * @example
 * ```ts
 * import { seedKeyPair } from "../mod.ts";
 * const pair = await seedKeyPair(1, 8);
 * console.log(pair.id, pair.privateKey.algorithm.name, pair.publicKey.length); // 8 Ed25519 43
 * ```
 */
export interface KeyPair {
  /** The participant's id. */
  id: NodeId;
  /** Ed25519 private key (WebCrypto, usage `sign`); never printed or logged. */
  privateKey: CryptoKey;
  /** Raw public key, base64url. */
  publicKey: string;
}

async function pairFromSeed(id: NodeId, seed: Uint8Array): Promise<KeyPair> {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + ED25519_SEED_BYTES);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  const privateKey = await crypto.subtle.importKey("pkcs8", der, ED25519, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  return { id, privateKey, publicKey: jwk.x! };
}

/**
 * The key pair of participant `id` derived from `seed` (tests and reproducible
 * scenarios only: the seed reveals every key).
 *
 * @example
 * ```ts
 * const a = await seedKeyPair(42, 8), b = await seedKeyPair(42, 8);
 * console.log(a.publicKey === b.publicKey); // true
 * ```
 */
export function seedKeyPair(seed: number, id: NodeId): Promise<KeyPair> {
  const bytes = createHash("sha256").update(`poso-key/1|${seed}|${id}`).digest();
  return pairFromSeed(id, new Uint8Array(bytes));
}

/**
 * A key directory that cannot be used (unreadable or malformed key file).
 *
 * @example
 * ```ts
 * import { KeyError, readKeyPair } from "../mod.ts";
 * const e = await readKeyPair("no/such/dir", 8, "C").catch((e) => e);
 * console.log(e instanceof KeyError, e.file); // true no/such/dir/C.key
 * ```
 */
export class KeyError extends Error {
  /** An error about key file `file`; the message is `<file>: <detail>`. */
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = "KeyError";
  }
}

/**
 * `dir/name.ext`, after checking `name` with the participant-name rule of
 * actors/files.ts (a KeyError naming the directory otherwise), so that a key
 * file never lands outside its directory.
 */
function fileIn(dir: string, name: string, ext: "key" | "pub"): string {
  const problem = nodeNameProblem(name);
  if (problem !== undefined) {
    throw new KeyError(dir, `no key file can be named after this participant: ${problem}`);
  }
  return `${dir}/${name}.${ext}`;
}

const keyFile = (dir: string, name: string) => fileIn(dir, name, "key");

/**
 * The file that holds participant `name`'s public key in key directory `dir`.
 * A name that breaks the participant-name rule (actors/files.ts
 * `nodeNameProblem`: `../x`, `a/b`, ...) is a KeyError: no path leaves `dir`.
 *
 * @example
 * ```ts
 * console.log(publicKeyFile("poso-data/keys", "C")); // "poso-data/keys/C.pub"
 * ```
 */
export function publicKeyFile(dir: string, name: string): string {
  return fileIn(dir, name, "pub");
}
const pubFile = publicKeyFile;

/** A key file's text, trimmed; undefined when there is no such file; at most {@link MAX_KEY_FILE_BYTES}. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readCappedText(file, MAX_KEY_FILE_BYTES, "key files")).trim();
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    if (e.kind === "missing") return undefined;
    throw new KeyError(file, e.detail);
  }
}

/**
 * Reads participant `name`'s public key (base64url) from its `.pub` file in
 * `dir`: undefined when there is no such file, a KeyError naming the file when
 * it cannot be read or does not hold a 32-byte Ed25519 public key.
 *
 * @example
 * ```ts ignore
 * const pub = await readPublicKey("poso-data/keys", "C");
 * ```
 */
export async function readPublicKey(dir: string, name: string): Promise<string | undefined> {
  const file = pubFile(dir, name);
  const text = await readText(file);
  if (text !== undefined && fromBase64Url(text)?.length !== ED25519_SEED_BYTES) {
    throw new KeyError(file, "is not a base64url Ed25519 public key (32 bytes)");
  }
  return text;
}

/**
 * Reads participant `name`'s key pair from `dir` (its `.key` file).
 *
 * @example
 * ```ts ignore
 * const pair = await readKeyPair("poso-data/keys", 8, "C");
 * ```
 */
export async function readKeyPair(dir: string, id: NodeId, name: string): Promise<KeyPair> {
  const file = keyFile(dir, name);
  const text = await readText(file);
  if (text === undefined) throw new KeyError(file, "no such key file (run `poso keys generate`)");
  const der = fromBase64Url(text);
  if (!der || der.length !== PKCS8_ED25519_PREFIX.length + ED25519_SEED_BYTES) {
    throw new KeyError(file, "is not a base64url PKCS#8 Ed25519 private key");
  }
  try {
    return await pairFromSeed(id, der.subarray(PKCS8_ED25519_PREFIX.length));
  } catch (e) {
    throw new KeyError(file, `is not an Ed25519 private key (${(e as Error).message})`);
  }
}

/**
 * Makes sure `dir` holds a key pair for every participant, creating missing
 * ones (private key file mode 0600), and returns every public key by id.
 * Existing keys are kept; a `.pub` that does not match its `.key` is an error.
 *
 * @example
 * ```ts ignore
 * const pubs = await ensureKeyDir("poso-data/keys", [{ id: 8, name: "C" }]);
 * ```
 */
export async function ensureKeyDir(
  dir: string,
  participants: { id: NodeId; name: string }[],
): Promise<{ publicKeys: Record<NodeId, string>; created: string[] }> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const publicKeys: Record<NodeId, string> = {};
  const created: string[] = [];
  for (const p of participants) {
    let pair: KeyPair;
    if (await readText(keyFile(dir, p.name)) === undefined) {
      const seed = crypto.getRandomValues(new Uint8Array(ED25519_SEED_BYTES));
      pair = await pairFromSeed(p.id, seed);
      const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
      await Deno.writeTextFile(keyFile(dir, p.name), toBase64Url(der) + "\n", {
        mode: 0o600,
        createNew: true,
      });
      await Deno.writeTextFile(pubFile(dir, p.name), pair.publicKey + "\n");
      created.push(p.name);
    } else {
      pair = await readKeyPair(dir, p.id, p.name);
      const pub = await readText(pubFile(dir, p.name));
      if (pub === undefined) await Deno.writeTextFile(pubFile(dir, p.name), pair.publicKey + "\n");
      else if (pub !== pair.publicKey) {
        throw new KeyError(pubFile(dir, p.name), `does not match ${keyFile(dir, p.name)}`);
      }
    }
    publicKeys[p.id] = pair.publicKey;
  }
  return { publicKeys, created };
}

/** Where a run's keys come from (scenario key `keys:`): derived from a seed, or a key directory. */
export type KeySource = { kind: "seed"; seed: number } | { kind: "dir"; dir: string };

/**
 * This participant's key pair from `source` (a key directory's `<name>.key`, or derived from a seed).
 *
 * @example
 * ```ts
 * const pair = await ownKeyPair({ kind: "seed", seed: 1 }, 8, "C");
 * console.log(pair.publicKey === (await seedKeyPair(1, 8)).publicKey); // true
 * ```
 */
export function ownKeyPair(source: KeySource, id: NodeId, name: string): Promise<KeyPair> {
  return source.kind === "seed" ? seedKeyPair(source.seed, id) : readKeyPair(source.dir, id, name);
}

/**
 * Every participant's public key (base64url) by id, from `source` (a key directory is
 * created or completed on first use).
 *
 * @example
 * ```ts
 * const keys = await publicKeysOf({ kind: "seed", seed: 1 }, [{ id: 8, name: "C" }, { id: 9, name: "D" }]);
 * console.log(Object.keys(keys), keys[8] === (await seedKeyPair(1, 8)).publicKey); // ["8", "9"] true
 * ```
 */
export async function publicKeysOf(
  source: KeySource,
  participants: { id: NodeId; name: string }[],
): Promise<Record<NodeId, string>> {
  if (source.kind === "dir") return (await ensureKeyDir(source.dir, participants)).publicKeys;
  const pairs = await Promise.all(participants.map((p) => seedKeyPair(source.seed, p.id)));
  return Object.fromEntries(pairs.map((k) => [k.id, k.publicKey]));
}

/**
 * Signs `bytes` with `pair`; the signature as base64url.
 *
 * @example
 * ```ts
 * const pair = await seedKeyPair(1, 8);
 * const sig = await sign(pair, new TextEncoder().encode("hello"));
 * console.log(await verifySignature(pair.publicKey, new TextEncoder().encode("hello"), sig)); // true
 * ```
 */
export async function sign(pair: KeyPair, bytes: Uint8Array): Promise<string> {
  return toBase64Url(
    new Uint8Array(await crypto.subtle.sign(ED25519, pair.privateKey, bytes as BufferSource)),
  );
}

const publicKeyCache = new Map<string, Promise<CryptoKey | undefined>>();

function importPublic(publicKey: string): Promise<CryptoKey | undefined> {
  let k = publicKeyCache.get(publicKey);
  if (!k) {
    const raw = fromBase64Url(publicKey);
    k = raw && raw.length === ED25519_SEED_BYTES
      ? crypto.subtle.importKey("raw", raw as BufferSource, ED25519, true, ["verify"]).catch(() => undefined)
      : Promise.resolve(undefined);
    publicKeyCache.set(publicKey, k);
  }
  return k;
}

/**
 * True when `sig` (base64url) is a valid Ed25519 signature of `bytes` under
 * `publicKey` (base64url). Never throws: malformed keys or signatures are false.
 *
 * @example
 * ```ts
 * console.log(await verifySignature("not-a-key", new Uint8Array(1), "AA")); // false
 * ```
 */
export async function verifySignature(publicKey: string, bytes: Uint8Array, sig: string): Promise<boolean> {
  const key = await importPublic(publicKey);
  const raw = fromBase64Url(sig);
  if (!key || !raw || raw.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return await crypto.subtle.verify(ED25519, key, raw as BufferSource, bytes as BufferSource);
  } catch {
    return false;
  }
}
