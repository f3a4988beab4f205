/**
 * Webhook subscriptions (ir.webhook records) as the delivery engine uses them, and which changes each
 * one wants. Pure: the records come from the WebhookStore, the models from the registry.
 *
 * A subscription was checked when it was saved (lib/object-api), but the models move on without it: a
 * custom model or field can be deleted, a domain can stop parsing against the model it names. Such a
 * subscription is skipped and reported (the fan-out logs it), never thrown: one broken subscription must
 * not hold back the changes every other one is waiting for.
 */
import type { ChangeData, Change } from '../changes/change';
import type { ModelRegistry } from '../models/registry';
import type { StoredRecord } from '../records/port';
import { matchRecord, parseDomain, subpathLeaves, type DomainNode } from '../records/search/domain';
import { parseLiteralParam } from '../wire/literal';

/** The associated data the signing secret is sealed with (lib/auth/secret-box.ts): the model's name. */
export const WEBHOOK_SECRET_AAD = 'ir.webhook';

export interface Subscription {
  readonly id: number;
  readonly name: string;
  readonly model: string;
  readonly url: string;
  /** The fields an update must touch to be sent; empty: any update. */
  readonly fields: readonly string[];
  /** Evaluated on the record's state (new values; old ones for a delete); undefined: every record. */
  readonly domain: DomainNode | undefined;
  readonly active: boolean;
}

export type SubscriptionReading =
  | { readonly usable: true; readonly subscription: Subscription }
  | { readonly usable: false; readonly id: number; readonly reason: string };

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The comma-separated `fields` value as names (spaces trimmed, empty parts dropped). */
export function parseFieldList(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Reads one ir.webhook record against the current models; an unusable one says why. */
export function readSubscription(record: StoredRecord, registry: ModelRegistry): SubscriptionReading {
  const unusable = (reason: string): SubscriptionReading => ({ usable: false, id: record.id, reason });
  const modelName = text(record.values.model);
  const model = registry.get(modelName);
  if (!model) return unusable(`the model ${JSON.stringify(modelName)} does not exist (any more)`);

  const fields = parseFieldList(text(record.values.fields));
  const unknown = fields.filter((name) => !model.fieldsByName.has(name));
  if (unknown.length > 0)
    return unusable(`${modelName} has no field ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);

  let domain: DomainNode | undefined;
  const domainText = text(record.values.domain).trim();
  if (domainText !== '') {
    try {
      domain = parseDomain(parseLiteralParam(domainText, 'domain'), model, registry);
    } catch (error) {
      return unusable(
        `its domain is not valid for ${modelName}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // A dotted path, a name search or a hierarchy would need reads of other models for every change;
    // the subscription rules refuse them, so one found here was saved some other way.
    if (subpathLeaves(domain).length > 0) return unusable('its domain needs records of other models');
    if (domain.kind === 'constant' && domain.value) domain = undefined;
  }

  return {
    usable: true,
    subscription: {
      id: record.id,
      name: text(record.values.name),
      model: modelName,
      url: text(record.values.url),
      fields,
      domain,
      active: record.values.active === true,
    },
  };
}

/** The usable subscriptions among `records`, and why each other one is not. */
export function readSubscriptions(
  records: readonly StoredRecord[],
  registry: ModelRegistry,
): { readonly usable: Subscription[]; readonly unusable: { readonly id: number; readonly reason: string }[] } {
  const usable: Subscription[] = [];
  const unusable: { id: number; reason: string }[] = [];
  for (const record of records) {
    const reading = readSubscription(record, registry);
    if (reading.usable) usable.push(reading.subscription);
    else unusable.push({ id: reading.id, reason: reading.reason });
  }
  return { usable, unusable };
}

function touchesFields(subscription: Subscription, data: ChangeData): boolean {
  // A create or a delete concerns the whole record: the fields filter is about which updates matter.
  if (data.type !== 'record.updated' || subscription.fields.length === 0) return true;
  return subscription.fields.some((name) => data.changed_fields.includes(name));
}

/** Whether the subscription wants the change: its model, active, a watched field touched, inside its domain. */
export function matches(subscription: Subscription, change: Change): boolean {
  const { data, state } = change;
  if (!subscription.active || subscription.model !== data.model) return false;
  if (!touchesFields(subscription, data)) return false;
  if (subscription.domain === undefined) return true;
  // No node needs resolving (readSubscription refused those), so the resolver is never asked.
  return matchRecord(subscription.domain, state, () => new Set());
}
