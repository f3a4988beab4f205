/**
 * npm run push (scripts/push.ts) on DynamoDB Local: a JSONL file of queue messages run in order,
 * dead lines written to CALLS.dead.jsonl with their reason, and a run stopped half-way (Ctrl-C)
 * resumed without writing anything twice.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemoAuth } from '../../lib/runtime/demo';
import { push } from '../../scripts/push';
import { freshStores, testKeyRing } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;
let env: NodeJS.ProcessEnv;
let folder: string;
beforeAll(async () => {
  stores = await freshStores({ demo: true });
  await seedDemoAuth(stores.auth, testKeyRing());
  env = {
    DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT,
    RECORDS_TABLE: stores.tables.records,
    AUTH_TABLE: stores.tables.auth,
    USAGE_TABLE: stores.tables.usage,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  folder = mkdtempSync(join(tmpdir(), 'push-'));
});
afterAll(() => {
  stores.client.destroy();
  rmSync(folder, { recursive: true, force: true });
});

const version = async (id: number) => (await stores.rawItem('res.partner', id))?.version as number;
const street2 = async (id: number) => (await stores.rawItem('res.partner', id))?.v.street2;

describe('npm run push', () => {
  it('runs the lines in order, dead-letters the bad ones with their reason, and resumes after a stop without writing twice', async () => {
    const file = join(folder, 'calls.jsonl');
    const calls = [
      { model: 'res.partner', method: 'write', ids: [17], vals: { street2: 'push 1' }, user: 1 },
      { model: 'res.partner', method: 'write', ids: [17], vals: { street2: 'push 2' }, user: 1 },
      { model: 'res.partner', method: 'write', ids: [99_999], vals: { street2: 'never' }, user: 1 },
      { model: 'res.partner', method: 'write', ids: [20], vals: { street2: 'push 4' }, user: 1 },
    ];
    writeFileSync(file, `${calls.map((call) => JSON.stringify(call)).join('\n')}\nnot json\n`);
    const before = { 17: await version(17), 20: await version(20) };
    let stops = 0;
    const err = () => undefined;
    // Stopped (as Ctrl-C stops it) before the third line.
    const first = await push(file, { env, err, stop: () => ++stops > 2 });
    expect(first).toMatchObject({ done: 2, stopped: 'interrupted' });
    expect(await street2(17)).toBe('push 2');
    const second = await push(file, { env, err });
    expect(second).toEqual({ done: 5, dead: 2, skipped: 2 });
    expect([await street2(17), await street2(20)]).toEqual(['push 2', 'push 4']);
    expect([await version(17), await version(20)]).toEqual([before[17] + 2, before[20] + 1]);
    const dead = readFileSync(`${file}.dead.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(dead.map((entry) => [entry.line, entry.reason.status, entry.reason.code])).toEqual([
      [3, 404, 'RECORD_NOT_FOUND'],
      [5, 400, 'INVALID_MESSAGE'],
    ]);
    // Run again: everything was done, nothing is written.
    expect(await push(file, { env, err })).toEqual({ done: 5, dead: 0, skipped: 5 });
    expect([await version(17), await version(20)]).toEqual([before[17] + 2, before[20] + 1]);
  });

  it('replays, rather than writes again, lines whose progress was lost', async () => {
    const file = join(folder, 'lost.jsonl');
    writeFileSync(file, `${JSON.stringify({ model: 'res.partner', method: 'write', ids: [26], vals: { street2: 'once' }, user: 1 })}\n`);
    await push(file, { env, err: () => undefined });
    const after = await version(26);
    rmSync(`${file}.progress`);
    expect(await push(file, { env, err: () => undefined })).toEqual({ done: 1, dead: 0, skipped: 0 });
    expect(await version(26)).toBe(after);
  });
});
