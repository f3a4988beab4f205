/**
 * The key ring: one 32-byte data key per stage, from which the keys for each purpose are derived
 * with HKDF (RFC 5869), so a key is never used for two things. Locally the data key is a file
 * (SECRETS_KEY_FILE, created with mode 0600 by npm start and the tests); in AWS it is a KMS data
 * key (envelope encryption): generated once by KMS, stored encrypted in the auth table, decrypted
 * by KMS once per container.
 */
import { hkdfSync } from 'node:crypto';
import type { AuthKey, AuthStore } from './credentials';
import { keyIdOf, loadLocalKey, SecretBox } from './secret-box';

export interface KeyRing {
  /** Seals OAuth 1.0a consumer and token secrets at rest. */
  readonly secretBox: SecretBox;
  /** Signs the consent pages' CSRF tokens. */
  readonly csrfKey: Buffer;
  /** Signs JWT access tokens (HS256), when ACCESS_TOKEN_FORMAT=jwt. */
  readonly jwtKey: Buffer;
}

function derive(dataKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), `odoo-rest-lambda ${purpose}`, 32));
}

export function keyRingFrom(dataKey: Buffer): KeyRing {
  if (dataKey.length !== 32) throw new Error('The data key must be 32 bytes');
  const sealing = derive(dataKey, 'secret box v1');
  return {
    secretBox: new SecretBox(sealing, keyIdOf(sealing)),
    csrfKey: derive(dataKey, 'csrf v1'),
    jwtKey: derive(dataKey, 'jwt hs256 v1'),
  };
}

/** What lib/store/kms.ts offers: KMS's GenerateDataKey and Decrypt for one key. */
export interface DataKeyService {
  generate(): Promise<{ readonly plaintext: Buffer; readonly ciphertext: string }>;
  decrypt(ciphertext: string): Promise<Buffer>;
}

const DATA_KEY: AuthKey = { kind: 'KEY', id: 'data' };

/**
 * The stage's data key: decrypted from the auth table, or generated on the very first use. Two
 * instances generating at once both try a conditional put; the loser takes the winner's key.
 */
export async function loadKmsDataKey(store: AuthStore, kms: DataKeyService): Promise<Buffer> {
  const stored = await store.get(DATA_KEY);
  if (typeof stored?.ciphertext === 'string') return kms.decrypt(stored.ciphertext);
  const generated = await kms.generate();
  if (await store.put(DATA_KEY, { ciphertext: generated.ciphertext }, { ifAbsent: true })) return generated.plaintext;
  return loadKmsDataKey(store, kms);
}

export interface KeySource {
  readonly keyFile: string | undefined;
  readonly kms: (() => DataKeyService) | undefined;
  readonly store: AuthStore;
}

/** Loads the key ring once per container, on first use (only OAuth 1.0a and the consent pages need it). */
export function lazyKeyRing(source: KeySource): () => Promise<KeyRing> {
  let loading: Promise<KeyRing> | undefined;
  return () => {
    loading ??= (async () => {
      if (source.keyFile) return keyRingFrom(loadLocalKey(source.keyFile));
      if (source.kms) return keyRingFrom(await loadKmsDataKey(source.store, source.kms()));
      throw new Error('No key configured: set SECRETS_KEY_FILE (local) or SECRETS_KMS_KEY_ID (AWS)');
    })();
    // A failed load (KMS throttled, say) is retried by the next request, not cached.
    loading.catch(() => (loading = undefined));
    return loading;
  };
}
