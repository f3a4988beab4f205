/**
 * Committing a write: the read-compute-commit cycle every write, create and unlink runs, its
 * bounded retries, what a cancelled transaction means action by action, the ids it reserved given
 * back when it fails, and the Idempotency-Key claim that rides in its transaction.
 */
import { randomUUID } from 'node:crypto';
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
import { formatOdooDatetime } from './dates';
import type { Caller, RecordsDeps } from './deps';
import {
  MAX_TRANSACTION_ACTIONS,
  holds,
  recordKeyString,
  type ChangeStamp,
  type CounterIncrement,
  type PendingClaim,
  type RecordKey,
  type StoredRecord,
  type WriteAction,
} from './port';
import { ReservedIds } from './reserved-ids';
import { settleCompleteNames } from './complete-names';
import type { WriteTransaction } from './transaction';

/**
 * What rides in a write's own transaction besides its records, each settled beside the first reads
 * (awaited with them: no round trip of its own).
 * - `key`, a request's Idempotency-Key (lib/object-api/keyed-call.ts owns the flow): the claim to
 *   commit, and whether no earlier request used the key.
 * - `meter`, a metered call's part (lib/metering/meter.ts owns the flow): the usage ledger's count
 *   to commit, so a write is billed exactly when it committed, and the plan's limits, taken beside
 *   the reads: the commit waits for them, and a call over its limits writes nothing.
 */
export interface KeyedRequest {
  readonly key?: { readonly claim: PendingClaim; readonly unused: Promise<boolean> } | undefined;
  readonly meter?: MeteredWrite | undefined;
}

export interface MeteredWrite {
  /** The ledger's count of this write (a fresh one per attempt: its item is picked at random). */
  readonly count: () => CounterIncrement;
  /** Resolves once the plan lets the call in; rejects (a 429) if not. */
  readonly allowed: Promise<void>;
  /** Told once the transaction that carries the count has committed (whatever fails after it). */
  readonly committed: () => void;
}

/**
 * Resolves once the key is known to be unused and the plan lets the call in (at once without
 * either); KeyAlreadyClaimedError if the key was used, the meter's 429 if the plan refuses.
 */
export async function requestReady({ key, meter }: KeyedRequest): Promise<void> {
  const [unused] = await Promise.all([key?.unused ?? true, meter?.allowed]);
  if (!unused) throw new KeyAlreadyClaimedError();
}

/**
 * The transaction actions that ride with the records: the claim of the request's key, for the
 * records it writes, and the ledger's count.
 */
export function requestActions(
  { key, meter }: KeyedRequest,
  model: string,
  recordIds: readonly number[],
  now: Date,
): WriteAction[] {
  const actions: WriteAction[] = [];
  if (key)
    actions.push({ kind: 'claim', claim: { ...key.claim, model, recordIds }, now: Math.floor(now.getTime() / 1000) });
  if (meter) actions.push({ kind: 'count', increment: meter.count() });
  return actions;
}

/** How many actions requestActions adds to a transaction. */
export const requestActionCount = ({ key, meter }: KeyedRequest): number => (key ? 1 : 0) + (meter ? 1 : 0);

/**
 * At most the records one transaction holds (less the actions a key claim, the ledger's count and
 * `extra` — a delete's transaction header — take), else a 400 naming the limit.
 */
export function checkRecordsPerWrite(ids: readonly number[], request: KeyedRequest, extra = 0): void {
  const limit = MAX_TRANSACTION_ACTIONS - requestActionCount(request) - extra;
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
  /** Who writes: the committed records are stamped with it (stampChanges). */
  readonly caller: Caller;
  /**
   * The request's transaction id (random; its deletion marks' token when it deletes, so a deleted
   * record's last state names its transaction): the same on every attempt, since one commits.
   */
  readonly transactionId: string;
  /** Told once the write's transaction has committed, before its answer is awaited. */
  readonly onCommit?: (() => void) | undefined;
}

