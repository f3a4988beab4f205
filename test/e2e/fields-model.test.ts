/**
 * ir.model.fields' `model` over HTTP: the technical name of the field's model for every field,
 * shipped or custom, as read() and search() give it — written by the create of a field given
 * model_id only, and filled for one stored before it was (by the catalog's next load), and never written to
 * anything inconsistent with model_id (403, nothing written).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { LOCAL_TABLES } from '../../scripts/local-stack';
import { apiUrl, demoToken, servedItem } from '../helpers/local';

let token: string;
const suffix = Date.now().toString(36);
const MODEL = `x_fields_model_${suffix}`;
let modelId: number;

async function call(method: string, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const url = `${apiUrl()}/restapi/1.0/object/${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
  const response = await fetch(url, { method, headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

const fieldsOf = async (model: string): Promise<string[]> => {
  const found = await call('GET', 'ir.model.fields', { domain: `[('model','=','${model}')]`, fields: "['name']" });
  expect(found.status).toBe(200);
  return (found.body.Fields as { name: string }[]).map((field) => field.name).sort();
};

beforeAll(async () => {
  token = await demoToken();
  const created = await call('POST', 'ir.model', { vals: `{'name':'Fields Model','model':'${MODEL}','state':'manual'}` });
  expect(created.status).toBe(201);
  modelId = created.body.Models.id;
});

describe("ir.model.fields' model", () => {
  it('is the model of a custom field created with model_id only: in the answer, on read, and in a search by model', async () => {
    const created = await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'x_size','field_description':'Size','ttype':'integer'}` });
    expect(created.status).toBe(201);
    expect(created.body.Fields).toMatchObject({ name: 'x_size', model_id: [modelId, MODEL], model: MODEL });
    const read = await call('GET', `ir.model.fields/${created.body.Fields.id}`, { fields: "['model']" });
    expect(read.body).toStrictEqual({ Fields: { id: created.body.Fields.id, model: MODEL } });
    expect(await fieldsOf(MODEL)).toStrictEqual(['x_size']);
    // Written by the create itself, as Odoo's create() does: not by a repair after it (which would be version 2).
    expect(await servedItem('ir.model.fields', created.body.Fields.id as number)).toMatchObject({ version: 1, v: { model: MODEL } });
  });

  it('is the model of every shipped field', async () => {
    const partnerFields = await fieldsOf('res.partner');
    expect(partnerFields).toEqual(expect.arrayContaining(['name', 'street2', 'country_id']));
    const unfilled = await call('GET', 'ir.model.fields/search_count', { domain: "[('model','=',False)]" });
    expect(unfilled.body).toStrictEqual({ count: 0 });
  });

  it('is filled for a field stored without it (before this release) by the next load of the definitions', async () => {
    const id = 800_000 + Math.floor(Math.random() * 90_000);
    const client = createDocumentClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'eu-west-1' });
    try {
      await client.send(new PutCommand({
        TableName: LOCAL_TABLES.records,
        Item: { pk: `ir.model.fields#${id}`, model: 'ir.model.fields', id, shard: `ir.model.fields#${id % 16}`, version: 1, v: { model_id: modelId, name: 'x_legacy', field_description: 'Legacy', ttype: 'char', state: 'manual' } },
      }));
    } finally {
      client.destroy();
    }
    // Any change of the definitions makes the served instance load them again.
    expect((await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'x_other','ttype':'char'}` })).status).toBe(201);
    expect(await fieldsOf(MODEL)).toStrictEqual(['x_legacy', 'x_other', 'x_size']);
    expect((await servedItem('ir.model.fields', id))?.v.model).toBe(MODEL);
  });

  it("refuses (403) a create or a write of a model other than model_id's, and writes nothing", async () => {
    const before = await fieldsOf('res.partner');
    const create = await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'x_wrong','ttype':'char','model':'res.partner'}` });
    expect(create.status).toBe(403);
    expect(create.body.error.message).toBe(`Field "Model Name" is the technical name of the field's model ("Model"): "${MODEL}", not "res.partner".`);
    expect(await fieldsOf('res.partner')).toStrictEqual(before);
    expect(await fieldsOf(MODEL)).not.toContain('x_wrong');

    const [field] = (await call('GET', 'ir.model.fields/search', { domain: `[('model','=','${MODEL}'),('name','=','x_size')]` })).body.Fields as number[];
    expect((await call('PUT', `ir.model.fields/${field}`, { vals: "{'model':'res.partner'}" })).status).toBe(403);
    expect((await call('PUT', `ir.model.fields/${field}`, { vals: `{'model':'${MODEL}','field_description':'Size!'}` })).status).toBe(200);
    const read = await call('GET', `ir.model.fields/${field}`, { fields: "['model','field_description']" });
    expect(read.body).toStrictEqual({ Fields: { id: field, model: MODEL, field_description: 'Size!' } });
  });
});
