/**
 * The records core over the in-memory store seeded with the demo data (scripts/demo-data.json),
 * as the unit tests of the write paths use it: the shipped registry, a caller, a pinned clock.
 */
import { buildRegistry } from '../../lib/models/registry';
import type { RecordsDeps } from '../../lib/records';
import { recordsFromData } from '../../lib/runtime/demo';
import type { PyValue } from '../../lib/wire/pyvalue';
import { shippedModels } from '../../models';
import demoData from '../../scripts/demo-data.json';
import { MemoryRecordStore } from './memory-record-store';

export const registry = buildRegistry(shippedModels);
export const caller = { userId: 2, clientId: 'client-a' };
export const NOW = new Date('2024-03-04T05:06:07Z');
/** A write's or create's vals, as the routes hand them over. */
export const vals = (entries: Array<[string, PyValue]>) => new Map(entries);

/** A store with the demo data (call counters at 0) and the core's deps over it, no pause between retries. */
export async function demoSetup(): Promise<{ store: MemoryRecordStore; deps: RecordsDeps }> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return { store, deps: { registry, store, now: () => NOW, sleep: async () => undefined } };
}
