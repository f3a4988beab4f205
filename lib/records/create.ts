/**
 * Odoo's create(): a new record with a fresh id from the model's sequence, defaults applied,
 * required fields enforced, x2many links checked, all in one transaction; answered as read().
 * Round trips: the id (and any records (1, id, vals) commands update), then the commit beside the
 * display names.
 */
import { randomUUID } from 'node:crypto';
import { InvalidValueError } from '../errors';
import { getModel, type ModelDef } from '../models/registry';
import type { PyDict, PyValue } from '../wire/pyvalue';
import {
  checkTransactionSize,
  commitWithRetries,
  requestActionCount,
  requestActions,
  requestReady,
  type KeyedRequest,
} from './commit';
import { formatOdooDatetime } from './dates';
import { keepInversesInStep } from './inverses';
import { keepCompleteNamesInStep } from './complete-names';
import type { Caller, RecordsDeps } from './deps';
import type { StoredRecord } from './port';
import { readDisplayNames, renderRecord } from './read';
import type { ReservedIds } from './reserved-ids';
import { buildCreateTransaction, newRecord, plannedActions } from './transaction';
import { validateVals, withoutOperators, type LinkedCreate } from './validate';
import { reserveCreatedIds } from './write';

export interface CreateRequest extends KeyedRequest {
  readonly model: string;
  readonly vals: ReadonlyMap<string, PyValue>;
  readonly caller: Caller;
}

export async function createRecord(deps: RecordsDeps, request: CreateRequest): Promise<PyDict> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  const vals = withoutOperators(validateVals(model, request.vals, registry), undefined, 'create (POST)');
  if (vals.deletes.size > 0)
    throw new InvalidValueError(
      'Command (2, id) is not allowed in create: the new record has no linked records to delete yet',
    );
  const linkedKeys = [...vals.linked.values()].map((link) => link.key);
  const now = deps.now ?? (() => new Date());
  // Required fields are checked before an id is spent on a record that cannot be created.
  newRecord(model, 0, vals, request.caller, formatOdooDatetime(now()));
  // So is the size of its transaction (the record, its (0, 0, vals) records, linked records,
  // checks, a key claim): more than one transaction holds is a 400 before any id is reserved.
  checkTransactionSize(plannedActions(vals, [{ model: model.model, id: 0 }], requestActionCount(request)), 1);

  const target = {
    model,
    what: `A new ${model.model} record`,
    caller: request.caller,
    transactionId: randomUUID(),
    onCommit: request.meter?.committed,
  };
  return commitWithRetries(deps, target, async (reserved) => {
    const [ids, linkedRecords] = await Promise.all([
      reserved.kept(() => takeCreateIds(reserved, model, vals.creates)),
      linkedKeys.length > 0 ? store.getMany(linkedKeys, { consistent: true }) : new Map<string, StoredRecord>(),
      requestReady(request),
    ]);
    const at = now();
    const commitTime = formatOdooDatetime(at);
    const record = newRecord(model, ids.id, vals, request.caller, commitTime, {}, ids.createdIds);
    const built = buildCreateTransaction({
      model,
      record,
      vals,
      caller: request.caller,
      commitTime,
      now: at.getTime(),
      linkedRecords,
      createdIds: ids.createdIds,
    });
    const linked = await keepInversesInStep(store, registry, built, at.getTime());
    linked.actions.push(...requestActions(request, model.model, [record.id], now()));
    const transaction = await keepCompleteNamesInStep(store, registry, linked, at.getTime());
    checkTransactionSize(transaction.actions.length, 1);
    const [created] = transaction.newStates as [StoredRecord];
    const answer = readDisplayNames(registry, store, [created], transaction.linkedStates, model.fields).then(
      (displayName) => renderRecord(model, created, displayName),
    );
    return { transaction, answer };
  });
}

/** The new record's id and those of the records its (0, 0, vals) commands create, reserved at once. */
async function takeCreateIds(
  reserved: ReservedIds,
  model: ModelDef,
  creates: readonly LinkedCreate[],
): Promise<{ id: number; createdIds: number[] }> {
  const [[id], [createdIds]] = await Promise.all([
    reserved.take(model.model, 1),
    reserveCreatedIds(reserved, creates, 1),
  ]);
  return { id: id as number, createdIds: createdIds as number[] };
}
