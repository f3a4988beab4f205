/**
 * Changing the type of a custom field whose records hold values, through the object routes over the
 * in-memory RecordStore with the model catalog (no DynamoDB): refused as Odoo 17 refuses it
 * (ir.model.fields write: "Changing the type of a field is not yet supported. Please drop it and
 * create it again!"), and the records stay readable; dropping the field and creating it again with
 * another type leaves no read answering 500 either.
 */
import { AccessDeniedError } from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { ModelCatalog } from '../../../lib/models/catalog';
import { buildRegistry } from '../../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import { toPythonJson } from '../../../lib/wire/json';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';

const registry = buildRegistry(shippedModels);
/** res.partner's ir.model id: the shipped models' base records are numbered in registry order. */
const PARTNER_MODEL_ID = registry.models.findIndex((model) => model.model === 'res.partner') + 1;
const TYPE_CHANGE = 'Changing the type of a field is not yet supported. Please drop it and create it again!';

async function setup() {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  const catalog = new ModelCatalog(store, shippedModels, () => 0, registry);
  const deps: ObjectDeps = { registry, store, accessRules: buildAccessRules(shippedAccessRules), now: () => new Date('2024-03-04T05:06:07Z'), sleep: async () => {}, catalog };
  return { store, deps };
}

/** A call of the Administrator (base.group_system) with its parameters in the query. */
function call(deps: ObjectDeps, method: string, model: string, query: Record<string, string>, proxy?: string): Promise<ApiResult> {
  const path = `/restapi/1.0/object/${model}${proxy === undefined ? '' : `/${proxy}`}`;
  const request: ApiRequest = {
    method,
    path,
    calledPath: path,
    pathParameters: proxy === undefined ? { model } : { model, proxy },
    query: new Map(Object.entries(query).map(([name, value]) => [name, [value]])),
    headers: new Map([['accept', 'application/json']]),
    body: undefined,
    requestId: 'request-1',
    authorizer: { userId: '1', clientId: 'c1', scheme: 'oauth2', tokenScopes: '', groups: 'base.group_system' },
  };
  return routeObjectRequest(deps, request);
}

const dataOf = (result: ApiResult): PyValue => ('data' in result ? result.data : 'payload' in result ? result.payload : result.body) as PyValue;

/** Reads partner 17's x_code as the API answers it: the status and the JSON body text (what a 500 would fail to render). */
async function readCode(deps: ObjectDeps): Promise<{ status: number; value: PyValue | undefined; json: string }> {
  const result = await call(deps, 'GET', 'res.partner', { ids: '17', fields: "['x_code']" });
  const records = dataOf(result) as PyValue[];
  return { status: result.status, value: (records[0] as PyDict).get('x_code'), json: toPythonJson(dataOf(result)) };
}

async function withCharValue() {
  const context = await setup();
  const created = await call(context.deps, 'POST', 'ir.model.fields', {
    vals: `{'model_id': ${PARTNER_MODEL_ID}, 'name': 'x_code', 'field_description': 'Code', 'ttype': 'char', 'state': 'manual'}`,
  });
  const fieldId = (dataOf(created) as PyDict).get('id') as number;
  const written = await call(context.deps, 'PUT', 'res.partner', { ids: '17', vals: "{'x_code': 'abc'}" });
  expect([created.status, written.status]).toStrictEqual([201, 200]);
  return { ...context, fieldId };
}

describe("a custom field's type (ttype)", () => {
  it.each(['float', 'integer', 'many2one', 'boolean'])("is not changed to %s while records hold values: 403 with Odoo's words, and the records still read", async (ttype) => {
    const { deps, fieldId } = await withCharValue();
    const error = await rejection(call(deps, 'PUT', 'ir.model.fields', { ids: `${fieldId}`, vals: `{'ttype': '${ttype}'${ttype === 'many2one' ? ", 'relation': 'res.partner'" : ''}}` }));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect([(error as AccessDeniedError).status, (error as AccessDeniedError).message]).toStrictEqual([403, TYPE_CHANGE]);
    await expect(readCode(deps)).resolves.toMatchObject({ status: 200, value: 'abc' });
  });

  it('is not changed even when no record holds a value (as Odoo: drop the field and create it again)', async () => {
    const { deps } = await setup();
    const created = await call(deps, 'POST', 'ir.model.fields', { vals: `{'model_id': ${PARTNER_MODEL_ID}, 'name': 'x_empty', 'ttype': 'char', 'state': 'manual'}` });
    const fieldId = (dataOf(created) as PyDict).get('id') as number;
    const error = await rejection(call(deps, 'PUT', 'ir.model.fields', { ids: `${fieldId}`, vals: "{'ttype': 'text'}" }));
    expect((error as AccessDeniedError).message).toBe(TYPE_CHANGE);
  });

  it("keeps its model as well: moving a field to another model is Odoo's 403 too", async () => {
    const { deps, fieldId } = await withCharValue();
    const countryModelId = registry.models.findIndex((model) => model.model === 'res.country') + 1;
    const error = await rejection(call(deps, 'PUT', 'ir.model.fields', { ids: `${fieldId}`, vals: `{'model_id': ${countryModelId}}` }));
    expect([(error as AccessDeniedError).status, (error as AccessDeniedError).message]).toStrictEqual([403, 'Changing the model of a field is forbidden!']);
    expect((await call(deps, 'PUT', 'ir.model.fields', { ids: `${fieldId}`, vals: `{'model_id': ${PARTNER_MODEL_ID}}` })).status).toBe(200);
  });

  it('may be written unchanged beside other properties', async () => {
    const { deps, fieldId } = await withCharValue();
    const written = await call(deps, 'PUT', 'ir.model.fields', { ids: `${fieldId}`, vals: "{'ttype': 'char', 'field_description': 'Code (new label)'}" });
    expect(written.status).toBe(200);
    await expect(readCode(deps)).resolves.toMatchObject({ status: 200, value: 'abc' });
  });

  it('dropped and created again as a float: the old text reads as an empty float (0.0), never a 500', async () => {
    const { deps, fieldId } = await withCharValue();
    expect((await call(deps, 'DELETE', 'ir.model.fields', { ids: `${fieldId}` })).status).toBe(200);
    const again = await call(deps, 'POST', 'ir.model.fields', { vals: `{'model_id': ${PARTNER_MODEL_ID}, 'name': 'x_code', 'ttype': 'float', 'state': 'manual'}` });
    expect(again.status).toBe(201);
    const read = await readCode(deps);
    expect([read.status, read.json]).toStrictEqual([200, '[{"id":17,"x_code":0.0}]']);
  });

  it('dropped and created again as a many2one: the old text reads as False, never a 500', async () => {
    const { deps, fieldId } = await withCharValue();
    await call(deps, 'DELETE', 'ir.model.fields', { ids: `${fieldId}` });
    await call(deps, 'POST', 'ir.model.fields', { vals: `{'model_id': ${PARTNER_MODEL_ID}, 'name': 'x_code', 'ttype': 'many2one', 'relation': 'res.country', 'state': 'manual'}` });
    const read = await readCode(deps);
    expect([read.status, read.json]).toStrictEqual([200, '[{"id":17,"x_code":false}]']);
  });
});
