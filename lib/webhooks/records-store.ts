/**
 * The WebhookStore (lib/webhooks/port.ts) over the records core: subscriptions are ir.webhook records,
 * deliveries ir.webhook.delivery records, written by the same create/write use cases as the object API
 * (version conditions, log-access fields, validation), so every attempt is readable through the API.
 * The service writes as `caller` (lib/runtime/container-webhooks.ts says who).
 *
 * - Creating a delivery is idempotent by its event id: the create claims an Idempotency-Key made from
 *   it, in its own transaction (lib/records/commit.ts), so the record and the claim exist together or
 *   not at all; a second create with the same event id finds the claim and answers the record it names.
 * - Recording an attempt is one write, conditioned on the version the attempt read (a precondition the
 *   write's version condition holds to its commit): two workers cannot both record attempt N.
 */
import { createHash } from 'node:crypto';
import { KeyAlreadyClaimedError, RecordNotFoundError } from '../errors';
import {
  createRecord,
  formatOdooDatetime,
  writeRecords,
  type Caller,
  type IdempotencyClaim,
  type RecordsDeps,
  type StoredRecord,
} from '../records';
import type { PyValue } from '../wire/pyvalue';
import type {
  AttemptLogEntry,
  Delivery,
  DeliveryState,
  DeliveryUpdate,
  NewDelivery,
  SubscriptionTarget,
  WebhookStore,
} from './port';

export const SUBSCRIPTION_MODEL = 'ir.webhook';
export const DELIVERY_MODEL = 'ir.webhook.delivery';

/**
 * How long the claim that makes a delivery's creation idempotent is kept: a change batch is handed over
 * again within the stream's 24 hours of retention, so two days covers every second hand-over.
 */
export const DELIVERY_CLAIM_LIFETIME_SECONDS = 2 * 86_400;
/** How long the active subscriptions are answered from memory. */
export const SUBSCRIPTIONS_CACHE_MS = 5_000;

export interface RecordsWebhookStoreOptions {
  readonly deps: RecordsDeps;
  /** The user the service writes as. */
  readonly caller: Caller;
  /** 0 reads the subscriptions on every call (tests). */
  readonly cacheMs?: number;
}

/** The precondition's refusal: another worker wrote the delivery since it was read. */
class DeliveryMovedOn extends Error {}

const STATES: ReadonlySet<string> = new Set<DeliveryState>(['pending', 'delivered', 'failed', 'disabled']);

/** Odoo's UTC datetime text as a Date; undefined when empty. */
function parseDatetime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const time = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isNaN(time) ? undefined : new Date(time);
}

const int = (value: unknown): number => (typeof value === 'number' ? value : 0);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function parseLog(value: unknown): AttemptLogEntry[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as AttemptLogEntry[]) : [];
  } catch {
    return [];
  }
}

export function deliveryFromRecord(record: StoredRecord): Delivery {
  const v = record.values;
  const state = str(v.state);
  return {
    id: record.id,
    version: record.version,
    webhookId: int(v.webhook_id),
    eventId: str(v.event_id),
    eventType: str(v.event_type),
    resModel: str(v.res_model),
    resId: int(v.res_id),
    resVersion: int(v.res_version),
    payload: str(v.payload),
    state: STATES.has(state) ? (state as DeliveryState) : 'pending',
    attemptCount: int(v.attempt_count),
    firstAttempt: parseDatetime(v.first_attempt),
    nextAttempt: parseDatetime(v.next_attempt),
    attemptLog: parseLog(v.attempt_log),
  };
}

