/** Odoo's unlink(): delete records, all or nothing, with the ondelete rules of ondelete.ts. */
import { getModel } from '../models/registry';
import {
  checkRecordsPerWrite,
  checkTransactionSize,
  claimActions,
  commitWithRetries,
  keyUnused,
  requireRecords,
  type KeyedRequest,
} from './commit';
import type { RecordsDeps } from './deps';
import { planUnlink } from './ondelete';
import type { WriteAction } from './port';

export interface UnlinkRequest extends KeyedRequest {
  readonly model: string;
  readonly ids: readonly number[];
}

/** Deletes the records of `ids` and applies the ondelete rules, in one transaction or not at all. */
export async function unlinkRecords(deps: RecordsDeps, request: UnlinkRequest): Promise<void> {
  const model = getModel(deps.registry, request.model);
  checkRecordsPerWrite(request.ids, request);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  const target = { model, what: `The records ${model.model}(${request.ids.join(', ')})` };

  return commitWithRetries(deps, target, async () => {
    const [found] = await Promise.all([deps.store.getMany(keys, { consistent: true }), keyUnused(request)]);
    const plan = await planUnlink(deps, requireRecords(model.model, request.ids, found));
    const actions: WriteAction[] = [
      ...plan.deleted.map((record): WriteAction => ({
        kind: 'delete',
        key: { model: record.model, id: record.id },
        expectedVersion: record.version,
      })),
      ...plan.updates.map(({ record, set }): WriteAction => ({
        kind: 'update',
        key: { model: record.model, id: record.id },
        expectedVersion: record.version,
        set,
      })),
      ...claimActions(request, model.model, request.ids, deps.now?.() ?? new Date()),
    ];
    checkTransactionSize(actions.length, request.ids.length);
    return {
      transaction: { actions, newStates: [], linkedStates: [], checkedFields: new Map() },
      answer: Promise.resolve(),
    };
  });
}
