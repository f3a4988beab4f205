/**
 * ETags and conditional requests through the object routes (routeObjectRequest -> the records
 * core) over the in-memory RecordStore double seeded with the demo data: the ETag of reads and
 * writes, If-None-Match's 304, If-Match's 412 with nothing written, `where`, and the
 * Idempotency-Key replay of a conditional write.
 */
import { AppError, BadRequestError, PreconditionFailedError } from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { REPLAYED_HEADER } from '../../../lib/object-api/keyed-call';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
import { objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const NOW = new Date('2024-03-04T05:06:07Z');

async function demoDeps(): Promise<{ store: MemoryRecordStore; deps: ObjectDeps }> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return { store, deps: { registry, store, accessRules, now: () => NOW, sleep: async () => {} } };
}

interface Call {
  readonly method: string;
  readonly proxy?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
}

const apiRequest = (call: Call): ApiRequest => objectRequest(call);

const send = (deps: ObjectDeps, call: Call): Promise<ApiResult> => routeObjectRequest(deps, apiRequest(call));
const etagOf = (result: ApiResult): string | undefined => result.headers?.ETag;
const field = (value: PyValue, name: string) => (value as PyDict).get(name);
const dataOf = (result: ApiResult): PyValue => ('data' in result ? result.data : null);

