/**
 * Entity tags and the conditional requests made with them (RFC 9110 §8.8.3, §13.1.1, §13.1.2).
 * A record's tag is made from its model, id and version (the number every committed write moves
 * on by one); a list's from its records' ids and versions in order. The tag is an opaque hash, so
 * it shows nothing of the records but whether they changed: what an If-Match or If-None-Match
 * compares. Pure: the routes (lib/object-api) decide when a condition fails and what then happens.
 */
import { createHash } from 'node:crypto';
import { BadRequestError } from '../errors';

/** One entity tag as sent: its opaque part (with its quotes, as RFC 9110 compares it) and whether it is weak. */
export interface EntityTag {
  readonly weak: boolean;
  /** The quoted string, quotes included: `"abc"`. */
  readonly opaque: string;
}

/** An If-Match or If-None-Match field: `*` (any current representation) or a list of tags. */
export type EntityTagCondition = '*' | readonly EntityTag[];

/** The records a tag stands for: their model, and each one's id and version, in the order answered. */
export interface TaggedRecord {
  readonly id: number;
  readonly version: number;
}

/**
 * The strong entity tag of records as stored: `"` + a hash of the model, ids and versions + `"`.
 * One record's tag and the tag of a list of that one record are the same, so a client may read
 * /{id} and write ?ids={id} (or the reverse) with the tag it was given.
 */
export function entityTagOf(model: string, records: readonly TaggedRecord[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([model, records.map((record) => [record.id, record.version])]))
    .digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/** etagc in RFC 9110 §8.8.3: %x21 / %x23-7E / obs-text (no space, no `"`, no control). */
const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")/;

/**
 * An If-Match or If-None-Match field value (RFC 9110 §13.1.1, §13.1.2): `*`, or a comma-separated
 * list of entity tags, each `"opaque"` or `W/"opaque"`, with optional whitespace and empty list
 * elements (§5.6.1). Undefined without the header.
 * @throws BadRequestError for any other value: a condition that cannot be read must not be taken
 * as none (a write meant to be conditional would then happen unconditionally).
 */
export function parseEntityTagCondition(name: string, value: string | undefined): EntityTagCondition | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '*') return '*';
  const tags: EntityTag[] = [];
  let rest = text;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '');
    if (rest.length === 0) break;
    const match = ENTITY_TAG.exec(rest);
    if (!match) throw invalidCondition(name);
    tags.push({ weak: match[1] !== undefined, opaque: match[2] as string });
    rest = rest.slice(match[0].length).replace(/^[ \t]+/, '');
    if (rest.length > 0 && !rest.startsWith(',')) throw invalidCondition(name);
  }
  if (tags.length === 0) throw invalidCondition(name);
  return tags;
}

function invalidCondition(name: string): BadRequestError {
  return new BadRequestError(
    `The ${name} header must be * or a comma-separated list of entity tags as answered in ETag, e.g. ${name}: "abc"`,
  );
}

/** RFC 9110 §8.8.3.2's strong comparison: neither weak, same opaque tag. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2's weak comparison: same opaque tag, weak or not. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** A tag as answered in ETag (always strong here) as an EntityTag to compare. */
const current = (etag: string): EntityTag => ({ weak: false, opaque: etag });

/**
 * Whether an If-Match holds (RFC 9110 §13.1.1) on a representation that exists with this tag: `*`,
 * or a tag that matches it strongly.
 */
export function ifMatchHolds(condition: EntityTagCondition, etag: string): boolean {
  return condition === '*' || condition.some((tag) => strongMatch(tag, current(etag)));
}

/**
 * Whether an If-None-Match holds (RFC 9110 §13.1.2) on a representation that exists with this tag:
 * false for `*` or for a tag that matches it weakly. When it does not hold, a GET answers 304 and
 * a write 412.
 */
export function ifNoneMatchHolds(condition: EntityTagCondition, etag: string): boolean {
  return condition !== '*' && !condition.some((tag) => weakMatch(tag, current(etag)));
}

/** The conditions of a request, read from its headers (lower-case names, as ApiRequest has them). */
export interface RequestConditions {
  readonly ifMatch?: EntityTagCondition;
  readonly ifNoneMatch?: EntityTagCondition;
  /** Neither GET nor HEAD: an If-None-Match that fails is a 412, never a 304 (RFC 9110 §13.1.2). */
  readonly unsafeMethod?: true;
}

export function requestConditions(headers: ReadonlyMap<string, string>, method = 'GET'): RequestConditions {
  const ifMatch = parseEntityTagCondition('If-Match', headers.get('if-match'));
  const ifNoneMatch = parseEntityTagCondition('If-None-Match', headers.get('if-none-match'));
  return {
    ...(ifMatch === undefined ? {} : { ifMatch }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(method === 'GET' || method === 'HEAD' ? {} : { unsafeMethod: true as const }),
  };
}

/**
 * RFC 9110 §15.4.5's 304: no body, and the headers the 200 would have had that a cache needs
 * (ETag, Vary, Cache-Control) so the client can keep using its copy.
 */
export function notModified(etag: string): {
  readonly status: 304;
  readonly body: '';
  readonly headers: Readonly<Record<string, string>>;
} {
  return { status: 304, body: '', headers: { ETag: etag, Vary: 'Accept', 'Cache-Control': 'no-store' } };
}