const DEFAULT_MAX_ATTEMPTS = 4;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs the read-compute-commit cycle until one attempt commits, and answers that attempt's answer.
 * `attempt` reads the records and builds the transaction (the ids it reserves with `reserved` are
 * kept across attempts, and given back if the request fails). A version conflict or throttling
 * re-runs it after a jittered pause; once the attempts are spent it is a 409 (503 when only
 * throttling was seen). So does a referenced record that a delete has marked: the write waits for
 * that delete's outcome, as PostgreSQL makes an insert wait on a row being deleted.
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
      const outcome = await runAttempt(deps, attempt, reserved, target);
      if (outcome.committed) return outcome.answer;
      const { rejected, transaction } = outcome;
      const targets = await targetsBeingDeleted(deps, rejected);
      const classified = classifyCancellation(rejected, transaction, target.model, targets);
      if (number >= maxAttempts) {
        if (classified.throttledOnly) throw new ServiceUnavailableError(1, { cause: rejected.error });
        const held = classified.beingDeleted;
        const message = held
          ? `${held.model}(${held.id}) is being deleted by another request (${number} attempts); nothing was written.`
          : `${target.what} kept changing during the write (${number} attempts); nothing was written.`;
        throw new WriteConflictError(`${message} Retry the request.`, { cause: rejected.error });
      }
      // A new record's id is held by a record loaded behind the sequence's back: new ids, then again.
      if (classified.idTaken) reserved.forgetAll();
      await (deps.sleep ?? defaultSleep)(Math.random() * 20 * 2 ** number);
    }
  } catch (error) {
    await reserved.giveBack();
    throw error;
  }
}

/** One attempt: its answer once committed, or what cancelled it (its commit, or a step before: commitStep). */
async function runAttempt<T>(
  deps: RecordsDeps,
  attempt: (reserved: ReservedIds) => Promise<Attempt<T>>,
  reserved: ReservedIds,
  target: WriteTarget,
): Promise<{ committed: true; answer: T } | { committed: false; rejected: Rejected; transaction: WriteTransaction }> {
  let current: Attempt<T>;
  try {
    current = await attempt(reserved);
  } catch (error) {
    if (!(error instanceof StepCancelled)) throw error;
    return { committed: false, rejected: error.rejected, transaction: error.transaction };
  }
  // Awaited once the commit succeeds; a failure before then must not go unhandled.
  current.answer.catch(() => undefined);
  const actions = stampChanges(current.transaction.actions, target, deps.now?.() ?? new Date());
  checkTransactionSize(actions.length, current.transaction.newStates.length);
  // The classification reads the actions by their index in the transaction: the stamped ones.
  const transaction = { ...current.transaction, actions };
  const rejected = await commit(deps, transaction);
  if (rejected === undefined) {
    target.onCommit?.();
    if (transaction.settle) await settleAfterCommit(deps, target, transaction.settle);
    return { committed: true, answer: await current.answer };
  }
  return { committed: false, rejected, transaction };
}

/**
 * The contacts below the records a committed write renamed that its transaction could not hold,
 * renamed in transactions of their own (complete-names.ts), each stamped as its own change. The
 * write has committed: a failure here leaves them their old names (`npm run reindex` names them)
 * and does not fail the write.
 */
async function settleAfterCommit(deps: RecordsDeps, target: WriteTarget, keys: readonly RecordKey[]): Promise<void> {
  try {
    await settleCompleteNames(deps.store, deps.registry, keys, async (actions) => {
      const stamped = stampChanges(
        actions,
        { transactionId: randomUUID(), caller: target.caller },
        deps.now?.() ?? new Date(),
      );
      const transaction = { actions: stamped, newStates: [], linkedStates: [], checkedFields: new Map() };
      return (await commit(deps, transaction)) === undefined;
    });
  } catch {
    // Left as they are (see above): the write's own answer stands.
  }
}

/** How long a transaction header is kept: the stream holds a change 24 h; a stalled consumer may take longer. */
const HEADER_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The transaction's actions with its changes stamped for the change feed (lib/changes): each
 * created or updated record carries the transaction's id, its number of changed records and its
 * own place among them; a transaction that deletes also writes its header (one more action), where
 * the deleted records find theirs. The places follow the actions' order.
 */
export function stampChanges(
  actions: readonly WriteAction[],
  { transactionId, caller }: Pick<WriteTarget, 'transactionId' | 'caller'>,
  now: Date,
): WriteAction[] {
  const count = actions.filter(
    ({ kind }) => kind === 'create' || kind === 'update' || kind === 'append' || kind === 'delete',
  ).length;
  let position = 0;
  const stamp = (): ChangeStamp => ({ transactionId, count, position: position++, clientId: caller.clientId });
  const deleted: (RecordKey & { position: number })[] = [];
  const stamped = actions.map((action): WriteAction => {
    if (action.kind === 'create' || action.kind === 'update' || action.kind === 'append')
      return { ...action, stamp: stamp() };
    if (action.kind === 'delete') deleted.push({ ...action.key, position: position++ });
    return action;
  });
  if (deleted.length === 0) return stamped;
  const at = formatOdooDatetime(now);
  const expiresAt = Math.floor(now.getTime() / 1000) + HEADER_TTL_SECONDS;
  const header = { transactionId, count, deleted, clientId: caller.clientId, userId: caller.userId, at, expiresAt };
  return [...stamped, { kind: 'header', header }];
}

