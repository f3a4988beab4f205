/**
 * Odoo's write(): the same vals on every id, all or nothing, answered as read() with all fields.
 *
 * Two sequential round trips for n ids (DESIGN §2):
 *   1. one consistent BatchGet of the records (their values and versions), beside the
 *      Idempotency-Key lookup;
 *   2. one TransactWriteItems (a version-conditioned Update per record and per record a (1, id, vals)
 *      command updates, a ConditionCheck per newly referenced record; the store sends a lone Update
 *      as a conditional UpdateItem), beside the BatchGet of the display names the answer shows.
 * A version conflict re-reads and tries again, a bounded number of times (commit.ts). (2, id)
 * commands add their deletion marks and the scans for references before the commit (ondelete.ts).
 * (0, 0, vals) commands add one round trip between the two: their ids are reserved only once the
 * records are known to exist and the transaction to fit (counted first from the vals, then built
 * with stand-in ids), so a write that fails those checks takes no id from any sequence.
 * Operators in vals ($inc...) and the `where` guard work on the read of step 1 (computed/), so
 * they cost no round trip, and a re-read after a conflict computes and checks them again.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, InvalidValueError } from '../errors';
import { getModel } from '../models/registry';
import type { PyDict, PyValue } from '../wire/pyvalue';
import {
  checkRecordsPerWrite,
  checkTransactionSize,
  commitWithRetries,
  requestActionCount,
  requestActions,
  requestReady,
  requireRecords,
  type KeyedRequest,
} from './commit';
import { assertWhere, parseWhere } from './computed/where';
import { formatOdooDatetime } from './dates';
import type { Caller, RecordsDeps } from './deps';
import { keepInversesInStep } from './inverses';
import { keepCompleteNamesInStep } from './complete-names';
import { DeletionMarks, planUnlink } from './ondelete';
import type { RecordKey, StoredRecord } from './port';
import { readDisplayNames, renderRecord } from './read';
import type { ReservedIds } from './reserved-ids';
import { buildWriteTransaction, placeholderIds, plannedActions } from './transaction';
import { validateVals, type LinkedCreate, type ValidatedVals } from './validate';

export interface WriteRequest extends KeyedRequest {
  readonly model: string;
  readonly ids: readonly number[];
  readonly vals: ReadonlyMap<string, PyValue>;
  readonly caller: Caller;
  /**
   * An Odoo domain (already parsed from its literal) every written record must match, on the
   * same consistent read the write is computed from; else a 412 naming those that do not, and
   * nothing written. Fields of the model itself only (computed/where.ts).
   */
  readonly where?: PyValue;
  /**
   * A check of the records as read (an If-Match), run on every attempt before anything is
   * computed; it throws (a 412) to refuse the write. The version conditions hold it to the commit.
   */
  readonly precondition?: (records: readonly StoredRecord[]) => void;
}

/** The committed records rendered as read() with all fields, in the order of `ids`. */
export async function writeRecords(deps: RecordsDeps, request: WriteRequest): Promise<PyDict[]> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  if (request.ids.length === 0)
    throw new BadRequestError("'ids' is empty: give the ids of the records to update, e.g. ids=17,20");
  checkRecordsPerWrite(request.ids, request);
  const vals = validateVals(model, request.vals, registry);
  const where = request.where === undefined ? undefined : parseWhere(request.where, model, registry);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  const linkedKeys = [...vals.linked.values()].map((link) => link.key);
  const deleteKeys = [...vals.deletes.values()].map((target) => target.key);
  const now = deps.now ?? (() => new Date());
  // (2, id) deletes records: marked before the references to them are looked for (ondelete.ts).
  const transactionId = randomUUID();
  const marks = vals.deletes.size > 0 ? new DeletionMarks(deps, transactionId) : undefined;
  const target = {
    model,
    what: `The records ${model.model}(${request.ids.join(', ')})`,
    caller: request.caller,
    transactionId,
    onCommit: request.meter?.committed,
  };
  let deleted: readonly RecordKey[] = [];
  try {
    const answer = await commitWithRetries(deps, target, async (reserved) => {
      const [found] = await Promise.all([
        store.getMany([...keys, ...linkedKeys, ...deleteKeys], { consistent: true }),
        requestReady(request),
      ]);
      const records = requireRecords(model.model, request.ids, found);
      // The conditions, on this attempt's read (a retry re-reads, and checks again): a record that
      // changed since stops the commit by its version, so what held here holds when it commits.
      request.precondition?.(records);
      if (where) assertWhere(model, where, records);
      // Missing records are a 404 first, as the original checks them before writing; then a write
      // that cannot fit one transaction is a 400, counted from the vals before anything else.
      checkTransactionSize(plannedActions(vals, keys, requestActionCount(request)), keys.length);
      // (2, id): what deleting those records takes (extra reads, only when the command is used).
      const unlinkPlan = marks ? await planUnlink(deps, deletedTargets(vals, found), marks) : undefined;
      const at = now();
      const build = (createdIds: readonly (readonly number[])[]) => {
        const built = buildWriteTransaction({
          model,
          records,
          vals,
          caller: request.caller,
          commitTime: formatOdooDatetime(at),
          now: at.getTime(),
          linkedRecords: found,
          createdIds,
          unlinkPlan,
        });
        built.actions.push(...requestActions(request, model.model, request.ids, now()));
        return built;
      };
      // The records exist; the transaction, built with stand-in ids, must fit before ids are taken.
      let transaction = build(placeholderIds(records.length, vals.creates.length));
      checkTransactionSize(transaction.actions.length, records.length);
      if (vals.creates.length > 0)
        transaction = build(await reserved.kept(() => reserveCreatedIds(reserved, vals.creates, keys.length)));
      transaction = await keepInversesInStep(store, registry, transaction, at.getTime());
      transaction = await keepCompleteNamesInStep(store, registry, transaction, at.getTime());
      if (unlinkPlan) {
        marks?.assertHeld(unlinkPlan.deleted);
        deleted = unlinkPlan.deleted;
      }
      // The display names do not depend on the commit: read them while it runs.
      const { newStates, linkedStates } = transaction;
      const answer = readDisplayNames(registry, store, newStates, linkedStates, model.fields).then((displayName) =>
        newStates.map((record) => renderRecord(model, record, displayName)),
      );
      return { transaction, answer };
    });
    await marks?.release(deleted);
    return answer;
  } catch (error) {
    await marks?.release();
    throw error;
  }
}

/**
 * Ids for the records that (0, 0, vals) commands create: `perRecord[i]` for written record i, one
 * per command in order. One counter increment per command, all at once (after the reads for a
 * write, beside them for a create).
 */
export async function reserveCreatedIds(
  reserved: ReservedIds,
  creates: readonly LinkedCreate[],
  records: number,
): Promise<number[][]> {
  const byCommand = await Promise.all(creates.map((create) => reserved.take(create.model.model, records)));
  return Array.from({ length: records }, (_, i) => byCommand.map((ids) => ids[i] as number));
}

/** The records of (2, id) commands, as read; one that does not exist is a 403 naming the field. */
function deletedTargets(vals: ValidatedVals, found: ReadonlyMap<string, StoredRecord>): StoredRecord[] {
  return [...vals.deletes].map(([keyString, { key, field }]) => {
    const record = found.get(keyString);
    if (!record)
      throw new InvalidValueError(
        `Invalid command (2, ${key.id}) on field '${field.name}': ${key.model}(${key.id}) does not exist`,
      );
    return record;
  });
}