/** The vals of a delivery update, as a write takes them (False clears a field, as in Odoo). */
export function updateVals(read: Delivery, update: DeliveryUpdate): Map<string, PyValue> {
  const vals = new Map<string, PyValue>([['state', update.state]]);
  const datetime = (date: Date | null) => (date === null ? false : formatOdooDatetime(date));
  if (update.attemptCount !== undefined) vals.set('attempt_count', update.attemptCount);
  if (update.firstAttempt !== undefined) vals.set('first_attempt', datetime(update.firstAttempt));
  if (update.nextAttempt !== undefined) vals.set('next_attempt', datetime(update.nextAttempt));
  if (update.lastStatus !== undefined) vals.set('last_status', update.lastStatus);
  if (update.lastError !== undefined) vals.set('last_error', update.lastError ?? false);
  if (update.deliveredAt !== undefined) vals.set('delivered_at', datetime(update.deliveredAt));
  if (update.appendLog !== undefined) vals.set('attempt_log', JSON.stringify([...read.attemptLog, update.appendLog]));
  return vals;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class RecordsWebhookStore implements WebhookStore {
  readonly #deps: RecordsDeps;
  readonly #caller: Caller;
  readonly #cacheMs: number;
  #cached: { readonly at: number; readonly records: Promise<readonly StoredRecord[]> } | undefined;

  constructor(options: RecordsWebhookStoreOptions) {
    this.#deps = options.deps;
    this.#caller = options.caller;
    this.#cacheMs = options.cacheMs ?? SUBSCRIPTIONS_CACHE_MS;
  }

  #now(): Date {
    return (this.#deps.now ?? (() => new Date()))();
  }

  activeSubscriptions(): Promise<readonly StoredRecord[]> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < this.#cacheMs) return this.#cached.records;
    const records = (async () => {
      const active: StoredRecord[] = [];
      await this.#deps.store.scanModel(SUBSCRIPTION_MODEL, (page) => {
        for (const record of page) if (record.values.active === true) active.push(record);
      });
      // Oldest subscription first: the same order on every call, whatever order the index shards answer in.
      return active.sort((a, b) => a.id - b.id);
    })();
    this.#cached = { at: now, records };
    // A failed read is not kept: the next batch reads again.
    records.catch(() => {
      if (this.#cached?.records === records) this.#cached = undefined;
    });
    return records;
  }

  async createDelivery(delivery: NewDelivery): Promise<{ id: number; created: boolean }> {
    const { store } = this.#deps;
    const claimId = sha256(JSON.stringify([DELIVERY_MODEL, delivery.eventId]));
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const live = (claim: IdempotencyClaim | undefined) => (claim && claim.expiresAt > nowSeconds ? claim : undefined);
    const earlier = store.getClaim(claimId).then(live);
    earlier.catch(() => undefined); // awaited by the create, or below
    const vals = new Map<string, PyValue>([
      ['webhook_id', delivery.webhookId],
      ['event_id', delivery.eventId],
      ['event_type', delivery.eventType],
      ['res_model', delivery.resModel],
      ['res_id', delivery.resId],
      ['res_version', delivery.resVersion],
      ['payload', delivery.payload],
      ['state', 'pending'],
      ['attempt_count', 0],
      ['next_attempt', formatOdooDatetime(delivery.nextAttempt)],
      ['attempt_log', '[]'],
    ]);
    const claim = {
      id: claimId,
      fingerprint: claimId,
      expiresAt: nowSeconds + DELIVERY_CLAIM_LIFETIME_SECONDS,
    };
    try {
      const created = await createRecord(this.#deps, {
        model: DELIVERY_MODEL,
        vals,
        caller: this.#caller,
        key: { claim, unused: earlier.then((found) => found === undefined) },
      });
      return { id: created.get('id') as number, created: true };
    } catch (error) {
      if (!(error instanceof KeyAlreadyClaimedError)) throw error;
      // Made by an earlier hand-over of the batch, or by one that committed first while they raced.
      const found = (await earlier) ?? live(await store.getClaim(claimId));
      const id = found?.recordIds[0];
      if (id === undefined) throw new Error(`The delivery of ${delivery.eventId} was claimed but names no record`);
      return { id, created: false };
    }
  }

  async getDelivery(id: number): Promise<Delivery | undefined> {
    const record = await this.#getOne(DELIVERY_MODEL, id);
    return record && deliveryFromRecord(record);
  }

  async getSubscription(id: number): Promise<SubscriptionTarget | undefined> {
    const record = await this.#getOne(SUBSCRIPTION_MODEL, id);
    if (!record) return undefined;
    const sealed = record.values.secret_sealed;
    return {
      id: record.id,
      url: str(record.values.url),
      active: record.values.active === true,
      secretSealed: typeof sealed === 'string' && sealed !== '' ? sealed : undefined,
    };
  }

  async recordAttempt(read: Delivery, update: DeliveryUpdate): Promise<boolean> {
    try {
      await writeRecords(this.#deps, {
        model: DELIVERY_MODEL,
        ids: [read.id],
        vals: updateVals(read, update),
        caller: this.#caller,
        precondition: ([record]) => {
          if (record?.version !== read.version) throw new DeliveryMovedOn();
        },
      });
      return true;
    } catch (error) {
      if (error instanceof DeliveryMovedOn) return false;
      throw error;
    }
  }

  async disableSubscription(id: number): Promise<void> {
    try {
      await writeRecords(this.#deps, {
        model: SUBSCRIPTION_MODEL,
        ids: [id],
        vals: new Map([['active', false]]),
        caller: this.#caller,
      });
    } catch (error) {
      if (!(error instanceof RecordNotFoundError)) throw error;
    }
    this.#cached = undefined;
  }

  /**
   * Drops the copy of the subscriptions: the next batch reads them. The change feed calls it when
   * its batch holds a change of a subscription, so a subscription made just before a change (on the
   * same stream shard) is not missed for the copy's lifetime.
   */
  forgetSubscriptions(): void {
    this.#cached = undefined;
  }

  async #getOne(model: string, id: number): Promise<StoredRecord | undefined> {
    const found = await this.#deps.store.getMany([{ model, id }], { consistent: true });
    return found.values().next().value;
  }
}
