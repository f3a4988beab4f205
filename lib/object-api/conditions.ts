/**
 * Conditional requests on the object API (RFC 9110 §13): the ETag a read or write answers, the 304
 * of a GET whose If-None-Match matches, and the If-Match / If-None-Match of a PUT or DELETE checked
 * on the very records the write is computed from (its consistent read, held by the same version
 * conditions), so a 412 means nothing was written. The evaluation order is §13.2.2's: If-Match
 * first, then If-None-Match.
 */
import { PreconditionFailedError } from '../errors';
import {
  entityTagOf,
  ifMatchHolds,
  ifNoneMatchHolds,
  notModified,
  type ApiResult,
  type RequestConditions,
  type TaggedRecord,
} from '../http';
import type { StoredRecord } from '../records';

const named = (model: string, records: readonly TaggedRecord[]) =>
  `${model}(${records.map((record) => record.id).join(', ')})`;

/**
 * The conditions on a read of `records`, as they are: a failed If-Match is a 412; an If-None-Match
 * that matches answers the 304 returned (the caller then renders nothing); else undefined.
 */
export function readConditionAnswer(
  conditions: RequestConditions,
  model: string,
  records: readonly TaggedRecord[],
): ApiResult | undefined {
  const etag = entityTagOf(model, records);
  if (conditions.ifMatch !== undefined && !ifMatchHolds(conditions.ifMatch, etag))
    throw new PreconditionFailedError(
      `If-Match: the records ${named(model, records)} are not in the state of any ETag given`,
    );
  if (conditions.ifNoneMatch !== undefined && !ifNoneMatchHolds(conditions.ifNoneMatch, etag)) {
    // A read through POST (an explicit method route) is not a GET: its failed condition is a 412.
    if (conditions.unsafeMethod)
      throw new PreconditionFailedError(`If-None-Match: the records ${named(model, records)} match an ETag given`);
    return notModified(etag);
  }
  return undefined;
}

/**
 * The conditions on a write or unlink of the records of `ids`, checked by `precondition` on each
 * attempt's consistent read (lib/records calls it before it builds the transaction): 412 and
 * nothing written if the If-Match names no tag of the records as read, or the If-None-Match one
 * that is (or `*`). `etagAfterWrite` is the tag of the records as the committed write left them.
 */
export class WriteConditions {
  #read: readonly StoredRecord[] | undefined;

  constructor(
    private readonly conditions: RequestConditions,
    private readonly model: string,
    private readonly ids: readonly number[],
  ) {}

  /** The records as read, in the order of `ids` (the order the tag is made in). */
  private inOrder(records: readonly StoredRecord[]): StoredRecord[] {
    const byId = new Map(records.filter((r) => r.model === this.model).map((record) => [record.id, record]));
    return this.ids.flatMap((id) => {
      const record = byId.get(id);
      return record ? [record] : [];
    });
  }

  readonly precondition = (records: readonly StoredRecord[]): void => {
    const ordered = this.inOrder(records);
    const etag = entityTagOf(this.model, ordered);
    const { ifMatch, ifNoneMatch } = this.conditions;
    if (ifMatch !== undefined && !ifMatchHolds(ifMatch, etag))
      throw new PreconditionFailedError(
        `If-Match: the records ${named(this.model, ordered)} changed since the ETag given was answered; ` +
          'nothing was written: read them again',
      );
    if (ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, etag))
      throw new PreconditionFailedError(
        `If-None-Match: the records ${named(this.model, ordered)} are in the state of an ETag given; nothing was written`,
      );
    this.#read = ordered;
  };

  /**
   * The records' tag once written: every committed write moves each written record's version on by
   * exactly one (lib/records/transaction.ts), from the versions of the attempt that committed (the
   * last one read). Undefined if no attempt got that far.
   */
  etagAfterWrite(): string | undefined {
    const read = this.#read;
    if (read === undefined || read.length !== this.ids.length) return undefined;
    return entityTagOf(
      this.model,
      read.map((record) => ({ id: record.id, version: record.version + 1 })),
    );
  }
}
