/**
 * Committing a write: the read-compute-commit cycle every write, create and unlink runs, its
 * bounded retries, what a cancelled transaction means action by action, the ids it reserved given
 * back when it fails, and the Idempotency-Key claim that rides in its transaction.
 */
import {
  BadRequestError,
  InvalidValueError,
  KeyAlreadyClaimedError,
  RecordNotFoundError,
  RecordTooLargeError,
  ServiceUnavailableError,
  TooManyIdsError,
  TransactionCancelledError,
  WriteConflictError,
  type CancellationReason,
} from '../errors';
import type { ModelDef } from '../models/registry';
import type { RecordsDeps } from './deps';
import {
  MAX_TRANSACTION_ACTIONS,
  recordKeyString,
  type PendingClaim,
  type StoredRecord,
  type WriteAction,
} from './port';
import { ReservedIds } from './reserved-ids';
import type { WriteTransaction } from './transaction';

/**
 * A request's Idempotency-Key (lib/object-api/keyed-call.ts owns the flow): the claim to commit in
 * the request's own transaction, and whether no earlier request used the key — looked up alongside
 * the first reads and awaited with them, so it costs no round trip of its own.
 */
export interface KeyedRequest {
  readonly key?: { readonly claim: PendingClaim; readonly unused: Promise<boolean> } | undefined;
}

/** Resolves once the key is known to be unused (at once without a key); KeyAlreadyClaimedError if not. */
export async function keyUnused({ key }: KeyedRequest): Promise<void> {
  if (key && !(await key.unused)) throw new KeyAlreadyClaimedError();
}

/** The transaction action that claims a request's key, if it has one, for the records it writes. */
export function claimActions(
  { key }: KeyedRequest,
  model: string,
  recordIds: readonly number[],
  now: Date,
): WriteAction[] {
  if (!key) return [];
  return [{ kind: 'claim', claim: { ...key.claim, model, recordIds }, now: Math.floor(now.getTime() / 1000) }];
}

/** At most the records one transaction holds (less the action a key claim takes), else a 400 naming the limit. */
export function checkRecordsPerWrite(ids: readonly number[], request: KeyedRequest): void {
  const limit = MAX_TRANSACTION_ACTIONS - (request.key ? 1 : 0);
  if (ids.length > limit) throw new TooManyIdsError(ids.length, limit);
}

export function checkTransactionSize(actions: number, records: number): void {
  if (actions > MAX_TRANSACTION_ACTIONS) {
    throw new BadRequestError(
      `This write needs ${actions} transaction actions (${records} records and ${actions - records} ` +
        `linked or referenced records); one all-or-nothing write holds at most ${MAX_TRANSACTION_ACTIONS}`,
    );
  }
}

/** The records of `ids` among those read, in the order of `ids`; any missing is a 404 naming them all. */
export function requireRecords(
  model: string,
  ids: readonly number[],
  found: ReadonlyMap<string, StoredRecord>,
): StoredRecord[] {
  const missing = ids.filter((id) => !found.has(recordKeyString({ model, id })));
  if (missing.length > 0) throw new RecordNotFoundError(model, missing);
  return ids.map((id) => found.get(recordKeyString({ model, id })) as StoredRecord);
}

/** One attempt: its transaction, and the answer to give if it commits (already under way beside the commit). */
export interface Attempt<T> {
  readonly transaction: WriteTransaction;
  readonly answer: Promise<T>;
}

/** What the request is writing, for the 409 that ends it when its records keep changing. */
export interface WriteTarget {
  readonly model: ModelDef;
  /** E.g. `The records res.partner(17, 20)`. */
  readonly what: string;
}

const DEFAULT_MAX_ATTEMPTS = 4;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs the read-compute-commit cycle until one attempt commits, and answers that attempt's answer.
 * `attempt` reads the records and builds the transaction (the ids it reserves with `reserved` are
 * kept across attempts, and given back if the request fails). A version conflict or throttling
 * re-runs it after a jittered pause; once the attempts are spent it is a 409 (503 when only
 * throttling was seen).
 */
export async function commitWithRetries<T>(
  deps: RecordsDeps,
  target: WriteTarget,
  attempt: (reserved: ReservedIds) => Promise<Attempt<T>>,
): Promise<T> {
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const reserved = new ReservedIds(deps.store);
  try {
    for (let number = 1; ; number++) {
      const { transaction, answer } = await attempt(reserved);
      // Awaited once the commit succeeds; a failure before then must not go unhandled.
      answer.catch(() => undefined);
      const rejected = await commit(deps, transaction);
      if (rejected === undefined) return await answer;
      const outcome = classifyCancellation(rejected, transaction, target.model);
      if (number >= maxAttempts) {
        if (outcome.throttledOnly) throw new ServiceUnavailableError(1, { cause: rejected.error });
        const message = `${target.what} kept changing during the write (${number} attempts); nothing was written.`;
        throw new WriteConflictError(`${message} Retry the request.`, { cause: rejected.error });
      }
      // A new record's id is held by a record loaded behind the sequence's back: new ids, then again.
      if (outcome.idTaken) reserved.forgetAll();
      await (deps.sleep ?? defaultSleep)(Math.random() * 20 * 2 ** number);
    }
  } catch (error) {
    await reserved.giveBack();
    throw error;
  }
}

/** The actions a cancelled transaction refused, with why: data the caller branches on. */
interface Rejected {
  readonly error: TransactionCancelledError;
  readonly actions: readonly { readonly action: WriteAction; readonly reason: Exclude<CancellationReason, 'none'> }[];
}

/** Commits; undefined when it did, the refused actions when a condition, a conflict or throttling cancelled it. */
async function commit(deps: RecordsDeps, transaction: WriteTransaction): Promise<Rejected | undefined> {
  try {
    await deps.store.transact(transaction.actions);
    return undefined;
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error;
    const actions = error.reasons.flatMap((reason, index) => {
      const action = transaction.actions[index];
      return action && reason !== 'none' ? [{ action, reason }] : [];
    });
    return { error, actions };
  }
}

/**
 * What a cancellation means. Final, thrown at once: the key claimed by a request that committed
 * first (it is replayed), a record grown past DynamoDB's item size (413), a referenced record that
 * does not exist (403). Otherwise worth another attempt: another write got there first (a version
 * condition, or a transaction on the same item), DynamoDB throttled, or a new record's id was taken.
 */
function classifyCancellation({ error, actions }: Rejected, { checkedFields }: WriteTransaction, model: ModelDef) {
  for (const { action, reason } of actions) {
    if (reason === 'condition' && action.kind === 'claim') throw new KeyAlreadyClaimedError();
    if (reason === 'too-large') throw new RecordTooLargeError({ cause: error });
    if (reason === 'condition' && action.kind === 'check') {
      const field = checkedFields.get(recordKeyString(action.key));
      throw new InvalidValueError(
        `Invalid value for field '${field?.name}' (${field?.type}) on model '${model.model}': ` +
          `${action.key.model}(${action.key.id}) does not exist`,
      );
    }
    if (reason === 'other') throw new Error(`Unexpected transaction cancellation: ${error.message}`, { cause: error });
  }
  return {
    idTaken: actions.some(({ action, reason }) => reason === 'condition' && action.kind === 'create'),
    throttledOnly: actions.length > 0 && actions.every(({ reason }) => reason === 'throttled'),
  };
}
