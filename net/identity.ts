/**
 * A participant's libp2p identity is its PoSo Ed25519 key: the same seed gives
 * the libp2p private key, and a genesis public key gives the PeerId the Noise
 * handshake must prove. So a connection is authenticated as participant N
 * exactly when the remote end holds N's PoSo private key.
 *
 * @module
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import type { Ed25519PrivateKey, PeerId } from "@libp2p/interface";
import { ED25519_SEED_BYTES, fromBase64Url, type KeyPair } from "../actors/keys.ts";

/**
 * The libp2p private key of a PoSo key pair: the Ed25519 seed is the last 32
 * bytes of the PKCS#8 export (RFC 8410), so the pair's private key must be
 * extractable (every KeyPair of actors/keys.ts is).
 *
 * @example
 * ```ts
 * import { seedKeyPair } from "../actors/keys.ts";
 * const key = await libp2pPrivateKey(await seedKeyPair(1, 8));
 * console.log(key.type); // "Ed25519"
 * ```
 */
export async function libp2pPrivateKey(pair: KeyPair): Promise<Ed25519PrivateKey> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  if (der.length < ED25519_SEED_BYTES) throw new Error(`participant ${pair.id}: PKCS#8 key too short`);
  const key = await generateKeyPairFromSeed("Ed25519", der.subarray(der.length - ED25519_SEED_BYTES));
  if (peerIdFromPublicKey(key.publicKey).toString() !== peerIdOfPublicKey(pair.publicKey).toString()) {
    throw new Error(`participant ${pair.id}: private key does not match its public key`);
  }
  return key;
}

/**
 * The PeerId of a participant's raw Ed25519 public key (base64url, 32 bytes, as
 * in the genesis). Throws an error naming the problem on a malformed key.
 *
 * @example
 * ```ts
 * import { seedKeyPair } from "../actors/keys.ts";
 * const id = peerIdOfPublicKey((await seedKeyPair(1, 8)).publicKey);
 * console.log(id.type); // "Ed25519"
 * ```
 */
export function peerIdOfPublicKey(publicKey: string): PeerId {
  const raw = fromBase64Url(publicKey);
  if (raw === undefined || raw.length !== ED25519_SEED_BYTES) {
    throw new Error(
      `public key ${JSON.stringify(String(publicKey).slice(0, 60))}: not 32 bytes of base64url`,
    );
  }
  return peerIdFromPublicKey(publicKeyFromRaw(raw));
}
