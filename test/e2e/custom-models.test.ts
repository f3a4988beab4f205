/**
 * Custom models over HTTP, as the original's docs show them: an ir.model with state 'manual',
 * ir.model.fields with x_ names, then the model used through every endpoint; a custom field on a
 * shipped model; the definitions' rules (403, nothing written); and a second, freshly started
 * process (the object Lambda's own bundle in a new node) that sees the model without a redeploy.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UNKNOWN_MODEL_RELOAD_MS } from '../../lib/models/catalog';
import { objectRouteEvent } from '../../scripts/api-events';
import { buildLambda } from '../../scripts/lambda-bundles';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { LOCAL_TABLES } from '../../scripts/local-stack';
import { apiUrl, demoToken } from '../helpers/local';

let token: string;
const suffix = Date.now().toString(36);
const MODEL = `x_custom_model_${suffix}`;
let modelId: number;

async function call(method: string, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const url = `${apiUrl()}/restapi/1.0/object/${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
  const response = await fetch(url, { method, headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  token = await demoToken();
});

describe('custom models (ir.model, ir.model.fields)', () => {
  it('lists the shipped models in ir.model, as base records', async () => {
    const { status, body } = await call('GET', 'ir.model', { domain: "[('model','=','res.partner')]", fields: "['name','model','state']" });
    expect({ status, body }).toStrictEqual({ status: 200, body: { Models: [{ id: expect.any(Number), name: 'Partner', model: 'res.partner', state: 'base' }] } });
    const fields = await call('GET', 'ir.model.fields/search_count', { domain: "[('model','=','res.partner'),('name','=','street2')]" });
    expect(fields.body).toStrictEqual({ count: 1 });
  });

  it('defines a model and its fields over the API, then serves it through every endpoint', async () => {
    const created = await call('POST', 'ir.model', { vals: `{'name':'Custom Model','model':'${MODEL}','state':'manual'}` });
    expect(created.status).toBe(201);
    modelId = created.body.Models.id;
    expect(modelId).toBeGreaterThanOrEqual(100_000);
    for (const vals of [
      `{'model_id':${modelId},'name':'x_name','field_description':'Name','ttype':'char','state':'manual','required':True}`,
      `{'model_id':${modelId},'name':'x_amount','field_description':'Amount','ttype':'float','state':'manual'}`,
      `{'model_id':${modelId},'name':'x_partner_id','field_description':'Partner','ttype':'many2one','relation':'res.partner','state':'manual'}`,
      `{'model_id':${modelId},'name':'x_kind','field_description':'Kind','ttype':'selection','selection':"[('a','Alpha'),('b','Beta')]",'state':'manual'}`,
    ]) {
      expect((await call('POST', 'ir.model.fields', { vals })).status).toBe(201);
    }

    const record = await call('POST', MODEL, { vals: "{'x_name':'First','x_amount':2.5,'x_partner_id':17,'x_kind':'a'}" });
    expect(record.status).toBe(201);
    expect(record.body['Custom Model']).toMatchObject({ x_name: 'First', x_amount: 2.5, x_partner_id: [17, 'Edward Foster'], x_kind: 'a', display_name: 'First' });
    const id = record.body['Custom Model'].id as number;

    const written = await call('PUT', MODEL, { ids: String(id), vals: "{'x_amount':4.0,'x_kind':'b'}" });
    expect(written.body['Custom Model'][0]).toMatchObject({ id, x_amount: 4.0, x_kind: 'b' });
    const found = await call('GET', MODEL, { domain: "[('x_amount','>',3),('x_partner_id.name','ilike','foster')]", fields: "['x_name']" });
    expect(found.body).toStrictEqual({ 'Custom Model': [{ id, x_name: 'First' }] });
    const described = await call('GET', `${MODEL}/fields_get`, { allfields: "['x_kind']", attributes: "['type','selection']" });
    expect(described.body).toStrictEqual({ 'Custom Model': { x_kind: { type: 'selection', selection: [['a', 'Alpha'], ['b', 'Beta']] } } });
    expect((await call('PUT', MODEL, { ids: String(id), vals: "{'x_kind':'zzz'}" })).status).toBe(403);
    expect((await call('POST', MODEL, { vals: "{'x_amount':1.0}" })).status).toBe(403); // x_name is required
  });

  it('adds a custom field to a shipped model', async () => {
    const partnerModel = await call('GET', 'ir.model/search', { domain: "[('model','=','res.partner')]" });
    const partnerModelId = partnerModel.body.Models[0] as number;
    const field = `x_loyalty_${suffix}`;
    const created = await call('POST', 'ir.model.fields', { vals: `{'model_id':${partnerModelId},'name':'${field}','ttype':'integer','state':'manual'}` });
    expect(created.status).toBe(201);
    const written = await call('PUT', 'res.partner/26', { vals: `{'${field}': 3}` });
    expect(written.body.Partner[field]).toBe(3);
    // Deleting the field takes it out of the model at once (and out of the other tests' answers).
    expect((await call('DELETE', `ir.model.fields/${created.body.Fields.id as number}`)).status).toBe(200);
    const read = await call('GET', 'res.partner/26');
    expect(Object.keys(read.body.Partner)).not.toContain(field);
  });

  it('refuses what would break the definitions, writing nothing (403)', async () => {
    const refused = [
      await call('POST', 'ir.model', { vals: "{'name':'No prefix','model':'custom_model','state':'manual'}" }),
      await call('POST', 'ir.model', { vals: `{'name':'Twice','model':'${MODEL}','state':'manual'}` }),
      await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'plain','ttype':'char'}` }),
      await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'x_bad_rel','ttype':'many2one','relation':'no.such.model'}` }),
      await call('POST', 'ir.model.fields', { vals: `{'model_id':${modelId},'name':'x_bad_sel','ttype':'selection','selection':'not a list'}` }),
      await call('PUT', 'ir.model/1', { vals: "{'name':'Renamed'}" }),
      await call('DELETE', `ir.model/${modelId}`),
    ];
    expect(refused.map((answer) => answer.status)).toStrictEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(refused[0]?.body.error.message).toBe("The model name must start with 'x_'.");
    expect(refused[2]?.body.error.message).toBe("Custom fields must have a name that starts with 'x_' !");
    expect(refused[6]?.body.error.message).toBe(`Model '${MODEL}' still has records: delete them first.`);
    const names = await call('GET', 'ir.model.fields', { domain: `[('model_id','=',${modelId})]`, fields: "['name']" });
    expect(names.body.Fields.map((field: { name: string }) => field.name).sort()).toStrictEqual(['x_amount', 'x_kind', 'x_name', 'x_partner_id']);
  });

  it('is seen by a second, freshly started process (the object bundle in a new node), without a redeploy', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'custom-model-'));
    try {
      const bundle = await buildLambda('handlers/object.ts', outdir);
      const event = objectRouteEvent({
        method: 'GET',
        model: MODEL,
        query: { domain: "[('x_name','=','First')]", fields: "['x_name','x_kind']" },
        requestId: 'second-process',
        authorizer: { userId: '1', clientId: 'c', groups: 'base.group_system', tokenScopes: '' },
      });
      const script = `require(process.argv[1]).handler(JSON.parse(process.argv[2])).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)))`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, bundle, JSON.stringify(event)], {
        env: {
          PATH: process.env.PATH,
          RECORDS_TABLE: LOCAL_TABLES.records,
          AUTH_TABLE: LOCAL_TABLES.auth,
          DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      });
      const result = JSON.parse(stdout.slice(stdout.lastIndexOf('RESULT ') + 7)) as { statusCode: number; body: string };
      expect({ status: result.statusCode, body: JSON.parse(result.body) }).toStrictEqual({
        status: 200,
        body: { 'Custom Model': [{ id: expect.any(Number), x_name: 'First', x_kind: 'b' }] },
      });
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});

describe('definitions changed at once', () => {
  /** Writes an item straight into the served stack's records table (what a raced change leaves behind). */
  async function putServedItem(item: Record<string, unknown>): Promise<void> {
    const client = createDocumentClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'eu-west-1' });
    try {
      await client.send(new PutCommand({ TableName: LOCAL_TABLES.records, Item: item }));
    } finally {
      client.destroy();
    }
  }

  it('two models of one name (two creates that raced past each other\'s checks): the API keeps serving, by the first definition stored', async () => {
    const name = `x_raced_${suffix}`;
    const first = await call('POST', 'ir.model', { vals: `{'name':'Raced first','model':'${name}','state':'manual'}` });
    expect(first.status).toBe(201);
    // The second create, as if it had passed its check before the first one committed; then the new stamp it leaves.
    const secondId = 900_000 + Math.floor(Math.random() * 90_000);
    await putServedItem({ pk: `ir.model#${secondId}`, model: 'ir.model', id: secondId, shard: `ir.model#${secondId % 16}`, version: 1, v: { name: 'Raced second', model: name, state: 'manual' } });
    await putServedItem({ pk: 'ir.catalog#1', model: 'ir.catalog', id: 1, shard: 'ir.catalog#1', version: 1, v: { stamp: `raced-${suffix}` } });
    // A model an instance does not know makes it read the stamp and load the definitions at once
    // (once its last load is UNKNOWN_MODEL_RELOAD_MS old: the create above just loaded them).
    await new Promise((resolve) => setTimeout(resolve, UNKNOWN_MODEL_RELOAD_MS + 100));
    expect((await call('GET', `x_unknown_${suffix}`)).status).toBe(404);
    const record = await call('POST', name, { vals: "{'x_name': 'Works'}" });
    expect([record.status, Object.keys(record.body)]).toStrictEqual([201, ['Raced first']]);
    expect((await call('GET', 'res.partner/17', { fields: "['name']" })).status).toBe(200);
    // Clean up: the record, then both definitions.
    expect((await call('DELETE', `${name}/${record.body['Raced first'].id as number}`)).status).toBe(200);
    expect((await call('DELETE', 'ir.model', { ids: `${first.body.Models.id as number},${secondId}` })).status).toBe(200);
  });
});
