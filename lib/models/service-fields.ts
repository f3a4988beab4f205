/**
 * Fields the service keeps to itself: stored on a model's records, never read or written through
 * the API (the object routes leave them out of every answer and refuse them in vals, fields,
 * domains and orders), and left out of the machine-readable description (lib/openapi). Odoo's
 * equivalent is a field restricted to groups no API user has.
 */

/** ir.webhook's signing secret, sealed with the key ring (lib/object-api/webhook-subscriptions.ts). */
export const SEALED_SECRET_FIELD = 'secret_sealed';

const SERVICE_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['ir.webhook', new Set([SEALED_SECRET_FIELD])],
]);

/** The service-only fields of `model` (usually none). */
export function serviceFieldsOf(model: string): ReadonlySet<string> | undefined {
  return SERVICE_FIELDS.get(model);
}
