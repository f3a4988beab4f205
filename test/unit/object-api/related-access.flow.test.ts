/**
 * Access rights and token scopes on every model a request reaches, not only the one in its path
 * (issue 15 §2, §3), through the object routes over the in-memory RecordStore seeded with the demo
 * data: an x2many command needs the right on the model it acts on, a definition (ir.model,
 * ir.model.fields) changes only through its own request, and a domain reads only models the caller
 * may read. Each refusal is Odoo's AccessError (403) with nothing reserved, written or read.
 */
import { AccessDeniedError } from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules, type AccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { routeObjectRequest } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyDict } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore, noCalls } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
import { ADMIN_AUTHORIZER, objectRequest } from '../../helpers/object-request';

const shippedRules = buildAccessRules(shippedAccessRules);

/**
 * The shipped models plus what an administrator could add through ir.model.fields: on res.partner,
 * a one2many to the users whose related partner it is, and a many2many to field definitions.
 */
const registry = buildRegistry(
  shippedModels.map((source) => {
    const model = source as { model: string; fields: unknown[] };
    if (model.model !== 'res.partner') return source;
    return {
      ...model,
      fields: [
        ...model.fields,
        { name: 'x_user_ids', type: 'one2many', string: 'Users', relation: 'res.users', relationField: 'partner_id' },
        { name: 'x_field_ids', type: 'many2many', string: 'Fields', relation: 'ir.model.fields' },
      ],
    };
  }),
);

/**
 * Rights the shipped rules cannot express: writers of partners who only read tags, writers of
 * countries who only read states, and readers of countries only.
 */
const testRules = buildAccessRules({
  groups: {
    'test.partner_writer': 'Test/Partner Writer',
    'test.country_writer': 'Test/Country Writer',
    'base.group_system': 'Administration/Settings',
  },
  access: [
    { model: 'res.partner', group: 'test.partner_writer', read: true, write: true, create: true, unlink: true },
    { model: 'res.partner.category', group: 'test.partner_writer', read: true, write: false, create: false, unlink: false },
    { model: 'res.country', group: 'test.country_writer', read: true, write: true, create: false, unlink: false },
    { model: 'res.country.state', group: 'test.country_writer', read: true, write: false, create: false, unlink: false },
    { model: 'res.country', group: '', read: true, write: false, create: false, unlink: false },
    { model: '*', group: 'base.group_system', read: true, write: true, create: true, unlink: true },
  ],
});

interface Caller {
  readonly rules: AccessRules;
  readonly groups: string;
  readonly scopes?: string;
}

/** Every right on every model (the demo administrator), with a token narrowed to `res.partner:write`. */
const partnerWriteToken: Caller = {
  rules: shippedRules,
  groups: 'base.group_user,base.group_partner_manager,base.group_system',
  scopes: 'res.partner:write',
};
/** A user who may write partners but only read their tags (any token). */
const partnerWriter: Caller = { rules: testRules, groups: 'test.partner_writer' };
const countryWriter: Caller = { rules: testRules, groups: 'test.country_writer' };
/** A contact manager (the shipped group): no right on users or definitions beyond read. */
const contactManager: Caller = { rules: shippedRules, groups: 'base.group_user,base.group_partner_manager' };
const administrator: Caller = { rules: shippedRules, groups: 'base.group_user,base.group_system' };
/** No group: reads countries (everyone may), nothing else. */
const nobody: Caller = { rules: testRules, groups: '' };

async function demoStore(): Promise<MemoryRecordStore> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return store;
}

function request(method: string, model: string, proxy: string | undefined, query: Record<string, string>, caller: Caller): ApiRequest {
  return objectRequest({ method, model, proxy, query, authorizer: { ...ADMIN_AUTHORIZER, tokenScopes: caller.scopes ?? '', groups: caller.groups } });
}

