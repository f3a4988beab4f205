/**
 * Signing and verifying webhook deliveries the Standard Webhooks way (standardwebhooks.com, spec v1):
 * the signed content is `{webhook-id}.{webhook-timestamp}.{body}`, the signature an HMAC-SHA256 keyed
 * with the secret's decoded bytes, sent as `v1,<base64>`; several signatures may be sent space-separated,
 * which is how a secret is rotated without downtime (sign with the old and the new one for a while).
 * Any receiver library that follows the spec (the `standardwebhooks` npm package, Svix's) verifies
 * what this signs; tests hold it to that.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of a symmetric secret, as the spec writes them. */
export const SECRET_PREFIX = 'whsec_';

/** The spec's bounds on a symmetric secret's size, in bytes once decoded. */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;

/** How far a delivery's timestamp may be from the receiver's clock: the reference libraries' 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** The three headers of a delivery, named as the spec names them (lower case: HTTP/2 and Node agree). */
export interface DeliveryHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** What is signed: the event id (stable across retries), the time of this attempt, the exact body bytes. */
export interface DeliveryToSign {
  readonly id: string;
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly body: string | Uint8Array;
}

export type Verification =
  | { readonly ok: true; readonly id: string; readonly timestamp: number }
  | { readonly ok: false; readonly reason: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A new secret: `whsec_` + base64 of `bytes` random bytes (32 by default: the HMAC-SHA256 block's worth of key). */
export function newSigningSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < SECRET_MIN_BYTES || bytes > SECRET_MAX_BYTES) {
    throw new RangeError(`A signing secret has ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, not ${bytes}`);
  }
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * The key a `whsec_` secret stands for. A malformed secret is a configuration error (the secret is
 * ours, or the developer's for `npm run listen`), so it throws rather than failing every delivery
 * quietly; the message never repeats the secret.
 */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new TypeError(`A signing secret starts with '${SECRET_PREFIX}'`);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) throw new TypeError(`A signing secret is '${SECRET_PREFIX}' followed by base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length < SECRET_MIN_BYTES || key.length > SECRET_MAX_BYTES) {
    throw new TypeError(
      `A signing secret decodes to ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, not ${key.length}`,
    );
  }
  return key;
}

function hmac(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/**
 * The headers of one delivery attempt. With several secrets (a rotation in progress) every one signs,
 * so receivers holding either the old or the new secret accept the delivery.
 */
export function signDelivery(secrets: string | readonly string[], delivery: DeliveryToSign): DeliveryHeaders {
  const { id, timestamp, body } = delivery;
  // The id and timestamp travel in headers: what a header cannot carry, or what would make the signed
  // content ambiguous, is refused here rather than sent and rejected by every receiver.
  if (id.length === 0 || id.length > 256 || !/^[\x21-\x7e]+$/.test(id)) {
    throw new TypeError('A webhook id is 1 to 256 printable ASCII characters without spaces');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new TypeError('A webhook timestamp is whole Unix seconds');
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(signingKey);
  if (keys.length === 0) throw new TypeError('A delivery is signed with at least one secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': keys.map((key) => `v1,${hmac(key, id, timestamp, body).toString('base64')}`).join(' '),
  };
}

/** One header's value whatever the header names' case and whether Node gave a list. */
function headerValue(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return typeof value === 'string' ? value : value?.join(' ');
  }
  return undefined;
}

/**
 * Whether a delivery is authentic and fresh: signed by one of `secrets` (any of them: the receiver's side
 * of a rotation), over exactly these body bytes, with a timestamp within `toleranceSeconds` of `now` in
 * either direction (a replayed old delivery and one stamped in the future are both refused). Signatures
 * of versions other than v1 (v1a is the asymmetric scheme) are ignored, as the spec asks. The comparison
 * takes the same time whichever byte differs.
 */
export function verifyDelivery(
  secrets: readonly string[],
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  body: string | Uint8Array,
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verification {
  const id = headerValue(headers, 'webhook-id');
  const stamp = headerValue(headers, 'webhook-timestamp');
  const signature = headerValue(headers, 'webhook-signature');
  if (!id || !stamp || !signature)
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  if (!/^\d{1,15}$/.test(stamp)) return { ok: false, reason: 'webhook-timestamp is not Unix seconds' };
  const timestamp = Number(stamp);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is too old' };
  if (timestamp - nowSeconds > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is in the future' };

  const offered = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  if (offered.length === 0) return { ok: false, reason: 'no v1 signature in webhook-signature' };
  const keys = secrets.map(signingKey);
  for (const key of keys) {
    const expected = hmac(key, id, timestamp, body);
    // Lengths are public (an HMAC-SHA256 is 32 bytes): only equal-length values reach the constant-time compare.
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'no signature matches' };
}
