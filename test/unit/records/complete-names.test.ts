/**
 * res.partner's stored complete_name (lib/records/complete-names.ts): Odoo 17's _get_complete_name,
 * kept by every write that changes what it depends on — the contacts below a renamed company in the
 * same transaction, or in follow-up transactions when they do not fit — and rebuilt by the reindex
 * command. Through the records core over the in-memory store seeded with the demo data.
 */
import fc from 'fast-check';
import { getModel } from '../../../lib/models/registry';
import { createRecord, unlinkRecords, writeRecords, type RecordsDeps, type StoredRecord } from '../../../lib/records';
import { completeNameOf, relinkCompleteNames, withCompleteNames } from '../../../lib/records/complete-names';
import { updateAction, type StoredValue, type WriteAction } from '../../../lib/records/port';
import { searchRecords } from '../../../lib/records/search/search';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyValue } from '../../../lib/wire/pyvalue';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { caller, demoSetup, registry, vals } from '../../helpers/demo-core';

const partner = getModel(registry, 'res.partner');

const nameIn = (store: MemoryRecordStore, id: number) => store.record('res.partner', id)?.values.complete_name;
const created = async (deps: RecordsDeps, entries: Array<[string, PyValue]>) =>
  (await createRecord(deps, { model: 'res.partner', vals: vals(entries), caller })).get('id') as number;

/** Every partner's stored name against the one its hierarchy makes now (computed on the whole model at once). */
function wrongNames(records: readonly StoredRecord[]): string[] {
  const partners = records.filter((record) => record.model === 'res.partner');
  const expected = new Map(withCompleteNames(registry, partners).map((record) => [record.id, record.values.complete_name]));
  return partners
    .filter((record) => record.values.complete_name !== expected.get(record.id))
    .map((record) => `${record.id}: ${JSON.stringify(record.values.complete_name)}, expected ${JSON.stringify(expected.get(record.id))}`);
}

