/**
 * The change feed over HTTP: writes through the served API, DynamoDB Local's stream read by the
 * local stage's consumer (the deployed stream handler's code), and the EventBridge entries it would
 * publish, which the local stage writes to its events file (TEST_EVENTS_FILE).
 */
import { readFile } from 'node:fs/promises';
import { apiUrl, demoToken } from '../helpers/local';

interface FeedEntry {
  'detail-type': string;
  source: string;
  detail: {
    id: string;
    type: string;
    model: string;
    record_id: number;
    version: number;
    changed_fields: string[];
    old: Record<string, unknown> | null;
    new: Record<string, unknown> | null;
    display_name: string;
    write_uid: number | null;
    write_date: string | null;
    client_id: string | null;
    transaction: { id: string; count: number; position: number };
  };
}

const eventsFile = () => {
  const file = process.env.TEST_EVENTS_FILE;
  if (!file) throw new Error('TEST_EVENTS_FILE is not set: run through the e2e setup');
  return file;
};

async function feed(): Promise<FeedEntry[]> {
  const text = await readFile(eventsFile(), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FeedEntry);
}

/** The feed's entries once `done` says they are all there; fails after 60 s. */
async function feedUntil(done: (entries: FeedEntry[]) => boolean): Promise<FeedEntry[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const entries = await feed();
    if (done(entries)) return entries;
    if (Date.now() > deadline)
      throw new Error(`the change feed did not show the expected changes (${entries.length} entries)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, {
    method,
    headers: { Authorization: `Bearer ${await demoToken()}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** What these tests created, deleted at the end: the other files search the demo data as it is. */
const created: { model: string; id: number }[] = [];

async function create(model: string, vals: string): Promise<number> {
  const { status, body } = await call('POST', `${model}?vals=${encodeURIComponent(vals)}`);
  expect(status).toBe(201);
  const { id } = Object.values(body as Record<string, { id: number }>)[0] as { id: number };
  created.push({ model, id });
  return id;
}

afterAll(async () => {
  // Newest first: children before their parents (a parent deleted first would set null on them all in
  // its own transaction, past its 100 actions). Any refusal: one by one.
  for (const model of new Set(created.map((record) => record.model))) {
    const ids = created
      .filter((record) => record.model === model)
      .map((record) => record.id)
      .reverse();
    for (let i = 0; i < ids.length; i += 40) {
      const chunk = ids.slice(i, i + 40);
      const { status } = await call('DELETE', `${model}?ids=${chunk.join(',')}`);
      if (status !== 200) for (const id of chunk) await call('DELETE', `${model}/${id}`);
    }
  }
  const partners = created.filter((record) => record.model === 'res.partner').map((record) => record.id);
  const left = await call(
    'GET',
    `res.partner/search?domain=${encodeURIComponent(`[('id', 'in', [${partners.join(',')}])]`)}`,
  );
  expect(left.status).toBe(404);
});

const of = (entries: FeedEntry[], model: string, ids: readonly number[]) =>
  entries.filter((entry) => entry.detail.model === model && ids.includes(entry.detail.record_id));

describe('the change feed (local stage: DynamoDB Local stream -> EventBridge stand-in)', () => {
  it('gives a PUT list of 99 ids (the most a metered write holds) exactly 99 changes, one transaction, regrouped complete', async () => {
    // One create makes all 99: a company and 98 contacts ((0, 0, vals) commands), in one transaction.
    const contacts = Array.from({ length: 98 }, (_, i) => `(0, 0, {'name': 'Feed ${i}'})`).join(', ');
    const { status: createdStatus, body } = await call(
      'POST',
      `res.partner?vals=${encodeURIComponent(`{'name': 'Feed company', 'child_ids': [${contacts}]}`)}`,
    );
    expect(createdStatus).toBe(201);
    const company = Object.values(body as Record<string, { id: number; child_ids: number[] }>)[0];
    const ids = [company?.id as number, ...(company?.child_ids ?? [])];
    expect(ids).toHaveLength(99);
    created.push(...ids.map((id) => ({ model: 'res.partner', id })));
    const marker = `street-${Date.now()}`;
    const { status } = await call(
      'PUT',
      `res.partner?ids=${ids.join(',')}&vals=${encodeURIComponent(`{'street': '${marker}'}`)}`,
    );
    expect(status).toBe(200);
    // This write's changes: res.partner updates of these ids (the events file also holds the earlier
    // files' changes, of other models' records with the same ids).
    const mine = (entries: FeedEntry[]) =>
      of(entries, 'res.partner', ids).filter((entry) => entry.detail.type === 'record.updated');
    const updates = mine(await feedUntil((entries) => mine(entries).length >= 99));
    expect(updates).toHaveLength(99);
    const [first] = updates;
    expect(first?.['detail-type']).toBe('res.partner updated');
    expect(first?.source).toBe('odoo-rest-lambda.local');
    const transactions = new Set(updates.map((entry) => entry.detail.transaction.id));
    expect(transactions.size).toBe(1);
    expect(updates.every((entry) => entry.detail.transaction.count === 99)).toBe(true);
    expect(updates.map((entry) => entry.detail.transaction.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 99 }, (_, i) => i),
    );
    expect(new Set(updates.map((entry) => entry.detail.id)).size).toBe(99);
    for (const entry of updates) {
      expect(entry.detail.changed_fields).toEqual(['street']);
      expect(entry.detail.old).toEqual({ street: false });
      expect(entry.detail.new).toEqual({ street: marker });
      expect(entry.detail.version).toBe(2);
      expect(entry.detail.client_id).toBe(process.env.TEST_DEMO_CLIENT_ID);
      expect(typeof entry.detail.write_uid).toBe('number');
    }
  });

  it('gives nothing for a write that did not commit', async () => {
    const id = await create('res.partner', "{'name': 'Refused'}");
    const refused = `refused-${Date.now()}`;
    const { status } = await call(
      'PUT',
      `res.partner?ids=${id},999999&vals=${encodeURIComponent(`{'street': '${refused}'}`)}`,
    );
    expect(status).toBe(404);
    // A write after it, to the same record: once its change is out, the refused one would be too.
    const after = `after-${Date.now()}`;
    expect((await call('PUT', `res.partner/${id}?vals=${encodeURIComponent(`{'street': '${after}'}`)}`)).status).toBe(
      200,
    );
    const entries = await feedUntil((all) => of(all, 'res.partner', [id]).some((e) => e.detail.new?.street === after));
    const changes = of(entries, 'res.partner', [id]);
    expect(changes.map((entry) => entry.detail.type)).toEqual(['record.created', 'record.updated']);
    expect(changes.some((entry) => JSON.stringify(entry).includes(refused))).toBe(false);
  });

  it('describes a create by all its values and a delete with its cascade and set-null changes, one transaction', async () => {
    const parent = await create('res.partner.category', "{'name': 'Feed parent'}");
    const child = await create('res.partner.category', `{'name': 'Feed child', 'parent_id': ${parent}}`);
    const partner = await create('res.partner', `{'name': 'Tagged', 'category_id': [(6, 0, [${child}])]}`);
    expect((await call('DELETE', `res.partner.category/${parent}`)).status).toBe(200);
    const entries = await feedUntil(
      (all) =>
        of(all, 'res.partner.category', [parent, child]).filter((e) => e.detail.type === 'record.deleted').length ===
          2 && of(all, 'res.partner', [partner]).filter((e) => e.detail.type === 'record.updated').length === 1,
    );
    const created = of(entries, 'res.partner.category', [child]).find((e) => e.detail.type === 'record.created');
    expect(created?.detail).toMatchObject({
      old: null,
      new: { name: 'Feed child', parent_id: [parent, 'Feed parent'] },
      display_name: 'Feed child',
      version: 1,
    });
    const deleted = of(entries, 'res.partner.category', [parent, child]).filter(
      (e) => e.detail.type === 'record.deleted',
    );
    const unlinked = of(entries, 'res.partner', [partner]).find((e) => e.detail.type === 'record.updated');
    const transaction = deleted[0]?.detail.transaction;
    expect(transaction?.count).toBe(3);
    for (const entry of [...deleted, unlinked]) expect(entry?.detail.transaction.id).toBe(transaction?.id);
    expect([...deleted, unlinked].map((e) => e?.detail.transaction.position).sort()).toEqual([0, 1, 2]);
    expect(deleted.find((e) => e.detail.record_id === child)?.detail).toMatchObject({
      new: null,
      old: { name: 'Feed child' },
      client_id: process.env.TEST_DEMO_CLIENT_ID,
    });
    expect(deleted[0]?.detail.write_date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(unlinked?.detail).toMatchObject({
      changed_fields: ['category_id'],
      old: { category_id: [child] },
      new: { category_id: [] },
    });
  });

  it('keeps one record’s changes in version order through 20 rapid updates', async () => {
    const id = await create('res.partner', "{'name': 'Rapid'}");
    for (let n = 1; n <= 20; n++) {
      expect((await call('PUT', `res.partner/${id}?vals=${encodeURIComponent(`{'ref': 'r${n}'}`)}`)).status).toBe(200);
    }
    const entries = await feedUntil((all) => of(all, 'res.partner', [id]).length >= 21);
    const versions = of(entries, 'res.partner', [id]).map((entry) => entry.detail.version);
    expect(versions).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(of(entries, 'res.partner', [id]).at(-1)?.detail.new).toEqual({ ref: 'r20' });
  });
});
