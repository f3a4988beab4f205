/**
 * Custom fields' indexes (ir.model.fields `index`, Odoo's "Indexed"): a slot of the records
 * table's field indexes (keys.ts) given to a custom field, and how it comes to be trusted.
 *
 * A record's entries are written by whichever request writes the record, from the registry that
 * request loaded (lib/models/catalog.ts: at most CATALOG_TTL_MS old when the request starts). A
 * writer that has not yet heard of an index writes the record without its entry, so an index
 * declared now cannot be used at once, nor filled at once: a fill racing such a writer would lose
 * the entries it wrote to that writer's next update. So an index goes through states, each a claim
 * kept in the catalog's stamp item (read consistently by every instance at each check):
 *
 *   building  declared at `since`: every writer that loaded the catalog since writes its entries;
 *             searches do not use it yet. Once INDEX_FENCE_MS has passed, every writer has, and the
 *             builder (build.ts) gives every record of the model its entries, page by page (`after`:
 *             the last id done, so a run that stops goes on from there), then marks it
 *   ready     searches use it (counts too);
 *   dropping  the field is no longer indexed (or gone): writers remove its entries; once the fence
 *             passed, the builder removes those of every record, then drops the claim (the slot is free).
 *
 * A claim's slot is one no shipped index of the model takes (keys.ts: those take theirs in
 * declaration order) and no other claim holds, among INDEX_SLOTS (10: the last 2 are only ever
 * custom fields'; res.partner's shipped indexes take the first 8). A model with no free slot left
 * keeps the field's `index` as a flag only: its searches walk the model, as before.
 * Pure: the catalog reads and writes the claims, the builder walks the records.
 */
import { INDEXABLE_TYPES, type FieldType, type ModelRegistry } from '../models/registry';
import { INDEX_SLOTS } from './keys';

/**
 * How long after a claim's `since` every writer has heard of it: every write through the writers'
 * store is made with a catalog checked within CATALOG_TTL_MS (30 s: lib/runtime/indexed-store.ts
 * checks it before each write), then the write's own time with its retries (seconds), and margin
 * for clocks that differ by seconds.
 */
export const INDEX_FENCE_MS = 120_000;

export type ClaimState = 'building' | 'ready' | 'dropping';

export interface IndexClaim {
  readonly model: string;
  readonly field: string;
  /** The ir.model.fields record's id: a field dropped and created again under its name is another. */
  readonly fieldId: number;
  readonly slot: number;
  readonly state: ClaimState;
  /** When it entered its state (ms since the epoch, the claiming instance's clock). */
  readonly since: number;
  /** The builder's progress: the last id whose record it has done (absent: none yet). */
  readonly after?: number;
}

/** A custom field as the claims see it (its ir.model.fields record). */
export interface CustomFieldDecl {
  readonly id: number;
  readonly model: string;
  readonly name: string;
  readonly type: string;
  readonly index: boolean;
}

const STATES: ReadonlySet<string> = new Set(['building', 'ready', 'dropping']);

/** The claims kept in the stamp item (a JSON text); anything unreadable is left out. */
export function parseClaims(text: unknown): IndexClaim[] {
  if (typeof text !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (claim): claim is IndexClaim =>
      typeof claim === 'object' &&
      claim !== null &&
      typeof claim.model === 'string' &&
      typeof claim.field === 'string' &&
      Number.isSafeInteger(claim.fieldId) &&
      Number.isInteger(claim.slot) &&
      claim.slot >= 1 &&
      claim.slot <= INDEX_SLOTS &&
      STATES.has(claim.state) &&
      Number.isFinite(claim.since) &&
      (claim.after === undefined || Number.isSafeInteger(claim.after)),
  );
}

export function claimsText(claims: readonly IndexClaim[]): string {
  return JSON.stringify(claims);
}

/** What in the claims changes the registry (not the builder's progress). */
export function claimsSignature(claims: readonly IndexClaim[]): string {
  return claims
    .map(({ model, field, fieldId, slot, state }) => `${model}#${field}#${fieldId}#${slot}#${state}`)
    .sort()
    .join('|');
}

/** The slots a model's shipped indexes take (keys.ts: the n-th indexed field the n-th slot). */
function shippedSlots(shipped: ModelRegistry, model: string): number {
  return shipped.get(model)?.fields.filter((field) => field.index === true).length ?? 0;
}

/**
 * The claims the registry declares indexes for, by field id: building or ready, of a field that
 * still asks for it, in a slot no shipped index of its model took (a release may declare one
 * there later: the shipped index wins, the claim is dropped), the lowest slot if two instances
 * claimed two for one field at once.
 */
export function liveClaims(
  claims: readonly IndexClaim[],
  fields: readonly CustomFieldDecl[],
  shipped: ModelRegistry,
): Map<number, IndexClaim> {
  const wanted = new Map(fields.filter((field) => wantsIndex(field)).map((field) => [field.id, field] as const));
  const live = new Map<number, IndexClaim>();
  for (const claim of [...claims].sort((a, b) => a.slot - b.slot)) {
    const field = wanted.get(claim.fieldId);
    if (claim.state === 'dropping' || !field || field.model !== claim.model || field.name !== claim.field) continue;
    if (claim.slot <= shippedSlots(shipped, claim.model) || live.has(claim.fieldId)) continue;
    live.set(claim.fieldId, claim);
  }
  return live;
}

function wantsIndex(field: CustomFieldDecl): boolean {
  return field.index && INDEXABLE_TYPES.has(field.type as FieldType);
}

/**
 * The claims as they should be now (undefined: as they are): a field that asks for an index and
 * has none gets the lowest free slot of its model, building from `now`; a claim the registry no
 * longer declares (liveClaims) is dropping from `now`.
 */
export function reconcileClaims(
  claims: readonly IndexClaim[],
  fields: readonly CustomFieldDecl[],
  shipped: ModelRegistry,
  now: number,
): IndexClaim[] | undefined {
  const live = liveClaims(claims, fields, shipped);
  let changed = false;
  const next = claims.map((claim) => {
    if (claim.state === 'dropping' || live.get(claim.fieldId) === claim) return claim;
    changed = true;
    const { after: _progress, ...rest } = claim;
    return { ...rest, state: 'dropping' as const, since: now };
  });
  for (const field of fields) {
    if (!wantsIndex(field) || live.has(field.id)) continue;
    const taken = new Set(next.filter((claim) => claim.model === field.model).map((claim) => claim.slot));
    const first = shippedSlots(shipped, field.model) + 1;
    const slot = Array.from({ length: INDEX_SLOTS }, (_, i) => i + 1).find((s) => s >= first && !taken.has(s));
    if (slot === undefined) continue;
    changed = true;
    next.push({ model: field.model, field: field.name, fieldId: field.id, slot, state: 'building', since: now });
  }
  return changed ? next : undefined;
}

/** When the builder may work on a claim (building or dropping): its fence's end. */
export function fenceEndOf(claim: IndexClaim): number {
  return claim.since + INDEX_FENCE_MS;
}

/** The claims the builder may work on now: building or dropping, and past the fence. */
export function claimsToBuild(claims: readonly IndexClaim[], now: number): IndexClaim[] {
  return claims.filter((claim) => claim.state !== 'ready' && fenceEndOf(claim) <= now);
}

export function sameClaim(a: IndexClaim, b: IndexClaim): boolean {
  return (
    a.model === b.model && a.slot === b.slot && a.fieldId === b.fieldId && a.state === b.state && a.since === b.since
  );
}
