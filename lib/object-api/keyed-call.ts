/**
 * Idempotency-Key for creates, writes and unlinks (the IETF httpapi draft "The Idempotency-Key
 * HTTP Header Field"). A request whose answer was lost (a timeout, a 502, a 503 after the write
 * committed) can be sent again with the same key: the second request answers as the first did, on
 * the records as they are now, instead of writing again — no second record, no older value written
 * over a newer one. The key is claimed in the request's own transaction, so a claim exists exactly
 * when its write committed, and two requests racing with one key write once. Reads ignore it.
 */
import { createHash } from 'node:crypto';
import { BadRequestError } from '../errors';
import { mediaTypeOf, type ApiRequest } from '../http/http';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on the answer of a request that was a replay of an earlier one (as Stripe names it). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key is remembered: a day, the usual retry horizon (Stripe's; the draft leaves it to us). */
export const IDEMPOTENCY_KEY_LIFETIME_SECONDS = 86_400;
const MAX_KEY_LENGTH = 255;

/** A used key: which records its request wrote, and which request it was. */
export interface IdempotencyClaim {
  /** A hash of the client and the key: one client's keys never meet another's. */
  readonly id: string;
  /** A hash of the request's method, path, query, media type and body. */
  readonly fingerprint: string;
  readonly model: string;
  /** The record a create made, or the records a write or an unlink named. */
  readonly recordIds: readonly number[];
  /** Epoch seconds; the claim counts as absent from then on (and DynamoDB's TTL removes it). */
  readonly expiresAt: number;
}

/** What a request carries to claim its key: the claim without the records, known at the commit. */
export type PendingClaim = Omit<IdempotencyClaim, 'model' | 'recordIds'>;

/** Thrown by a request whose key another request claimed first (they raced); the caller replays it. */
export class KeyAlreadyClaimedError extends Error {
  constructor() {
    super('The Idempotency-Key was claimed by another request meanwhile');
    this.name = 'KeyAlreadyClaimedError';
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The request's key, or undefined without the header. The draft makes it a Structured Field
 * string ("..."); a bare token, as most clients send a UUID, is taken as it is.
 */
export function idempotencyKeyOf(headers: ReadonlyMap<string, string>): string | undefined {
  const raw = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(trimmed);
  const key = quoted ? (quoted[1] as string).replace(/\\(["\\])/g, '$1') : trimmed;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw new BadRequestError(`The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID`);
  }
  return key;
}

/**
 * The claim a request with this key will make, valid a day from `now`. The same request
 * sent again has the same fingerprint: method, path, query pairs in order, media type and body.
 */
export function pendingClaim(request: ApiRequest, clientId: string, key: string, now: Date): PendingClaim {
  const query = [...request.query].flatMap(([name, values]) => values.map((value) => [name, value]));
  const mediaType = mediaTypeOf(request.headers.get('content-type'));
  return {
    id: sha256(JSON.stringify([clientId, key])),
    fingerprint: sha256(JSON.stringify([request.method, request.path, query, mediaType, request.body ?? ''])),
    expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_KEY_LIFETIME_SECONDS,
  };
}
