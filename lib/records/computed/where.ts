/**
 * The `where` guard of a write (issue 14): an Odoo domain every written record must match on the
 * consistent read the write is computed from. The records' version conditions hold that read
 * until the commit, so the guard holds at commit time: `$inc: -1` with `where` credit >= 1 never
 * goes below zero, however many requests race.
 *
 * Only fields of the written model itself: a dotted path, an `any` term, a name search on a
 * relational field or child_of/parent_of would need sub-searches of other records, which the
 * version conditions do not hold (they could change between the read and the commit).
 */
import { BadRequestError, PreconditionFailedError } from '../../errors';
import type { ModelDef, ModelRegistry } from '../../models/registry';
import type { PyValue } from '../../wire/pyvalue';
import type { StoredRecord } from '../port';
import { matchRecord, parseDomain, subpathLeaves, type DomainNode } from '../search/domain';

/** Parses and checks `where` before anything is read: 403 for unknown fields, 400 past the model's own fields. */
export function parseWhere(raw: PyValue, model: ModelDef, registry: ModelRegistry): DomainNode {
  const node = parseDomain(raw, model, registry);
  if (subpathLeaves(node).length > 0)
    throw new BadRequestError(
      "'where' may only compare fields of the written records themselves: no dotted paths, 'any', " +
        'child_of/parent_of or name searches on relational fields (compare a many2one with ids instead)',
    );
  return node;
}

/** Throws a 412 naming the records (as read) that do not match `where`; nothing is written then. */
export function assertWhere(model: ModelDef, where: DomainNode, records: readonly StoredRecord[]): void {
  const failing = records.filter(
    (record) =>
      !matchRecord(where, record, () => {
        throw new Error('where: a domain without sub-searches resolved a node');
      }),
  );
  if (failing.length > 0)
    throw new PreconditionFailedError(
      `The records ${model.model}(${failing.map((record) => record.id).join(', ')}) do not match the where ` +
        'domain; nothing was written',
    );
}