/** An attempt's earlier transaction (commitStep) was cancelled: the attempt ends as a cancelled commit does. */
class StepCancelled extends Error {
  constructor(
    readonly rejected: Rejected,
    readonly transaction: WriteTransaction,
  ) {
    super('A step of the attempt was cancelled', { cause: rejected.error });
  }
}

/**
 * Commits `actions` that must land before the attempt goes on (a delete's marks, ondelete.ts),
 * inside commitWithRetries' `attempt` only: a cancellation ends the attempt the way a cancelled
 * commit does, retried or final by the same rules.
 */
export async function commitStep(deps: RecordsDeps, actions: WriteAction[]): Promise<void> {
  const transaction: WriteTransaction = { actions, newStates: [], linkedStates: [], checkedFields: new Map() };
  const rejected = await commit(deps, transaction);
  if (rejected) throw new StepCancelled(rejected, transaction);
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

/** A check, or a write that makes a check's demand (a parent whose list gains a child: inverses.ts). */
const isReferenceDemand = (
  action: WriteAction,
): action is Extract<WriteAction, { kind: 'check' | 'update' | 'append' }> =>
  action.kind === 'check' || action.kind === 'append' || (action.kind === 'update' && action.unmarkedAt !== undefined);

/**
 * Of the referenced records whose check failed, those that exist: a delete's mark holds them (or
 * held them: that delete failed since), or, for a check that also demanded values (a Holding),
 * another write changed them (`changed`: another attempt reads them again). Read only after such
 * a failure, never on the common path.
 */
async function targetsBeingDeleted(
  deps: RecordsDeps,
  { actions }: Rejected,
): Promise<{ beingDeleted: ReadonlySet<string>; changed: ReadonlySet<string> }> {
  const keys = actions.flatMap(({ action, reason }) =>
    reason === 'condition' && isReferenceDemand(action) ? [action.key] : [],
  );
  if (keys.length === 0) return { beingDeleted: new Set(), changed: new Set() };
  const found = await deps.store.getMany(keys, { consistent: true });
  // An existing record fails a check only under a mark or for its values; an update may just have lost to a write.
  const demands = new Map(
    actions.flatMap(({ action }) =>
      action.kind === 'check' || action.kind === 'append' ? [[recordKeyString(action.key), action] as const] : [],
    ),
  );
  const beingDeleted = new Set<string>();
  const changed = new Set<string>();
  for (const [key, record] of found) {
    const demand = demands.get(key);
    if (record.deleting) beingDeleted.add(key);
    else if (demand && !holds(record.values, demand.holding)) changed.add(key);
    else if (demand) beingDeleted.add(key);
  }
  return { beingDeleted, changed };
}

/**
 * What a cancellation means. Final, thrown at once: the key claimed by a request that committed
 * first (it is replayed), a record grown past DynamoDB's item size (413), a referenced record that
 * does not exist (403). Otherwise worth another attempt: another write got there first (a version
 * condition, a delete's mark, or a transaction on the same item), DynamoDB throttled, a new
 * record's id was taken, or a referenced record is being deleted (`beingDeleted`: its delete may
 * yet fail; once it commits, the next attempt's check says it does not exist).
 */
function classifyCancellation(
  { error, actions }: Rejected,
  { checkedFields }: WriteTransaction,
  model: ModelDef,
  { beingDeleted, changed }: { beingDeleted: ReadonlySet<string>; changed: ReadonlySet<string> },
) {
  let held: RecordKey | undefined;
  for (const { action, reason } of actions) {
    if (reason === 'condition' && action.kind === 'claim') throw new KeyAlreadyClaimedError();
    if (reason === 'too-large') throw new RecordTooLargeError({ cause: error });
    if (reason === 'condition' && isReferenceDemand(action)) {
      if (beingDeleted.has(recordKeyString(action.key))) {
        held = action.key;
        continue;
      }
      // An update's version moved on, or a checked record's values (someone wrote the record):
      // another attempt reads it again.
      if (action.kind === 'update' || changed.has(recordKeyString(action.key))) continue;
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
    beingDeleted: held,
  };
}