describe('ETag on reads', () => {
  it('answers a strong ETag on GET /{id}, the same as GET ?ids={id} and search_read of that record', async () => {
    const { deps } = await demoDeps();
    const one = await send(deps, { method: 'GET', proxy: '17' });
    const list = await send(deps, { method: 'GET', query: { ids: '17' } });
    const search = await send(deps, { method: 'GET', query: { domain: "[('id', '=', 17)]" } });
    expect(one.status).toBe(200);
    expect(etagOf(one)).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect([etagOf(list), etagOf(search)]).toStrictEqual([etagOf(one), etagOf(one)]);
  });

  it('answers a list tag that depends on the ids, their order and versions', async () => {
    const { deps } = await demoDeps();
    const both = etagOf(await send(deps, { method: 'GET', query: { ids: '17,20' } }));
    const reversed = etagOf(await send(deps, { method: 'GET', query: { ids: '20,17' } }));
    const only = etagOf(await send(deps, { method: 'GET', query: { ids: '17' } }));
    expect(new Set([both, reversed, only]).size).toBe(3);
    await send(deps, { method: 'PUT', proxy: '20', query: { vals: "{'ref': 'moved'}" } });
    expect(etagOf(await send(deps, { method: 'GET', query: { ids: '17,20' } }))).not.toBe(both);
  });

  it('answers 304 with no body when If-None-Match names the current tag (weak comparison, lists, *)', async () => {
    const { deps } = await demoDeps();
    const etag = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    for (const value of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const answer = await send(deps, { method: 'GET', proxy: '17', headers: { 'If-None-Match': value } });
      expect(answer).toStrictEqual({
        status: 304,
        body: '',
        headers: { ETag: etag, Vary: 'Accept', 'Cache-Control': 'no-store' },
      });
    }
    const listTag = etagOf(await send(deps, { method: 'GET', query: { ids: '17,20' } })) as string;
    const list = await send(deps, { method: 'GET', query: { ids: '17,20' }, headers: { 'If-None-Match': listTag } });
    expect(list.status).toBe(304);
    // A method named in the path answers 200 for what it does, but a 304 stays a 304.
    const explicit = await send(deps, { method: 'GET', proxy: '17/read', headers: { 'If-None-Match': etag } });
    expect(explicit.status).toBe(304);
    // Through POST (not GET or HEAD), a failed If-None-Match is a 412, never a 304 (RFC 9110 §13.1.2).
    await expect(send(deps, { method: 'POST', proxy: 'search_read', headers: { 'If-None-Match': '*' } })).rejects.toMatchObject({ status: 412 });
  });

  it('answers the record when If-None-Match names another tag', async () => {
    const { deps } = await demoDeps();
    const answer = await send(deps, { method: 'GET', proxy: '17', headers: { 'If-None-Match': '"stale"' } });
    expect([answer.status, field(dataOf(answer), 'id')]).toStrictEqual([200, 17]);
  });

  it('is a 412 when a GET If-Match names no current tag, a 400 for a header it cannot read', async () => {
    const { deps } = await demoDeps();
    await expect(send(deps, { method: 'GET', proxy: '17', headers: { 'If-Match': '"stale"' } })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(
      send(deps, { method: 'GET', proxy: '17', headers: { 'If-None-Match': 'bare' } }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('If-Match on PUT and DELETE', () => {
  it('writes when If-Match names the current tag, and answers the tag a read then gives', async () => {
    const { deps, store } = await demoDeps();
    const etag = etagOf(await send(deps, { method: 'GET', query: { ids: '17,20' } })) as string;
    const put = await send(deps, {
      method: 'PUT',
      query: { ids: '17,20', vals: "{'ref': 'checked'}" },
      headers: { 'If-Match': etag },
    });
    expect(put.status).toBe(200);
    expect(store.record('res.partner', 17)?.values.ref).toBe('checked');
    const after = etagOf(await send(deps, { method: 'GET', query: { ids: '17,20' } }));
    expect(etagOf(put)).toBe(after);
    expect(after).not.toBe(etag);
  });

  it('is a 412 with nothing written when the records changed since the tag', async () => {
    const { deps, store } = await demoDeps();
    const stale = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    await send(deps, { method: 'PUT', proxy: '17', query: { vals: "{'ref': 'first'}" } });
    store.resetCalls();
    const error = await rejection(
      send(deps, { method: 'PUT', proxy: '17', query: { vals: "{'ref': 'second'}" }, headers: { 'If-Match': stale } }),
    );
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as Error).message).toContain('res.partner(17)');
    expect(store.record('res.partner', 17)?.values.ref).toBe('first');
    expect(store.calls.transact).toBe(0);
    // A weak tag never matches strongly, even the current one.
    const current = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    await expect(
      send(deps, {
        method: 'PUT',
        proxy: '17',
        query: { vals: "{'ref': 'x'}" },
        headers: { 'If-Match': `W/${current}` },
      }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('makes a DELETE conditional the same way', async () => {
    const { deps, store } = await demoDeps();
    const etag = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    await expect(
      send(deps, { method: 'DELETE', proxy: '17', headers: { 'If-Match': '"stale"' } }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(store.record('res.partner', 17)).toBeDefined();
    const deleted = await send(deps, { method: 'DELETE', proxy: '17', headers: { 'If-Match': etag } });
    expect(deleted.status).toBe(200);
    expect(store.record('res.partner', 17)).toBeUndefined();
  });

  it('takes If-None-Match on a write: a 412 when it names the current tag, or *', async () => {
    const { deps, store } = await demoDeps();
    const etag = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    for (const value of [etag, '*'])
      await expect(
        send(deps, {
          method: 'PUT',
          proxy: '17',
          query: { vals: "{'ref': 'x'}" },
          headers: { 'If-None-Match': value },
        }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(store.record('res.partner', 17)?.values.ref).not.toBe('x');
  });

  it('replays a keyed conditional write as the first answered, though its If-Match is now stale', async () => {
    const { deps, store } = await demoDeps();
    const etag = etagOf(await send(deps, { method: 'GET', proxy: '17' })) as string;
    const before = store.record('res.partner', 17)?.version as number;
    const call = {
      method: 'PUT',
      proxy: '17',
      query: { vals: "{'ref': 'once'}" },
      headers: { 'If-Match': etag, 'Idempotency-Key': 'key-1' },
    };
    const first = await send(deps, call);
    const again = await send(deps, call);
    expect([first.status, again.status, again.headers?.[REPLAYED_HEADER]]).toStrictEqual([200, 200, 'true']);
    expect(etagOf(again)).toBe(etagOf(first));
    expect(dataOf(again)).toStrictEqual(dataOf(first));
    expect(store.record('res.partner', 17)?.version).toBe(before + 1); // written once
    // Without the key, the same stale If-Match is a 412.
    await expect(send(deps, { ...call, headers: { 'If-Match': etag } })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });
});

describe('where on PUT', () => {
  it('writes when every record matches, 412 with nothing written when one does not', async () => {
    const { deps, store } = await demoDeps();
    const ok = await send(deps, {
      method: 'PUT',
      query: { ids: '17,20', vals: "{'ref': 'a'}", where: "[('id', 'in', [17, 20])]" },
    });
    expect(ok.status).toBe(200);
    await expect(
      send(deps, { method: 'PUT', query: { ids: '17,20', vals: "{'ref': 'b'}", where: "[('id', '=', 17)]" } }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect([store.record('res.partner', 17)?.values.ref, store.record('res.partner', 20)?.values.ref]).toStrictEqual([
      'a',
      'a',
    ]);
  });

  it.each(['5', "{'a': 1}", "[('no_such_field', '=', 1)]"])(
    'refuses where=%s before anything is written',
    async (where) => {
      const { deps, store } = await demoDeps();
      const error = await rejection(send(deps, { method: 'PUT', proxy: '17', query: { vals: "{'ref': 'c'}", where } }));
      expect(error).toBeInstanceOf(AppError);
      expect([400, 403]).toContain((error as AppError).status);
      expect(store.calls.transact).toBe(0);
    },
  );
});