async function send(
  store: MemoryRecordStore,
  caller: Caller,
  method: string,
  model: string,
  proxy: string | undefined,
  query: Record<string, string>,
): Promise<ApiResult> {
  const deps = { registry, store, accessRules: caller.rules, now: () => new Date('2024-03-04T05:06:07Z'), sleep: async () => {} };
  return routeObjectRequest(deps, request(method, model, proxy, query, caller));
}

/** Odoo's AccessError for a missing group right. */
const groupsError = (verb: string, description: string, model: string, groups: readonly string[]) =>
  new AccessDeniedError(
    `You are not allowed to ${verb} '${description}' (${model}) records.\n\nThis operation is allowed for the following groups:\n` +
      `${groups.map((group) => `\t- ${group}`).join('\n')}\n\nContact your administrator to request access if necessary.`,
  );
/** The same for a right the token's scope leaves out. */
const scopeError = (verb: string, description: string, model: string, operation: string) =>
  new AccessDeniedError(
    `You are not allowed to ${verb} '${description}' (${model}) records.\n\nThe access token's scope does not include ${model}:${operation}.`,
  );

/** A write refused: the error, and nothing reserved, written or read. */
async function expectRefusedWrite(
  caller: Caller,
  model: string,
  id: number,
  vals: string,
  expected: AccessDeniedError,
): Promise<void> {
  const store = await demoStore();
  const before = store.allRecords();
  const error = await rejection(send(store, caller, 'PUT', model, String(id), { vals }));
  expect(error).toStrictEqual(expected);
  expect((error as AccessDeniedError).status).toBe(403);
  expect(store.allRecords()).toStrictEqual(before);
  expect(store.calls).toStrictEqual(noCalls());
}

const tagsError = (verb: string) => groupsError(verb, 'Partner Tags', 'res.partner.category', ['Administration/Settings']);

