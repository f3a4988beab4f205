/**
 * Idempotency-Key for creates, writes and unlinks (the IETF httpapi draft "The Idempotency-Key
 * HTTP Header Field"), the whole flow in one place. A request whose answer was lost (a timeout, a
 * 502, a 503 after the write committed) can be sent again with the same key: the second request
 * answers as the first did, on the records as they are now, instead of writing again — no second
 * record, no older value written over a newer one. The key is claimed in the request's own
 * transaction (lib/records/commit.ts), so a claim exists exactly when its write committed, and two
 * requests racing with one key write once. Reads ignore it.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, IdempotencyKeyReusedError, KeyAlreadyClaimedError, WriteConflictError } from '../errors';
import { formPairs, mediaTypeOf, queryPairsOf, type ApiRequest, type ApiResult } from '../http';
import type { IdempotencyClaim, KeyedRequest, PendingClaim, RecordsDeps } from '../records';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on the answer of a request that was a replay of an earlier one (as Stripe names it). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key is remembered: a day, the usual retry horizon (Stripe's; the draft leaves it to us). */
export const IDEMPOTENCY_KEY_LIFETIME_SECONDS = 86_400;
const MAX_KEY_LENGTH = 255;

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
    throw new BadRequestError(
      `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID`,
    );
  }
  return key;
}

/**
 * RFC 5849 §3.1's protocol parameters: an OAuth 1.0a client signs each attempt afresh (a new nonce,
 * timestamp and signature), so they say who sent the request and when, not what it asks for.
 */
const isOAuthProtocolParameter = (name: string) => name.startsWith('oauth_');

/**
 * The claim a request with this key will make, valid a day from `now`. The same request
 * sent again has the same fingerprint: method, path, query pairs in order (but the oauth_*
 * protocol parameters, which a retry signs afresh), media type and body — for a form body, its
 * fields in order, decoded (so `%2C` and `,` are one request) and without oauth_* ones, as the query's.
 */
export function pendingClaim(request: ApiRequest, clientId: string, key: string, now: Date): PendingClaim {
  const withoutProtocol = (pairs: Iterable<readonly [string, string]>) =>
    [...pairs].filter(([name]) => !isOAuthProtocolParameter(name)).map(([name, value]) => [name, value]);
  const query = withoutProtocol(queryPairsOf(request));
  const mediaType = mediaTypeOf(request.headers.get('content-type'));
  // A form's pairs are a list, a body's text a string: the two never share a fingerprint.
  const form = formPairs(request);
  const body = form === undefined ? (request.body ?? '') : withoutProtocol(form);
  return {
    id: sha256(JSON.stringify([clientId, key])),
    fingerprint: sha256(JSON.stringify([request.method, request.path, query, mediaType, body])),
    expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_KEY_LIFETIME_SECONDS,
  };
}

/** A create, write or unlink sent with an Idempotency-Key. */
export interface KeyedCall {
  readonly deps: Pick<RecordsDeps, 'store' | 'now'>;
  readonly claim: PendingClaim;
  /**
   * Look the key up before the write starts rather than beside its first reads: for a definition
   * change (ir.model, ir.model.fields), whose checks would refuse what the earlier request did.
   */
  readonly lookFirst: boolean;
  /** The request's write, given the key to claim in its transaction. */
  readonly write: (key: NonNullable<KeyedRequest['key']>) => Promise<ApiResult>;
  /** What the earlier request answered, on the records it wrote as they are now. */
  readonly replay: (recordIds: readonly number[]) => Promise<ApiResult>;
}

/**
 * The earlier request's answer if this key was used (marked Idempotent-Replayed; 422 if it was
 * used for another request), else the write, claiming the key in its own transaction. The key is
 * looked up alongside the write's first reads: no extra round trip. Two requests racing with one
 * key: the second to commit finds the claim taken, gives its ids back and answers as the first.
 */
export async function runKeyedCall(call: KeyedCall): Promise<ApiResult> {
  const earlier = liveClaim(call);
  earlier.catch(() => undefined); // awaited below or by the write; an early failure must not go unhandled
  if (call.lookFirst) {
    const claim = await earlier;
    if (claim) return replayed(call, claim);
  }
  const unused = earlier.then((claim) => claim === undefined);
  unused.catch(() => undefined); // the write may fail before it awaits it
  try {
    return await call.write({ claim: call.claim, unused });
  } catch (error) {
    if (!(error instanceof KeyAlreadyClaimedError)) throw error;
    // Used by a request found before this one wrote, or by one that committed first while they raced.
    const claim = (await earlier) ?? (await liveClaim(call));
    if (claim) return replayed(call, claim);
    throw new WriteConflictError('Another request with this Idempotency-Key was being processed; retry the request', {
      cause: error,
    });
  }
}

/** The key's claim if it is still valid; 422 if it is another request's. */
async function liveClaim({ deps, claim: pending }: KeyedCall): Promise<IdempotencyClaim | undefined> {
  const claim = await deps.store.getClaim(pending.id);
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  if (claim === undefined || claim.expiresAt <= now) return undefined;
  if (claim.fingerprint !== pending.fingerprint) throw new IdempotencyKeyReusedError();
  return claim;
}

async function replayed(call: KeyedCall, claim: IdempotencyClaim): Promise<ApiResult> {
  const answer = await call.replay(claim.recordIds);
  // The replay's own headers (a write's ETag) stay beside the mark.
  return { ...answer, headers: { ...answer.headers, [REPLAYED_HEADER]: 'true' } };
}
