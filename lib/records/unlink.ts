/** Odoo's unlink(): delete records, all or nothing, with the ondelete rules of lib/records/ondelete.ts. */
import { RecordNotFoundError } from '../errors';
import { planUnlink } from './ondelete';
import { recordKeyString, type StoredRecord, type WriteAction } from './port';
import { checkRecordsPerWrite, checkTransactionSize, claimActions, commitOrRetry, getModel, type KeyedRequest, type RecordsDeps } from './records';

export interface UnlinkRequest extends KeyedRequest {
  readonly model: string;
  readonly ids: readonly number[];
}

/** Deletes the records of `ids` and applies the ondelete rules, in one transaction or not at all. */
export async function unlinkRecords(deps: RecordsDeps, request: UnlinkRequest): Promise<void> {
  const model = getModel(deps.registry, request.model);
  checkRecordsPerWrite(request.ids, request);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  for (let attempt = 1; ; attempt++) {
    const [found] = await Promise.all([deps.store.getMany(keys, { consistent: true }), request.beforeCommit]);
    const missing = request.ids.filter((id) => !found.has(recordKeyString({ model: model.model, id })));
    if (missing.length > 0) throw new RecordNotFoundError(model.model, missing);
    const plan = await planUnlink(deps, keys.map((key) => found.get(recordKeyString(key)) as StoredRecord));
    const actions: WriteAction[] = [
      ...plan.deleted.map((record): WriteAction => ({ kind: 'delete', key: { model: record.model, id: record.id }, expectedVersion: record.version })),
      ...plan.updates.map(({ record, set }): WriteAction => ({ kind: 'update', key: { model: record.model, id: record.id }, expectedVersion: record.version, set })),
      ...claimActions(request, model.model, request.ids, deps.now?.() ?? new Date()),
    ];
    checkTransactionSize(actions.length, request.ids.length);
    const transaction = { actions, newStates: [], linkedStates: [], checkedFields: new Map() };
    if ((await commitOrRetry(deps, transaction, model, attempt, `The records ${model.model}(${request.ids.join(', ')})`)) === 'committed') return;
  }
}