describe("res.partner's complete_name", () => {
  it("computes Odoo 17's _get_complete_name", () => {
    const name = (values: Record<string, StoredValue>, ...above: Record<string, StoredValue>[]) => completeNameOf(partner, values, above);
    const company = { name: 'Azure Interior', is_company: true };
    expect(name({ name: 'Azure Interior', is_company: true })).toBe('Azure Interior');
    expect(name({ name: 'Brandon Freeman', parent_id: 12 }, company)).toBe('Azure Interior, Brandon Freeman');
    // Below a contact of a company: the commercial company's name, not the parent's.
    expect(name({ name: 'Assistant', parent_id: 40 }, { name: 'Brandon Freeman', parent_id: 12 }, company)).toBe('Azure Interior, Assistant');
    // No company above: the parent's name.
    expect(name({ name: 'Child', parent_id: 7 }, { name: 'Marc Demo' })).toBe('Marc Demo, Child');
    // A company below a company keeps its own name; an unnamed invoice address is named by its type.
    expect(name({ name: 'Branch', is_company: true, parent_id: 12 }, company)).toBe('Branch');
    expect(name({ name: null, type: 'invoice', parent_id: 12 }, company)).toBe('Azure Interior, Invoice Address');
    expect(name({ name: null, type: 'contact', parent_id: 12 }, company)).toBe('Azure Interior,');
    expect(name({ name: null, type: 'invoice' })).toBe('');
    // Stripped as Python strips (U+001C is space to str.isspace(), not to JavaScript's trim()).
    expect(name({ name: ' \u001cSolo\u3000 ' })).toBe('Solo');
    expect(name({ name: '\ufeffSolo' })).toBe('\ufeffSolo');
  });

  it('the demo data loads with its names: Administrator is "YourCompany, Administrator"', async () => {
    const { store } = await demoSetup();
    expect(nameIn(store, 3)).toBe('YourCompany, Administrator');
    expect(nameIn(store, 12)).toBe('Azure Interior');
    expect(wrongNames(store.allRecords())).toEqual([]);
  });

  it('a contact created, moved or renamed, and a company renamed, are named in the write\'s one transaction', async () => {
    const { store, deps } = await demoSetup();
    const contact = await created(deps, [['name', 'Brandon Freeman'], ['parent_id', 12]]);
    expect(nameIn(store, contact)).toBe('Azure Interior, Brandon Freeman');
    const assistant = await created(deps, [['name', 'Assistant'], ['parent_id', contact]]);
    expect(nameIn(store, assistant)).toBe('Azure Interior, Assistant');
    store.resetCalls();
    await writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['name', 'Azure Exterior']]), caller });
    expect(store.calls.transact).toBe(1);
    expect([nameIn(store, 12), nameIn(store, contact), nameIn(store, assistant)]).toEqual([
      'Azure Exterior',
      'Azure Exterior, Brandon Freeman',
      'Azure Exterior, Assistant',
    ]);
    await writeRecords(deps, { model: 'res.partner', ids: [contact], vals: vals([['parent_id', 18]]), caller });
    expect([nameIn(store, contact), nameIn(store, assistant)]).toEqual(['Deco Addict, Brandon Freeman', 'Deco Addict, Assistant']);
    // The answer of the write holds the new name too.
    const [answer] = await writeRecords(deps, { model: 'res.partner', ids: [contact], vals: vals([['name', 'B. Freeman']]), caller });
    expect(answer?.get('complete_name')).toBe('Deco Addict, B. Freeman');
    // Becoming a company: its own name, and the contacts below take it as theirs.
    await writeRecords(deps, { model: 'res.partner', ids: [contact], vals: vals([['is_company', true]]), caller });
    expect([nameIn(store, contact), nameIn(store, assistant)]).toEqual(['B. Freeman', 'B. Freeman, Assistant']);
    // A write that touches nothing it depends on writes the record alone.
    const versions = () => [contact, assistant].map((id) => store.record('res.partner', id)?.version);
    const before = versions();
    await writeRecords(deps, { model: 'res.partner', ids: [contact], vals: vals([['street2', 'x']]), caller });
    expect(versions()).toEqual([(before[0] as number) + 1, before[1]]);
    expect(wrongNames(store.allRecords())).toEqual([]);
  });

  it('a contact created while its company is renamed is named after the new name: the company must still hold the one read', async () => {
    const { store, deps } = await demoSetup();
    // Between this create's read of company 12 and its commit, another request renames 12.
    store.beforeNextTransact(() =>
      store.transact([updateAction(store.record('res.partner', 12) as StoredRecord, { name: 'Azure Renamed' })]),
    );
    const contact = await created(deps, [['name', 'Late'], ['parent_id', 12]]);
    // The first commit was refused (12 no longer held 'Azure Interior'); the next attempt read it again.
    expect(store.calls.transact).toBe(2);
    expect(nameIn(store, contact)).toBe('Azure Renamed, Late');
    expect(store.record('res.partner', 12)?.values.child_ids).toEqual([contact]);
  });

  it("reads the company a contact joins once: the lists' completion read it already", async () => {
    const { store, deps } = await demoSetup();
    await created(deps, [['name', 'Warm'], ['parent_id', 12]]);
    store.resetCalls();
    const contact = await created(deps, [['name', 'Once'], ['parent_id', 12]]);
    // The company (consistently, by the lists' completion) and the display names of the answer.
    expect(store.calls.getMany).toBe(2);
    expect(nameIn(store, contact)).toBe('Azure Interior, Once');
  });

  it('is set by the system: a value given for it is dropped, as Odoo drops its magic fields', async () => {
    const { store, deps } = await demoSetup();
    await writeRecords(deps, { model: 'res.partner', ids: [3], vals: vals([['complete_name', 'Forged']]), caller });
    expect(nameIn(store, 3)).toBe('YourCompany, Administrator');
  });

  it("a company's deletion names its contacts by themselves (their parent_id set null in the same transaction)", async () => {
    const { store, deps } = await demoSetup();
    const contact = await created(deps, [['name', 'Left'], ['parent_id', 26]]);
    store.resetCalls();
    await unlinkRecords(deps, { model: 'res.partner', ids: [26], caller });
    expect(store.record('res.partner', contact)?.values).toMatchObject({ parent_id: null, complete_name: 'Left' });
  });

  it('renames the contacts that do not fit the transaction in follow-up transactions, each stamped as its own change', async () => {
    const { store, deps } = await demoSetup();
    const contacts = Array.from({ length: 230 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: 1000 + i,
      version: 1,
      values: { name: `Contact ${i}`, parent_id: 18, active: true },
    }));
    // Loaded as the demo loader loads: lists and names consistent.
    const loaded = recordsFromData(registry, {
      'res.partner': [...demoData.records['res.partner'], ...contacts.map((c) => ({ id: c.id, ...c.values }))],
      'res.country': demoData.records['res.country'],
      'res.country.state': demoData.records['res.country.state'],
      'res.users': demoData.records['res.users'],
      'res.partner.category': demoData.records['res.partner.category'],
    });
    await store.putMany(loaded);
    expect(nameIn(store, 1000)).toBe('Deco Addict, Contact 0');
    store.resetCalls();
    const transactions: WriteAction[][] = [];
    const transact = store.transact.bind(store);
    store.transact = async (actions) => {
      transactions.push([...actions]);
      return transact(actions);
    };
    await writeRecords(deps, { model: 'res.partner', ids: [18], vals: vals([['name', 'Deco Subtractor']]), caller });
    // The company alone, then 230 contacts in 100s, each transaction its own change in the feed.
    // (Each follow-up also checks that the company still holds the name they were renamed after.)
    expect(transactions.map((actions) => actions.filter((a) => a.kind === 'update').length)).toEqual([1, 99, 99, 32]);
    expect(transactions[1]?.find((a) => a.kind === 'check')).toMatchObject({ key: { id: 18 }, holding: { name: 'Deco Subtractor' } });
    const stamps = transactions.slice(1).map((actions) =>
      actions.flatMap((a) => (a.kind === 'update' ? [[a.stamp?.transactionId, a.stamp?.count, a.stamp?.clientId]] : [])),
    );
    expect(new Set(stamps.map((chunk) => chunk[0]?.[0])).size).toBe(3);
    for (const chunk of stamps) expect(new Set(chunk.map(String)).size).toBe(1);
    expect(stamps[2]?.[0]).toEqual([expect.any(String), 32, 'client-a']);
    expect(nameIn(store, 1229)).toBe('Deco Subtractor, Contact 229');
    expect(wrongNames(store.allRecords())).toEqual([]);
  });

  it('a follow-up that meets a contact changed meanwhile reads it again and names it from its new state', async () => {
    const { store, deps } = await demoSetup();
    const ids = Array.from({ length: 120 }, (_, i) => 2000 + i);
    await store.putMany(
      withCompleteNames(registry, [
        ...store.allRecords(),
        ...ids.map((id): StoredRecord => ({ model: 'res.partner', id, version: 1, values: { name: `C${id}`, parent_id: 12, active: true } })),
      ]),
    );
    await store.putMany([{ ...(store.record('res.partner', 12) as StoredRecord), values: { ...(store.record('res.partner', 12) as StoredRecord).values, child_ids: ids } }]);
    // Once the company's rename committed, another request renames contact 2005 before the follow-up writes it.
    store.beforeNextTransact(
      () => store.transact([updateAction(store.record('res.partner', 2005) as StoredRecord, { name: 'Renamed meanwhile' })]),
      1,
      (actions) => actions.some((action) => action.kind === 'update' && action.key.id === 2005),
    );
    await writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['name', 'Azure Two']]), caller });
    // That request's own update named nothing (it wrote through the store): the follow-up saw it and named it.
    expect(nameIn(store, 2005)).toBe('Azure Two, Renamed meanwhile');
    expect(wrongNames(store.allRecords())).toEqual([]);
  });

  it('keeps every name right through random writes, creates and deletes of a hierarchy (property)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), parent: fc.integer({ min: 0, max: 9 }), company: fc.boolean(), type: fc.constantFrom('contact', 'invoice') , named: fc.boolean() }),
      fc.record({ kind: fc.constant('rename' as const), target: fc.integer({ min: 0, max: 9 }), name: fc.constantFrom('A', ' B ', 'Ç') }),
      fc.record({ kind: fc.constant('move' as const), target: fc.integer({ min: 0, max: 9 }), parent: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('company' as const), target: fc.integer({ min: 0, max: 9 }), company: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), target: fc.integer({ min: 0, max: 9 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        const { store, deps } = await demoSetup();
        const ids = [1, 3, 7, 12, 17, 18, 20, 26];
        const pick = (n: number) => ids[n % ids.length] as number;
        for (const step of ops) {
          try {
            if (step.kind === 'create') {
              const id = await created(deps, [
                ['name', step.named ? `N${ids.length}` : false],
                ['parent_id', pick(step.parent)],
                ['is_company', step.company],
                ['type', step.type],
              ]);
              ids.push(id);
            } else if (step.kind === 'rename')
              await writeRecords(deps, { model: 'res.partner', ids: [pick(step.target)], vals: vals([['name', step.name]]), caller });
            else if (step.kind === 'move')
              await writeRecords(deps, { model: 'res.partner', ids: [pick(step.target)], vals: vals([['parent_id', pick(step.parent)]]), caller });
            else if (step.kind === 'company')
              await writeRecords(deps, { model: 'res.partner', ids: [pick(step.target)], vals: vals([['is_company', step.company]]), caller });
            else {
              const target = pick(step.target);
              await unlinkRecords(deps, { model: 'res.partner', ids: [target], caller });
              ids.splice(ids.indexOf(target), 1);
            }
          } catch {
            // A refused step (a record deleted before, a user's partner) writes nothing: the names still hold.
          }
          expect(wrongNames(store.allRecords())).toEqual([]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the reindex pass names every record of a table written before, once (idempotent)', async () => {
    const store = new MemoryRecordStore();
    const records = recordsFromData(registry, demoData.records).map((record) =>
      record.model === 'res.partner' ? { ...record, values: { ...record.values, complete_name: null } } : record,
    );
    await store.putMany(records);
    expect(wrongNames(store.allRecords()).length).toBe(8);
    expect(await relinkCompleteNames(store, registry)).toEqual({ checked: 8, written: 8 });
    expect(wrongNames(store.allRecords())).toEqual([]);
    expect(await relinkCompleteNames(store, registry)).toEqual({ checked: 8, written: 0 });
  });

  it("orders res.partner's searches by complete_name, then id descending, as Odoo 17 does", async () => {
    const { deps } = await demoSetup();
    await created(deps, [['name', 'Zed'], ['parent_id', 12]]);
    const found = await searchRecords(deps, { model: partner, limit: 100 });
    expect(found.records.map((record) => record.values.complete_name)).toEqual([
      'Azure Interior',
      'Azure Interior, Zed',
      'Deco Addict',
      'Edward Foster',
      'Gemini Furniture',
      'Marc Demo',
      'Peter Mitchell',
      'YourCompany',
      'YourCompany, Administrator',
    ]);
  });
});
