/**
 * A committed change of one record, as the change feed publishes it (EventBridge's `detail`, a
 * webhook's `data`). The wire names are snake_case like the rest of the object API's JSON.
 */
import type { StoredRecord } from '../records/port';

export type ChangeType = 'record.created' | 'record.updated' | 'record.deleted';

/** What committed together: every change of one transaction carries the same id and count. */
export interface TransactionRef {
  /** Random per committing request; the same on every change of its transaction. */
  readonly id: string;
  /** How many records the transaction changed (creates, updates and deletes, cascades included). */
  readonly count: number;
  /** This change's place among them, 0 to count - 1: a consumer holding all `count` has the whole transaction. */
  readonly position: number;
}

/** A field value as read() renders it, in JSON (False for empty, [id, "name"] for a many2one). */
export type RenderedValue = unknown;

export interface ChangeData {
  /** `evt_` + a hash of the transaction and the record: the same change delivered twice has the same id. */
  readonly id: string;
  readonly type: ChangeType;
  readonly model: string;
  readonly record_id: number;
  /** The record's version after the change (a delete: the version it was deleted at). */
  readonly version: number;
  /** The fields whose stored value the change altered, in the model's order (a create's or delete's: all it has). */
  readonly changed_fields: readonly string[];
  /** Those fields before the change, as read() renders them; null for a create. */
  readonly old: Readonly<Record<string, RenderedValue>> | null;
  /** Those fields after the change; null for a delete. */
  readonly new: Readonly<Record<string, RenderedValue>> | null;
  /** The record's display name after the change (before it, for a delete). */
  readonly display_name: string;
  readonly write_uid: number | null;
  /** Odoo's datetime text, UTC: "2026-12-06 10:20:30". */
  readonly write_date: string | null;
  /** The OAuth client (or `queue`) whose call made the change. */
  readonly client_id: string | null;
  readonly transaction: TransactionRef;
}

/** A change with the record's stored state (after it; before it, for a delete): a subscription's domain reads it. */
export interface Change {
  readonly data: ChangeData;
  readonly state: StoredRecord;
}

/** The models whose changes are not published: the webhook machinery's own (a delivery must not announce itself). */
export function isInternalModel(model: string): boolean {
  return model === 'ir.webhook' || model.startsWith('ir.webhook.');
}
