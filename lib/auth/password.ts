/**
 * Password hashing for the people who sign in on the OAuth login page. Unlike client secrets and
 * tokens (lib/auth/credentials.ts), passwords are chosen by humans and low in entropy, so they get a slow,
 * memory-hard KDF: scrypt, from node:crypto (no dependency). Only the glue is written here: the
 * parameters, a self-describing encoding and the bounds on hostile input.
 *
 * Encoding: `scrypt$<N>$<r>$<p>$<salt>$<hash>`, salt and hash in unpadded standard base64. Each
 * hash carries its own parameters, so they can be raised later: old hashes still verify, and
 * `passwordNeedsRehash` tells the login flow to store a fresh one after a successful sign-in.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from '../errors';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/**
 * N=2^15, r=8, p=1: 32 MiB and ~0.1-0.2 s per hash, what a Lambda can afford per sign-in. OWASP
 * suggests more (2^17) where memory allows; raise it here and old hashes are rehashed on login.
 */
export const CURRENT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

/** Longer than any passphrase; bounds what one hostile request can make scrypt chew on. */
export const MAX_PASSWORD_LENGTH = 1024;

const ALGORITHM = 'scrypt';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Stored hashes are ours, but a corrupt or planted record must not cost a Lambda its memory. */
const MAX_N = 2 ** 20;
const MIN_N = 2 ** 10;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;
const MIN_BYTES = 16;
const MAX_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

interface Decoded {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function toBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Strict base64: Buffer.from ignores junk, so the text must also be what its bytes encode to. */
function fromBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return toBase64(bytes) === text ? bytes : undefined;
}

function encode({ N, r, p }: ScryptParams, salt: Buffer, hash: Buffer): string {
  return [ALGORITHM, N, r, p, toBase64(salt), toBase64(hash)].join('$');
}

function decode(encoded: unknown): Decoded | undefined {
  if (typeof encoded !== 'string' || encoded.length > 512) return undefined;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== ALGORITHM) return undefined;
  const [, nText = '', rText = '', pText = '', saltText = '', hashText = ''] = parts;
  if (!DECIMAL.test(nText) || !DECIMAL.test(rText) || !DECIMAL.test(pText)) return undefined;
  const params = { N: Number(nText), r: Number(rText), p: Number(pText) };
  if (!withinBounds(params)) return undefined;
  const salt = fromBase64(saltText);
  const hash = fromBase64(hashText);
  if (!salt || !hash) return undefined;
  if (salt.length < MIN_BYTES || salt.length > MAX_BYTES || hash.length < MIN_BYTES || hash.length > MAX_BYTES)
    return undefined;
  return { params, salt, hash };
}

function withinBounds({ N, r, p }: ScryptParams): boolean {
  const powerOfTwo = (N & (N - 1)) === 0;
  return (
    powerOfTwo && N >= MIN_N && N <= MAX_N && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P && 128 * N * r <= MAX_MEMORY
  );
}

/**
 * The same password typed on two keyboards can arrive composed or decomposed ("é" vs "e\u0301");
 * NFC makes both one password, as RFC 8265's OpaqueString profile does.
 */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

function derive(password: Buffer, salt: Buffer, length: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  // OpenSSL needs ~128*r*(N+p+2) bytes; Node's default maxmem (32 MiB) is just short of N=2^15, r=8.
  const maxmem = 2 * 128 * N * r;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Hashes a new password with the current parameters and a random salt.
 * @throws BadRequestError when the password is empty or longer than MAX_PASSWORD_LENGTH.
 */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new BadRequestError('The password must not be empty');
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new BadRequestError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(passwordBytes(password), salt, KEY_BYTES, CURRENT_PARAMS);
  return encode(CURRENT_PARAMS, salt, hash);
}

/**
 * Whether `password` is the one `encoded` was made from. Never throws: a malformed or
 * out-of-bounds encoding, or an over-long password, is simply not a match.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return false;
  const decoded = decode(encoded);
  if (!decoded) return false;
  try {
    const candidate = await derive(passwordBytes(password), decoded.salt, decoded.hash.length, decoded.params);
    return timingSafeEqual(candidate, decoded.hash);
  } catch {
    return false;
  }
}

/**
 * A hash of nothing anyone can type: fixed salt and an all-zero "hash". Verifying against it costs
 * what verifying a real current hash costs, and never matches in practice (it would take a
 * password whose scrypt output is 32 zero bytes).
 */
const DUMMY_HASH = encode(CURRENT_PARAMS, Buffer.alloc(SALT_BYTES, 0x5a), Buffer.alloc(KEY_BYTES, 0));

/**
 * For a login that does not exist: spends the time a real verification would, so response times
 * do not tell which logins exist. Always false. (Users whose hashes still carry older, cheaper
 * parameters are distinguishable until they are rehashed; that is the price of raising them.)
 */
export async function dummyPasswordCheck(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}

/**
 * Whether a stored hash should be replaced after the next successful sign-in: it is malformed,
 * or made with parameters, salt or key length below the current ones.
 */
export function passwordNeedsRehash(encoded: string): boolean {
  const decoded = decode(encoded);
  if (!decoded) return true;
  const { params, salt, hash } = decoded;
  return (
    params.N < CURRENT_PARAMS.N ||
    params.r < CURRENT_PARAMS.r ||
    params.p < CURRENT_PARAMS.p ||
    salt.length < SALT_BYTES ||
    hash.length < KEY_BYTES
  );
}
