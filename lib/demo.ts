/** The local stage's demo data and demo client. */
import { requireEnv } from './config';
import { InvalidFieldError } from './errors';
import type { ModelRegistry } from './models';
import { PyFloat, type PyDict, type PyValue } from './pyvalue';
import type { StoredRecord, StoredValue } from './record-store';
import { getModel } from './records';
import { applyX2ManyCommands, parseFieldValue } from './values';

export function demoCredentials(env: NodeJS.ProcessEnv): PyDict {
  return new Map([
    ['client_id', requireEnv(env, 'DEMO_CLIENT_ID')],
    ['client_secret', requireEnv(env, 'DEMO_CLIENT_SECRET')],
    ['host', env.PUBLIC_BASE_URL || 'http://localhost:3000'],
    ['database', env.RECORDS_TABLE || 'local'],
  ]);
}

/**
 * Stored records from plain data (the demo file, bench fixtures): each value checked against its
 * field as a write would check it, defaults filled in for fields left out, version 1.
 * Magic fields (create_date, write_uid...) are taken as given, since the data sets them.
 */
export function recordsFromData(registry: ModelRegistry, data: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const [modelName, rows] of Object.entries(data)) {
    const model = getModel(registry, modelName);
    for (const row of rows) {
      const { id, ...rest } = row;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new Error(`${modelName}: a record without a positive integer id`);
      const values: Record<string, StoredValue> = Object.create(null);
      for (const field of model.fields) if (field.default !== undefined) values[field.name] = field.default;
      for (const [name, raw] of Object.entries(rest)) {
        const field = model.fieldsByName.get(name);
        if (!field) throw new InvalidFieldError(name, model.model);
        const change = parseFieldValue(model, field, fromJson(raw));
        values[name] = change.kind === 'set' ? change.value : applyX2ManyCommands([], change.commands);
      }
      records.push({ model: model.model, id, version: 1, values });
    }
  }
  return records;
}

/** Plain JSON as the wire values a client would send (numbers with a fraction are floats). */
function fromJson(value: unknown): PyValue {
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === 'number') return Number.isInteger(value) ? value : new PyFloat(value);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, fromJson(v)] as const));
  return value as PyValue;
}
