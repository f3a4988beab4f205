/**
 * The served document, per Lambda instance, per registry version. Anyone may ask for it, so asking
 * must stay cheap: the document is built once per version of the stored definitions (the catalog's
 * stamp, lib/models/catalog.ts) and kept as its JSON text. Each instance reads the stamp at most
 * once per STAMP_CHECK_MS (one item), and scans ir.model / ir.model.fields again only when it
 * changed. Read-only: unlike the object function's catalog, it never writes the base records.
 */
import { CATALOG_STAMP_KEY, IR_MODEL, IR_MODEL_FIELDS, servableRegistry } from '../models/catalog';
import { recordKeyString, type RecordStore, type StoredRecord } from '../records/port';
import { openApiDocument, type DocumentOptions } from './document';

/** How long an instance answers its document without looking at the stamp. */
export const STAMP_CHECK_MS = 1_000;

async function allOf(store: RecordStore, model: string): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  await store.scanModel(model, (page) => records.push(...page));
  return records;
}

interface Built {
  /** The stamp read before the scan it was built from (undefined: no stamp yet). */
  readonly stamp: string | undefined;
  readonly json: string;
}

export class OpenApiSource {
  #built: Built | undefined;
  #checkedAt = -Infinity;
  #pending: Promise<string> | undefined;

  constructor(
    private readonly store: RecordStore,
    private readonly shipped: readonly unknown[],
    private readonly options: DocumentOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The document's JSON text; concurrent calls share one check and one build. */
  json(): Promise<string> {
    if (this.#built && this.clock() - this.#checkedAt < STAMP_CHECK_MS) return Promise.resolve(this.#built.json);
    this.#pending ??= this.#refresh().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #refresh(): Promise<string> {
    // The stamp before the scan: a change landing during the scan leaves a newer stamp, seen next time.
    const found = await this.store.getMany([CATALOG_STAMP_KEY], { consistent: true });
    const value = found.get(recordKeyString(CATALOG_STAMP_KEY))?.values.stamp;
    const stamp = typeof value === 'string' ? value : undefined;
    this.#checkedAt = this.clock();
    if (this.#built && stamp !== undefined && this.#built.stamp === stamp) return this.#built.json;
    const [models, fields] = await Promise.all([allOf(this.store, IR_MODEL), allOf(this.store, IR_MODEL_FIELDS)]);
    const registry = servableRegistry(this.shipped, models, fields);
    const json = JSON.stringify(openApiDocument(registry, this.options));
    this.#built = { stamp, json };
    return json;
  }
}
