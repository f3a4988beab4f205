/** Odoo's unlink(): delete records, all or nothing, with the ondelete rules of ondelete.ts. */
import { randomUUID } from 'node:crypto';
import { getModel } from '../models/registry';
import {
  checkRecordsPerWrite,
  checkTransactionSize,
  requestActions,
  commitWithRetries,
  requestReady,
  requireRecords,
  type KeyedRequest,
} from './commit';
import type { Caller, RecordsDeps } from './deps';
import { keepInversesInStep } from './inverses';
import { keepCompleteNamesInStep } from './complete-names';
import { DeletionMarks, planUnlink } from './ondelete';
import { deleteAction, updateAction, type RecordKey, type StoredRecord, type WriteAction } from './port';

export interface UnlinkRequest extends KeyedRequest {
  readonly model: string;
  readonly ids: readonly number[];
  readonly caller: Caller;
  /**
   * A check of the records as read (an If-Match), run on every attempt before anything is
   * marked or deleted; it throws (a 412) to refuse. The version conditions hold it to the commit.
   */
  readonly precondition?: (records: readonly StoredRecord[]) => void;
}

/**
 * Deletes the records of `ids` and applies the ondelete rules, in one transaction or not at all.
 * Round trips: the records; their deletion marks (one more per cascade level), each before the
 * scans for references to them; the commit. A delete that ends without deleting removes its marks.
 */
export async function unlinkRecords(deps: RecordsDeps, request: UnlinkRequest): Promise<void> {
  const model = getModel(deps.registry, request.model);
  // The transaction's header (commit.ts stampChanges) takes one action beside the records.
  checkRecordsPerWrite(request.ids, request, 1);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  const transactionId = randomUUID();
  const target = {
    model,
    what: `The records ${model.model}(${request.ids.join(', ')})`,
    caller: request.caller,
    transactionId,
    onCommit: request.meter?.committed,
  };
  const marks = new DeletionMarks(deps, transactionId);
  let deleted: readonly RecordKey[] = [];

  try {
    await commitWithRetries(deps, target, async () => {
      const [found] = await Promise.all([deps.store.getMany(keys, { consistent: true }), requestReady(request)]);
      const records = requireRecords(model.model, request.ids, found);
      // On a retry its own marks from the attempt before are on the records: not a change by anyone.
      request.precondition?.(records.map((record) => marks.asBeforeOwnMarks(record)));
      const plan = await planUnlink(deps, records, marks);
      const actions: WriteAction[] = [
        ...plan.deleted.map((record): WriteAction => deleteAction(record)),
        ...plan.updates.map(({ record, set }): WriteAction => updateAction(record, set)),
        ...requestActions(request, model.model, request.ids, deps.now?.() ?? new Date()),
      ];
      const at = (deps.now?.() ?? new Date()).getTime();
      const built = { actions, newStates: [], linkedStates: [], checkedFields: new Map() };
      const linked = await keepInversesInStep(deps.store, deps.registry, built, at);
      const transaction = await keepCompleteNamesInStep(deps.store, deps.registry, linked, at);
      checkTransactionSize(transaction.actions.length, request.ids.length);
      marks.assertHeld(plan.deleted);
      deleted = plan.deleted;
      return { transaction, answer: Promise.resolve() };
    });
  } catch (error) {
    await marks.release();
    throw error;
  }
  // Records an earlier attempt marked that the committed one did not delete (usually none).
  await marks.release(deleted);
}