describe('x2many commands need the right on the model they act on (issue 15 §2)', () => {
  describe('a user who writes partners but only reads tags', () => {
    it('cannot create a tag with (0, 0, vals)', async () => {
      await expectRefusedWrite(partnerWriter, 'res.partner', 17, "{'category_id': [(0, 0, {'name': 'T'})]}", tagsError('create'));
    });

    it('cannot rename a tag with (1, id, vals)', async () => {
      await expectRefusedWrite(partnerWriter, 'res.partner', 17, "{'category_id': [(1, 2, {'name': 'X'})]}", tagsError('modify'));
    });

    it('cannot delete a tag with (2, id)', async () => {
      await expectRefusedWrite(partnerWriter, 'res.partner', 17, "{'category_id': [(2, 1)]}", tagsError('delete'));
    });

    it('cannot create a tag on a new partner either', async () => {
      const store = await demoStore();
      const before = store.allRecords();
      const error = await rejection(
        send(store, partnerWriter, 'POST', 'res.partner', undefined, { vals: "{'name': 'New', 'category_id': [(0, 0, {'name': 'T'})]}" }),
      );
      expect(error).toStrictEqual(tagsError('create'));
      expect(store.allRecords()).toStrictEqual(before);
      expect(store.calls).toStrictEqual(noCalls());
    });

    it('links, unlinks, clears and sets tags: a many2many command writes only the partner', async () => {
      const store = await demoStore();
      const result = await send(store, partnerWriter, 'PUT', 'res.partner', '17', { vals: "{'category_id': [(4, 2), (4, 1), (3, 2), (6, 0, [1, 3]), (5,), (4, 3)]}" });
      expect([result.status, ((result as { data: PyDict }).data).get('category_id')]).toStrictEqual([200, [3]]);
      expect(store.allRecords().find((record) => record.model === 'res.partner.category' && record.id === 2)?.values.name).toBe('Prospects');
    });
  });

  describe("a token whose scope is res.partner:write (the user's rights are all)", () => {
    const tagScopeError = (verb: string, operation: string) => scopeError(verb, 'Partner Tags', 'res.partner.category', operation);

    it.each([
      ['(0, 0, vals)', "{'category_id': [(0, 0, {'name': 'T'})]}", tagScopeError('create', 'create')],
      ['(1, id, vals)', "{'category_id': [(1, 2, {'name': 'X'})]}", tagScopeError('modify', 'write')],
      ['(2, id)', "{'category_id': [(2, 1)]}", tagScopeError('delete', 'unlink')],
      ['(2, id) on child_ids: a partner deleted', "{'child_ids': [(2, 20)]}", scopeError('delete', 'Partner', 'res.partner', 'unlink')],
      ['(0, 0, vals) on child_ids: a partner created', "{'child_ids': [(0, 0, {'name': 'C'})]}", scopeError('create', 'Partner', 'res.partner', 'create')],
    ])('refuses %s', async (_, vals, expected) => {
      await expectRefusedWrite(partnerWriteToken, 'res.partner', 17, vals, expected);
    });

    it('links a child partner (a write on res.partner, which the scope allows)', async () => {
      const store = await demoStore();
      const result = await send(store, partnerWriteToken, 'PUT', 'res.partner', '17', { vals: "{'child_ids': [(4, 20)], 'category_id': [(4, 1)]}" });
      expect(result.status).toBe(200);
    });
  });

  describe("a one2many's (3), (4), (5) and (6) write the children's inverse: the right on the children's model", () => {
    const statesError = groupsError('modify', 'Country state', 'res.country.state', ['Administration/Settings']);

    it.each([
      ['(4, id)', "{'state_ids': [(4, 1)]}"],
      ['(3, id)', "{'state_ids': [(3, 1)]}"],
      ['(5,)', "{'state_ids': [(5,)]}"],
      ['(6, 0, ids)', "{'state_ids': [(6, 0, [1])]}"],
      ['a list of ids', "{'state_ids': [1]}"],
      ['False', "{'state_ids': False}"],
    ])('refuses %s to a user who writes countries but only reads states', async (_, vals) => {
      await expectRefusedWrite(countryWriter, 'res.country', 274, vals, statesError);
    });

    it("refuses one on an administrator's one2many to res.users to a contact manager", async () => {
      const usersError = (verb: string) => groupsError(verb, 'User', 'res.users', ['Administration/Settings']);
      await expectRefusedWrite(contactManager, 'res.partner', 17, "{'x_user_ids': [(4, 2)]}", usersError('modify'));
      await expectRefusedWrite(contactManager, 'res.partner', 17, "{'x_user_ids': [(0, 0, {'name': 'Eve', 'login': 'eve'})]}", usersError('create'));
      await expectRefusedWrite(contactManager, 'res.partner', 17, "{'child_ids': [(1, 20, {'x_user_ids': [(4, 2)]})]}", usersError('modify'));
    });
  });

  describe('definitions change only through their own ir.model / ir.model.fields requests', () => {
    const definitionsError = (field: string, model: string, verb: string, target: string) =>
      new AccessDeniedError(
        `The commands of field '${field}' on model '${model}' would ${verb} ${target} records: definitions cannot be changed through x2many commands; create, write or delete them with their own ${target} request`,
      );

    it("refuses an administrator's field created through a many2many to ir.model.fields", async () => {
      await expectRefusedWrite(
        administrator,
        'res.partner',
        17,
        "{'x_field_ids': [(0, 0, {'name': 'no_prefix', 'model_id': 1, 'ttype': 'char'})]}",
        definitionsError('x_field_ids', 'res.partner', 'create', 'ir.model.fields'),
      );
      await expectRefusedWrite(
        administrator,
        'res.partner',
        17,
        "{'x_field_ids': [(1, 1, {'name': 'renamed'})]}",
        definitionsError('x_field_ids', 'res.partner', 'modify', 'ir.model.fields'),
      );
    });

    it("refuses a contact manager's with Odoo's AccessError first", async () => {
      await expectRefusedWrite(
        contactManager,
        'res.partner',
        17,
        "{'x_field_ids': [(0, 0, {'name': 'x_f', 'model_id': 1, 'ttype': 'char'})]}",
        groupsError('create', 'Fields', 'ir.model.fields', ['Administration/Settings']),
      );
    });

    it("refuses fields created or moved through ir.model's own field_id", async () => {
      await expectRefusedWrite(
        administrator,
        'ir.model',
        1,
        "{'field_id': [(0, 0, {'name': 'no_prefix', 'ttype': 'char'})]}",
        definitionsError('field_id', 'ir.model', 'create', 'ir.model.fields'),
      );
      await expectRefusedWrite(
        administrator,
        'ir.model',
        1,
        "{'field_id': [(4, 2)]}",
        definitionsError('field_id', 'ir.model', 'modify', 'ir.model.fields'),
      );
    });
  });
});

