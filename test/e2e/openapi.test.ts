/**
 * GET /restapi/1.0/openapi.json over HTTP: served without credentials, valid OpenAPI 3.1 (by
 * @readme/openapi-parser), free of anything secret, and good enough to generate a typed client
 * from (openapi-typescript) that type-checks, refuses a wrong use, and makes the seed call
 * (PUT /restapi/1.0/object/res.partner?ids=17,20&vals=...) through openapi-fetch. A custom field
 * added over the API appears in it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileErrors, validate } from '@readme/openapi-parser';
import createClient from 'openapi-fetch';
import ts from 'typescript';
import { apiUrl, demoBasicClient, demoClient, demoOAuth1Client, demoPassword, demoToken } from '../helpers/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(__dirname, '..', '..');
const SEED_STREET2 = 'Chung Hsiao East Road';

async function fetchDocument(): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/openapi.json`);
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** The seed call, written against the generated types as an integrator would write it. */
const CLIENT_SOURCE = `
import type createClient from 'openapi-fetch';
import type { paths } from './schema';

export async function seedCall(create: typeof createClient, baseUrl: string, token: string) {
  // JSON answers only (the API also answers XML, by Accept).
  const client = create<paths, 'application/json'>({ baseUrl, headers: { Authorization: \`Bearer \${token}\` } });
  const { data, error, response } = await client.PUT('/restapi/1.0/object/res.partner', {
    params: { query: { ids: '17,20', vals: "{'street2': '${SEED_STREET2}'}" } },
  });
  if (data === undefined) throw new Error(\`seed call failed: \${response.status} \${JSON.stringify(error)}\`);
  const partners = data.Partner;
  return {
    status: response.status,
    etag: response.headers.get('ETag'),
    ids: partners.map((partner) => partner.id),
    street2: partners.map((partner): string | false | undefined => partner.street2),
  };
}
`;

/** The same call with a mistake the types must catch: a record route without its id. */
const WRONG_SOURCE = `
import type createClient from 'openapi-fetch';
import type { paths } from './schema';
export async function wrong(create: typeof createClient) {
  const client = create<paths, 'application/json'>({ baseUrl: '' });
  const { data } = await client.GET('/restapi/1.0/object/res.partner/{id}', { params: { path: {} } });
  return data?.Partner.no_such_field;
}
`;

/** Type-checks `file` strictly, openapi-fetch's types resolved from this repository. */
function typeErrors(folder: string, file: string): string[] {
  const program = ts.createProgram([join(folder, file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    baseUrl: folder,
    paths: { 'openapi-fetch': [join(ROOT, 'node_modules/openapi-fetch')] },
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'openapi-client-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('GET /restapi/1.0/openapi.json', () => {
  it('answers a valid OpenAPI 3.1 document without credentials', async () => {
    const { status, contentType, text } = await fetchDocument();
    expect({ status, contentType }).toStrictEqual({ status: 200, contentType: 'application/json; charset=utf-8' });
    const doc = JSON.parse(text) as Json;
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(doc as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/restapi/1.0/object/res.partner', '/restapi/1.0/object/res.partner/{id}']));
  });

  it('shows no credential and no user data', async () => {
    const { text } = await fetchDocument();
    for (const secret of [
      demoClient().clientId,
      demoClient().clientSecret,
      demoBasicClient().clientId,
      demoBasicClient().clientSecret,
      demoOAuth1Client().clientId,
      demoOAuth1Client().clientSecret,
      demoPassword(),
      'Edward Foster', // a demo record's name: records never appear, only their schema
    ]) {
      expect(text.includes(secret)).toBe(false);
    }
  });

  it('generates a typed client that compiles, catches a wrong call, and makes the seed call', async () => {
    // As an integrator runs it: openapi-typescript's CLI pointed at the served URL.
    await promisify(execFile)(process.execPath, [
      join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'),
      `${apiUrl()}/restapi/1.0/openapi.json`,
      '--output',
      join(folder, 'schema.ts'),
    ]);
    await writeFile(join(folder, 'client.ts'), CLIENT_SOURCE);
    await writeFile(join(folder, 'wrong.ts'), WRONG_SOURCE);
    expect(typeErrors(folder, 'client.ts')).toStrictEqual([]);
    const wrong = typeErrors(folder, 'wrong.ts');
    expect(wrong.some((message) => message.includes("'id'"))).toBe(true);
    expect(wrong.some((message) => message.includes('no_such_field'))).toBe(true);

    // The checked client, as plain JavaScript (its imports are types only), run against the API.
    const js = ts.transpileModule(CLIENT_SOURCE, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    await writeFile(join(folder, 'client.js'), js.outputText);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { seedCall } = require(join(folder, 'client.js')) as { seedCall: (create: typeof createClient, baseUrl: string, token: string) => Promise<Json> };
    const answer = await seedCall(createClient, apiUrl(), await demoToken());
    expect(answer).toStrictEqual({ status: 200, etag: expect.any(String), ids: [17, 20], street2: [SEED_STREET2, SEED_STREET2] });
  });

  it('describes a custom field as soon as an admin adds it', async () => {
    const token = await demoToken();
    const call = async (method: string, path: string, query: Record<string, string>) => {
      const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}?${new URLSearchParams(query)}`, { method, headers: { Authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as Json };
    };
    const field = `x_openapi_${Date.now().toString(36)}`;
    const partnerModel = await call('GET', 'ir.model/search', { domain: "[('model','=','res.partner')]" });
    const created = await call('POST', 'ir.model.fields', {
      vals: `{'model_id':${partnerModel.body.Models[0]},'name':'${field}','field_description':'Loyalty','ttype':'integer','state':'manual'}`,
    });
    expect(created.status).toBe(201);
    try {
      // Each instance looks at the definitions' stamp at most once a second (lib/openapi/source.ts).
      let properties: Json = {};
      for (let attempt = 0; attempt < 30 && !(field in properties); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
        properties = (JSON.parse((await fetchDocument()).text) as Json).components.schemas.res_partner.properties;
      }
      expect(properties[field]).toMatchObject({ type: 'integer', title: 'Loyalty' });
      expect((JSON.parse((await fetchDocument()).text) as Json).components.schemas.res_partner_vals.properties[field]).toMatchObject({ type: 'integer' });
    } finally {
      expect((await call('DELETE', `ir.model.fields/${created.body['Fields'].id}`, {})).status).toBe(200);
    }
  });
});
