/** In-memory doubles of the delivery engine's ports (lib/webhooks/port.ts) and change fixtures, for unit tests. */
import type { Change, ChangeData, ChangeType } from '../../../lib/changes/change';
import { RecordTooLargeError } from '../../../lib/errors';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import type {
  Delivery,
  DeliveryJob,
  DeliveryQueue,
  DeliveryUpdate,
  NewDelivery,
  SubscriptionTarget,
  WebhookStore,
} from '../../../lib/webhooks/port';

export interface MemorySubscription {
  id: number;
  name?: string;
  model: string;
  url?: string;
  fields?: string;
  domain?: string;
  active?: boolean;
  secretSealed?: string;
}

export class MemoryWebhookStore implements WebhookStore {
  readonly subscriptions = new Map<number, MemorySubscription>();
  readonly deliveries = new Map<number, Delivery & { lastStatus?: number; lastError?: string | null; deliveredAt?: Date }>();
  readonly byEvent = new Map<string, number>();
  /** A payload longer than this is refused as DynamoDB refuses an item over 400 KB. */
  maxPayload = Infinity;
  /** Called inside recordAttempt before the version check: a test plays a second worker here. */
  beforeRecord: ((read: Delivery) => void) | undefined;
  private nextId = 1;

  addSubscription(subscription: MemorySubscription): void {
    this.subscriptions.set(subscription.id, subscription);
  }

  async activeSubscriptions(): Promise<readonly StoredRecord[]> {
    return [...this.subscriptions.values()]
      .filter((s) => s.active !== false)
      .map((s) => ({
        model: 'ir.webhook',
        id: s.id,
        version: 1,
        values: {
          name: s.name ?? `hook ${s.id}`,
          model: s.model,
          url: s.url ?? 'https://hooks.example.com/in',
          fields: s.fields ?? null,
          domain: s.domain ?? null,
          active: s.active !== false,
        } as Record<string, StoredValue>,
      }));
  }

  async createDelivery(delivery: NewDelivery): Promise<{ id: number; created: boolean }> {
    if (delivery.payload.length > this.maxPayload) throw new RecordTooLargeError();
    const existing = this.byEvent.get(delivery.eventId);
    if (existing !== undefined) return { id: existing, created: false };
    const id = this.nextId++;
    this.byEvent.set(delivery.eventId, id);
    this.deliveries.set(id, {
      ...delivery,
      id,
      version: 1,
      state: 'pending',
      attemptCount: 0,
      firstAttempt: undefined,
      attemptLog: [],
    });
    return { id, created: true };
  }

  async getDelivery(id: number): Promise<Delivery | undefined> {
    return this.deliveries.get(id);
  }

  async getSubscription(id: number): Promise<SubscriptionTarget | undefined> {
    const s = this.subscriptions.get(id);
    return s && { id: s.id, url: s.url ?? 'https://hooks.example.com/in', active: s.active !== false, secretSealed: s.secretSealed };
  }

  async recordAttempt(read: Delivery, update: DeliveryUpdate): Promise<boolean> {
    this.beforeRecord?.(read);
    const current = this.deliveries.get(read.id);
    if (!current || current.version !== read.version) return false;
    this.deliveries.set(read.id, {
      ...current,
      version: current.version + 1,
      state: update.state,
      attemptCount: update.attemptCount ?? current.attemptCount,
      firstAttempt: update.firstAttempt ?? current.firstAttempt,
      nextAttempt: update.nextAttempt === undefined ? current.nextAttempt : (update.nextAttempt ?? undefined),
      ...(update.lastStatus === undefined ? {} : { lastStatus: update.lastStatus }),
      ...(update.lastError === undefined ? {} : { lastError: update.lastError }),
      ...(update.deliveredAt === undefined ? {} : { deliveredAt: update.deliveredAt }),
      attemptLog: update.appendLog ? [...current.attemptLog, update.appendLog] : current.attemptLog,
    });
    return true;
  }

  async disableSubscription(id: number): Promise<void> {
    const s = this.subscriptions.get(id);
    if (s) s.active = false;
  }
}

/** A queue that only records what it is given. */
export class RecordingQueue implements DeliveryQueue {
  readonly jobs: DeliveryJob[] = [];
  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    this.jobs.push(...jobs);
  }
}

let transactionCounter = 0;

/** A change of one res.partner (or `model`) record, with its stored state. */
export function change(options: {
  type?: ChangeType;
  model?: string;
  id?: number;
  version?: number;
  changed?: string[];
  values?: Record<string, StoredValue>;
  writeDate?: string | null;
}): Change {
  const model = options.model ?? 'res.partner';
  const id = options.id ?? 7;
  const version = options.version ?? 1;
  const values = { name: 'Acme', active: true, ...options.values };
  const type = options.type ?? 'record.updated';
  const data: ChangeData = {
    id: `evt_${model}_${id}_${version}_${type}`,
    type,
    model,
    record_id: id,
    version,
    changed_fields: options.changed ?? Object.keys(values),
    old: type === 'record.created' ? null : {},
    new: type === 'record.deleted' ? null : { ...values },
    display_name: String(values.name),
    write_uid: 1,
    write_date: options.writeDate === undefined ? '2026-12-06 10:20:30' : options.writeDate,
    client_id: 'test',
    transaction: { id: `tx${++transactionCounter}`, count: 1, position: 0 },
  };
  return { data, state: { model, id, version, values } };
}