describe('a domain reads only models the caller may read (issue 15 §3)', () => {
  const usersReadError = groupsError('access', 'User', 'res.users', ['Administration/Settings']);

  /** A search refused: the error, and nothing read. */
  async function expectRefusedSearch(caller: Caller, model: string, proxy: string | undefined, query: Record<string, string>, expected: AccessDeniedError) {
    const store = await demoStore();
    const error = await rejection(send(store, caller, 'GET', model, proxy, query));
    expect(error).toStrictEqual(expected);
    expect(store.calls).toStrictEqual(noCalls());
  }

  it('search_count through create_uid.partner_id.email is no oracle for a user who may read countries only', async () => {
    for (const prefix of ['admin@%', 'nobody@%']) {
      await expectRefusedSearch(nobody, 'res.country', 'search_count', { domain: `[('create_uid.partner_id.email', '=like', '${prefix}')]` }, usersReadError);
    }
  });

  it('refuses the path when the token leaves out a model it walks', async () => {
    const countryReader: Caller = { rules: shippedRules, groups: 'base.group_user', scopes: 'res.country:read res.users:read' };
    await expectRefusedSearch(
      countryReader,
      'res.country',
      'search_count',
      { domain: "[('create_uid.partner_id.email', '=like', 'admin@%')]" },
      scopeError('access', 'Partner', 'res.partner', 'read'),
    );
  });

  describe('with a token for res.partner:read only', () => {
    const partnerReader: Caller = { rules: shippedRules, groups: 'base.group_user', scopes: 'res.partner:read' };

    it.each([
      ['a name search on a many2one', undefined, { domain: "[('user_id', '=', 'Administrator')]" }, 'User', 'res.users'],
      ['a dotted path', 'search', { domain: "[('country_id.code', '=', 'BE')]" }, 'Country', 'res.country'],
      ['child_of on a many2many', 'search_count', { domain: "[('category_id', 'child_of', 1)]" }, 'Partner Tags', 'res.partner.category'],
      ['a name search on a many2many', 'search', { domain: "[('category_id', '=', 'Vendor')]" }, 'Partner Tags', 'res.partner.category'],
      ['the args of name_search', 'name_search', { name: "'a'", args: "[('state_id.name', '=', 'x')]" }, 'Country state', 'res.country.state'],
      ['a path inside a negation', undefined, { domain: "['!', ('parent_id.user_id.login', '=', 'admin')]" }, 'User', 'res.users'],
    ])('refuses %s', async (_, proxy, query, description, model) => {
      await expectRefusedSearch(partnerReader, 'res.partner', proxy, query, scopeError('access', description, model, 'read'));
    });

    it('searches paths that stay on res.partner', async () => {
      const store = await demoStore();
      const result = await send(store, partnerReader, 'GET', 'res.partner', 'search', { domain: "[('parent_id.name', '=', 'YourCompany'), ('parent_id', 'child_of', 1)]" });
      expect((result as { data: unknown }).data).toStrictEqual([3]);
    });
  });

  it('counts when the caller may read every model the path walks', async () => {
    const store = await demoStore();
    const result = await send(store, contactManager, 'GET', 'res.country', 'search_count', { domain: "[('create_uid.partner_id.email', '=like', 'admin@%')]" });
    expect(result.status).toBe(200);
  });
});
