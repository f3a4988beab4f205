/**
 * Encryption at rest for OAuth 1.0a consumer and token secrets. HMAC-SHA1 signing needs those
 * secrets in clear on both sides, so unlike OAuth 2 secrets (lib/auth/credentials.ts) they cannot be hashed:
 * they are sealed with AES-256-GCM under a data key and opened when a signature is checked.
 *
 * Sealed format, versioned and self-describing: `v1.<keyId>.<iv>.<ciphertext>.<tag>`, the last
 * three in unpadded base64url. The key id says which key sealed it, so keys can be rotated (old
 * records stay readable by a box holding the old key). The associated data is the record's key
 * (e.g. `CLIENT#abc`): a ciphertext copied into another record no longer opens.
 *
 * Only node:crypto and node:fs: GCM itself is OpenSSL's; this module is the framing around it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SecretDecryptionError } from '../errors';

const VERSION = 'v1';
const KEY_BYTES = 32;
/** 96-bit random IVs: NIST SP 800-38D's recommended size; fine for far more seals than we make. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Secrets are short; nothing sealed here comes near this. Bounds work on a corrupt record. */
const MAX_SEALED_LENGTH = 64 * 1024;
const KEY_FILE_HEX = /^[0-9a-f]{64}$/i;

/** Strict base64url: Buffer.from skips junk, so the text must be exactly what its bytes encode to. */
function fromBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/**
 * A short, non-secret name for a key: the first 8 hex digits of SHA-256("key-id:" || key). The
 * prefix keeps this hash apart from any other use of the key's bytes.
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('key-id:').update(key).digest('hex').slice(0, 8);
}

/** Seals and opens secrets under one 32-byte data key. */
export class SecretBox {
  private readonly key: KeyObject;

  /**
   * @param key 32 random bytes (copied; later changes to the buffer do not affect the box).
   * @param keyId the key's name in sealed values, usually `keyIdOf(key)`; no dots.
   */
  constructor(
    key: Buffer,
    readonly keyId: string,
  ) {
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES)
      throw new TypeError(`A SecretBox key must be ${KEY_BYTES} bytes`);
    if (!KEY_ID.test(keyId)) throw new TypeError('A SecretBox key id must be 1-64 characters of [A-Za-z0-9_-]');
    this.key = createSecretKey(Buffer.from(key));
  }

  /**
   * The header is authenticated along with the caller's associated data, so a future format
   * cannot be passed off as this one with the same bytes.
   */
  private aad(associatedData: string): Buffer {
    return Buffer.from(`${VERSION}.${this.keyId}.${associatedData}`, 'utf8');
  }

  /** Encrypts `plain` for the record named by `associatedData`. */
  seal(plain: string, associatedData: string): string {
    const plainBytes = Buffer.from(plain, 'utf8');
    // A lone surrogate would come back as U+FFFD: a silently different secret, refused up front.
    if (plainBytes.toString('utf8') !== plain) throw new TypeError('The secret is not well-formed Unicode');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plainBytes), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.keyId,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      tag.toString('base64url'),
    ].join('.');
  }

  /**
   * Decrypts what `seal` made for the same associated data.
   * @throws SecretDecryptionError on anything else; the message names no secret.
   */
  open(sealed: string, associatedData: string): string {
    if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_LENGTH)
      throw new SecretDecryptionError('not a sealed secret');
    const parts = sealed.split('.');
    if (parts.length !== 5) throw new SecretDecryptionError('not a sealed secret');
    const [version, keyId, ivText = '', ciphertextText = '', tagText = ''] = parts;
    if (version !== VERSION) throw new SecretDecryptionError('unknown sealed secret version');
    if (keyId !== this.keyId)
      throw new SecretDecryptionError(`sealed under key ${JSON.stringify(keyId)}, this box holds key ${this.keyId}`);
    const iv = fromBase64Url(ivText);
    const ciphertext = fromBase64Url(ciphertextText);
    const tag = fromBase64Url(tagText);
    if (!iv || iv.length !== IV_BYTES || !ciphertext || !tag || tag.length !== TAG_BYTES)
      throw new SecretDecryptionError('malformed sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(this.aad(associatedData));
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      return plain.toString('utf8');
    } catch (error) {
      throw new SecretDecryptionError('sealed secret failed authentication (tampered, wrong key or wrong record)', {
        cause: error,
      });
    }
  }
}

/**
 * Reads a local data key: a file holding 64 hex digits (32 bytes), optionally followed by a
 * newline. On POSIX the file must not be readable by group or others, as ssh insists for its keys.
 * For `npm start` and tests; a deployed stack is meant to get its data key elsewhere (KMS).
 */
export function loadLocalKey(path: string): Buffer {
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new Error(`The key file ${path} is accessible to group or others; run chmod 600 on it`);
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!KEY_FILE_HEX.test(text)) throw new Error(`The key file ${path} must hold exactly 64 hex digits`);
  return Buffer.from(text, 'hex');
}

/**
 * Creates a local key file with a fresh random key, mode 0600, unless one exists. Returns whether
 * it created one. The key is written to a private temporary file and hard-linked into place, so
 * the file appears whole or not at all, and of two racing processes exactly one wins.
 */
export function createLocalKeyFile(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // The umask can only remove bits from 0600, but an odd one could remove the owner's.
    chmodSync(temporary, 0o600);
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}
