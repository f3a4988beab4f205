/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by @readme/openapi-parser), every route and
 * parameter of the router's method table on every model, a schema per model (custom ones too),
 * the auth schemes and the original's error shapes; and the served source, rebuilt only when the
 * stored definitions change.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { IR_MODEL, IR_MODEL_FIELDS, servableRegistry, CATALOG_STAMP_KEY } from '../../../lib/models/catalog';
import { buildRegistry } from '../../../lib/models/registry';
import { RECORD_VERB_METHODS, VERB_METHODS } from '../../../lib/object-api/methods';
import { METHODS } from '../../../lib/object-api/router';
import { openApiDocument, TOKEN_PATH } from '../../../lib/openapi/document';
import { OpenApiSource, STAMP_CHECK_MS } from '../../../lib/openapi/source';
import type { StoredRecord } from '../../../lib/records/port';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const options = { responseKey: 'description' as const, version: '1.0' };
const shipped = () => openApiDocument(buildRegistry(shippedModels), options) as Json;

const customModel: StoredRecord = {
  model: IR_MODEL,
  id: 100_001,
  version: 1,
  values: { name: 'Gadget', model: 'x_gadget', state: 'manual' },
};
const customField = (id: number, modelId: number, name: string, ttype: string, extra: Record<string, string> = {}): StoredRecord => ({
  model: IR_MODEL_FIELDS,
  id,
  version: 1,
  values: { model_id: modelId, name, field_description: name, ttype, state: 'manual', ...extra },
});

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(shipped() as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  it("describes every model's verb, method and record routes from the router's tables", () => {
    const doc = shipped();
    for (const model of buildRegistry(shippedModels).models) {
      const base = `/restapi/1.0/object/${model.model}`;
      for (const verb of Object.keys(VERB_METHODS)) expect(doc.paths[base]).toHaveProperty(verb.toLowerCase());
      for (const verb of Object.keys(RECORD_VERB_METHODS)) expect(doc.paths[`${base}/{id}`]).toHaveProperty(verb.toLowerCase());
      for (const [name, method] of Object.entries(METHODS)) {
        const operations = Object.values(doc.paths[`${base}/${name}`] as Json);
        expect(operations).toHaveLength(1);
        const parameters = (operations[0].parameters as Json[]).map((parameter) => parameter.name);
        expect(parameters).toEqual(expect.arrayContaining([...method.params]));
        if (method.onRecord) expect(doc.paths[`${base}/{id}/${name}`]).toBeDefined();
        else expect(doc.paths[`${base}/{id}/${name}`]).toBeUndefined();
      }
    }
  });

  it('leaves the service-only fields out (a webhook subscription’s sealed secret), in reads and vals alike', () => {
    const schemas = shipped().components.schemas as Json;
    expect(Object.keys(schemas.ir_webhook.properties)).toEqual(expect.arrayContaining(['name', 'model', 'url', 'fields', 'domain', 'active']));
    expect(schemas.ir_webhook.properties).not.toHaveProperty('secret_sealed');
    expect(schemas.ir_webhook_vals.properties).not.toHaveProperty('secret_sealed');
    expect(schemas.ir_webhook_vals.properties).toHaveProperty('url');
  });

  it('keys the JSON answer by description or technical name, as RESPONSE_KEY says', () => {
    const schemaOf = (doc: Json) =>
      doc.paths['/restapi/1.0/object/res.partner'].put.responses['200'].content['application/json'].schema;
    expect(schemaOf(shipped()).required).toEqual(['Partner']);
    expect(schemaOf(shipped()).properties.Partner.items).toEqual({ $ref: '#/components/schemas/res_partner' });
    const byModel = openApiDocument(buildRegistry(shippedModels), { ...options, responseKey: 'model' }) as Json;
    expect(schemaOf(byModel).required).toEqual(['res.partner']);
  });

  it("gives each model a schema of its fields with Odoo's wire types", () => {
    const partner = shipped().components.schemas.res_partner;
    expect(partner.properties.id).toMatchObject({ type: 'integer' });
    expect(partner.properties.name).toMatchObject({ anyOf: [{ type: 'string' }, { const: false }] });
    expect(partner.properties.state_id.anyOf[0]).toMatchObject({ type: 'array', minItems: 2, maxItems: 2 });
    const vals = shipped().components.schemas.res_partner_vals;
    expect(vals.properties.state_id.anyOf[0]).toMatchObject({ type: 'integer' });
    expect(vals.properties).not.toHaveProperty('write_date');
  });

  it('includes custom models and custom fields of shipped models', async () => {
    const registry = servableRegistry(
      shippedModels,
      [customModel, { model: IR_MODEL, id: 1, version: 1, values: { model: 'res.partner', state: 'base' } }],
      [
        customField(100_001, 100_001, 'x_size', 'selection', { selection: "[('s','Small'),('l','Large')]" }),
        customField(100_002, 1, 'x_loyalty', 'integer'),
      ],
    );
    const doc = openApiDocument(registry, options) as Json;
    expect(doc.components.schemas.x_gadget.properties.x_size).toMatchObject({ anyOf: [{ type: 'string', enum: ['s', 'l'] }, { const: false }] });
    expect(doc.components.schemas.res_partner.properties.x_loyalty).toMatchObject({ type: 'integer' });
    expect(doc.paths['/restapi/1.0/object/x_gadget/{id}'].get).toBeDefined();
    const result = await validate(doc as never);
    expect(result.valid).toBe(true);
  });

  it("names the auth schemes and the original's error shapes", () => {
    const doc = shipped();
    const schemes = doc.components.securitySchemes;
    expect(schemes.oauth2.flows.clientCredentials.tokenUrl).toBe(TOKEN_PATH);
    expect(schemes.oauth2.flows.authorizationCode.tokenUrl).toBe(TOKEN_PATH);
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.basicToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(schemes.oauth1.description).toMatch(/OAuth 1\.0a/);
    const responses = doc.components.responses;
    expect(responses.Unauthorized.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/BareError' });
    expect(responses.Forbidden.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error.required).toEqual(['error']);
    const write = doc.paths['/restapi/1.0/object/res.partner'].put;
    expect(Object.keys(write.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409', '412', '422']));
    expect(Object.keys(doc.paths['/restapi/1.0/object/res.partner/{id}'].get.responses)).toContain('304');
    expect(doc.paths['/restapi/1.0/openapi.json'].get.security).toEqual([]);
  });
});

describe('OpenApiSource', () => {
  const stamp = (value: string): StoredRecord => ({ ...CATALOG_STAMP_KEY, version: 1, values: { stamp: value } });

  it('builds once per registry version and shows a field added since', async () => {
    const store = new MemoryRecordStore();
    await store.putMany([customModel, stamp('one')]);
    let now = 0;
    const source = new OpenApiSource(store, shippedModels, options, () => now);
    const first = JSON.parse(await source.json()) as Json;
    expect(first.components.schemas.x_gadget.properties).not.toHaveProperty('x_colour');
    expect(store.calls.scanModel).toBe(2);

    // Within STAMP_CHECK_MS: not even the stamp is read again.
    const [again, concurrent] = await Promise.all([source.json(), source.json()]);
    expect(again).toBe(concurrent);
    expect(store.calls.getMany).toBe(1);

    // The stamp unchanged: one read, no scan.
    now += STAMP_CHECK_MS + 1;
    await source.json();
    expect({ getMany: store.calls.getMany, scans: store.calls.scanModel }).toEqual({ getMany: 2, scans: 2 });

    // A field added (and the stamp replaced, as the catalog does): rebuilt with it.
    await store.putMany([customField(100_005, 100_001, 'x_colour', 'char'), stamp('two')]);
    now += STAMP_CHECK_MS + 1;
    const second = JSON.parse(await source.json()) as Json;
    expect(second.components.schemas.x_gadget.properties.x_colour).toMatchObject({ title: 'x_colour' });
    expect(store.calls.scanModel).toBe(4);
  });

  it('writes nothing (its role may only read)', async () => {
    const store = new MemoryRecordStore();
    const source = new OpenApiSource(store, shippedModels, options);
    await source.json();
    expect({ putMany: store.calls.putMany, transact: store.calls.transact }).toEqual({ putMany: 0, transact: 0 });
  });
});
