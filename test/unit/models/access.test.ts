import {
  accessFromContext,
  buildAccessRules,
  checkAccess,
  mayDo,
  OPERATIONS,
  parseScopes,
  scopesAllow,
  userMayAccess,
  type AccessContext,
  type AccessRules,
  type Operation,
} from '../../../lib/models/access';
import { AccessDeniedError } from '../../../lib/errors';
import { buildRegistry, type ModelDef } from '../../../lib/models/registry';
import { shippedAccessRules, shippedModels } from '../../../models';
import { thrown } from '../../helpers/thrown';

const rules = buildAccessRules(shippedAccessRules);
const registry = buildRegistry(shippedModels);

function model(name: string): ModelDef {
  const found = registry.get(name);
  if (!found) throw new Error(`no model ${name} in the registry`);
  return found;
}

function context(groups: readonly string[], scopes: readonly string[] = [], accessRules: AccessRules = rules): AccessContext {
  return { rules: accessRules, groups: new Set(groups), scopes };
}

/** The message of the AccessDeniedError (403) `fn` throws. */
function denial(fn: () => unknown): string {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(AccessDeniedError);
  expect((error as AccessDeniedError).status).toBe(403);
  return (error as AccessDeniedError).message;
}

const USER = 'base.group_user';
const PARTNER_MANAGER = 'base.group_partner_manager';
const SYSTEM = 'base.group_system';

describe('buildAccessRules', () => {
  it('reads the shipped models/access.json: its groups and one row per entry', () => {
    expect([...rules.groupNames.keys()].sort()).toStrictEqual([PARTNER_MANAGER, SYSTEM, USER]);
    expect(rules.rows).toHaveLength(shippedAccessRules.access.length);
    expect(rules.rows.find((row) => row.model === 'res.partner' && row.group === USER)?.rights).toStrictEqual(new Set(['read']));
    expect(rules.rows.find((row) => row.model === '*')).toMatchObject({ group: SYSTEM, rights: new Set(OPERATIONS) });
  });

  it('accepts a row without a group (every user) and a row granting nothing', () => {
    const built = buildAccessRules({
      groups: {},
      access: [
        { model: 'a.b', group: '', read: true, write: false, create: false, unlink: false },
        { model: 'c.d', group: '', read: false, write: false, create: false, unlink: false },
      ],
    });
    expect(built.rows.map((row) => [row.model, [...row.rights]])).toStrictEqual([
      ['a.b', ['read']],
      ['c.d', []],
    ]);
  });

  const row = { model: 'res.partner', group: 'g', read: true, write: true, create: true, unlink: true };
  it.each<[string, unknown]>([
    ['null', null],
    ['a list', []],
    ['a string', 'access'],
    ['no groups', { access: [] }],
    ['groups as a list', { groups: ['g'], access: [] }],
    ['no access list', { groups: { g: 'G' } }],
    ['access as an object', { groups: { g: 'G' }, access: { row } }],
    ['a group without a display name', { groups: { g: 5 }, access: [] }],
    ['a row that is not an object', { groups: { g: 'G' }, access: ['res.partner'] }],
    ['a row without model', { groups: { g: 'G' }, access: [{ ...row, model: undefined }] }],
    ['a row without group', { groups: { g: 'G' }, access: [{ ...row, group: undefined }] }],
    ['a row naming an unknown group', { groups: { g: 'G' }, access: [{ ...row, group: 'other' }] }],
    ['a row without unlink', { groups: { g: 'G' }, access: [{ ...row, unlink: undefined }] }],
    ['a right given as a string', { groups: { g: 'G' }, access: [{ ...row, write: 'true' }] }],
    ['a right given as a number', { groups: { g: 'G' }, access: [{ ...row, read: 1 }] }],
  ])('throws for %s', (_label, source) => {
    expect(() => buildAccessRules(source)).toThrow(/^access rules: /);
  });
});

describe('userMayAccess with the shipped rules', () => {
  /** [groups, model, the operations allowed]. */
  it.each<[string, string[], string, Operation[]]>([
    ['an internal user', [USER], 'res.partner', ['read']],
    ['an internal user', [USER], 'res.partner.category', ['read']],
    ['an internal user', [USER], 'res.users', ['read']],
    ['an internal user', [USER], 'res.country', ['read']],
    ['an internal user', [USER], 'res.country.state', ['read']],
    ['an internal user', [USER], 'x_custom.model', []],
    ['a contact manager only', [PARTNER_MANAGER], 'res.partner', ['read', 'write', 'create', 'unlink']],
    ['a contact manager only', [PARTNER_MANAGER], 'res.partner.category', ['read', 'write', 'create', 'unlink']],
    ['a contact manager only', [PARTNER_MANAGER], 'res.users', []],
    ['a contact manager only', [PARTNER_MANAGER], 'res.country', ['read']],
    ['an internal user and contact manager', [USER, PARTNER_MANAGER], 'res.users', ['read']],
    ['an administrator', [SYSTEM], 'res.partner', ['read', 'write', 'create', 'unlink']],
    ['an administrator', [SYSTEM], 'res.country', ['read', 'write', 'create', 'unlink']],
    ['an administrator', [SYSTEM], 'res.users', ['read', 'write', 'create', 'unlink']],
    ['an administrator', [SYSTEM], 'x_custom.model', ['read', 'write', 'create', 'unlink']],
    ['a user without groups', [], 'res.partner', []],
    ['a user without groups', [], 'res.country', ['read']],
    ['a user without groups', [], 'res.country.state', ['read']],
    ['a user in an unknown group', ['base.group_portal'], 'res.partner', []],
  ])('lets %s (%j) on %s do exactly %j', (_label, groups, modelName, allowed) => {
    for (const operation of OPERATIONS) {
      expect([operation, userMayAccess(rules, new Set(groups), modelName, operation)]).toStrictEqual([operation, allowed.includes(operation)]);
    }
  });
});

describe('parseScopes', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    ['read', ['read']],
    ['read write create unlink', ['read', 'write', 'create', 'unlink']],
    ['*', ['*']],
    ['res.partner:write', ['res.partner:write']],
    ['res.partner:*', ['res.partner:*']],
    ['res.partner.category:unlink', ['res.partner.category:unlink']],
    ['x_custom.model_2:read', ['x_custom.model_2:read']],
    ['_private:read', ['_private:read']],
    ['  read   write  ', ['read', 'write']],
    ['read write read', ['read', 'write']],
  ])('reads %j', (scope, expected) => {
    expect(parseScopes(scope)).toStrictEqual(expected);
  });

  it('accepts 50 scopes', () => {
    expect(parseScopes(Array.from({ length: 50 }, (_, i) => `m${i}:read`).join(' '))).toHaveLength(50);
  });

  it.each<[string, string]>([
    ['an upper-case operation', 'READ'],
    ['a comma-separated list', 'read,write'],
    ['a tab as separator', 'read\twrite'],
    ['an unknown operation', 'delete'],
    ['a model without an operation', 'res.partner'],
    ['a model and an empty operation', 'res.partner:'],
    ['an operation without a model', ':read'],
    ['an unknown operation on a model', 'res.partner:delete'],
    ['two operations on a model', 'res.partner:read:write'],
    ['an upper-case model', 'Res.Partner:read'],
    ['a model starting with a digit', '1res:read'],
    ['an empty model segment', 'res..partner:read'],
    ['a trailing dot', 'res.partner.:read'],
    ['a wildcard model', '*:read'],
    ['a double wildcard', '**'],
    ['one bad scope among good ones', 'read res.partner:write admin'],
    ['51 scopes', Array.from({ length: 51 }, (_, i) => `m${i}:read`).join(' ')],
  ])('returns undefined for %s', (_label, scope) => {
    expect(parseScopes(scope)).toBeUndefined();
  });
});

describe('scopesAllow', () => {
  it.each<[string, string[], string, Operation, boolean]>([
    ['no scopes (the user’s rights)', [], 'res.partner', 'unlink', true],
    ['*', ['*'], 'x_custom.model', 'unlink', true],
    ['read, for a read', ['read'], 'res.country', 'read', true],
    ['read, for a write', ['read'], 'res.partner', 'write', false],
    ['a model operation, on that model', ['res.partner:write'], 'res.partner', 'write', true],
    ['a model operation, another operation', ['res.partner:write'], 'res.partner', 'read', false],
    ['a model operation, another model', ['res.partner:write'], 'res.partner.category', 'write', false],
    ['every operation on a model', ['res.partner:*'], 'res.partner', 'unlink', true],
    ['every operation on a model, another model', ['res.partner:*'], 'res.users', 'read', false],
    ['one of several', ['res.users:read', 'create'], 'res.partner', 'create', true],
    ['none of several', ['res.users:read', 'create'], 'res.partner', 'unlink', false],
  ])('with %s: %s %s -> %s', (_label, scopes, modelName, operation, expected) => {
    expect(scopesAllow(scopes, modelName, operation)).toBe(expected);
  });
});

describe('checkAccess', () => {
  it('lets an allowed operation through', () => {
    expect(() => checkAccess(context([USER]), model('res.partner'), 'read')).not.toThrow();
    expect(() => checkAccess(context([PARTNER_MANAGER], ['res.partner:write']), model('res.partner'), 'write')).not.toThrow();
  });

  // Odoo 17, ir.model.access._make_access_error: the groups come from group_names_with_access(),
  // which names each "<category>/<group>" ('%s/%s', no spaces), ordered by category then group.
  it("refuses an internal user writing res.partner with Odoo 17's message", () => {
    expect(denial(() => checkAccess(context([USER]), model('res.partner'), 'write'))).toBe(
      "You are not allowed to modify 'Partner' (res.partner) records.\n\n" +
        'This operation is allowed for the following groups:\n' +
        '\t- Administration/Settings\n' +
        '\t- Extra Rights/Contact Creation\n\n' +
        'Contact your administrator to request access if necessary.',
    );
  });

  it.each<[Operation, string]>([
    ['read', 'access'],
    ['write', 'modify'],
    ['create', 'create'],
    ['unlink', 'delete'],
  ])('words a refused %s with the verb %j, the model description and name', (operation, verb) => {
    const message = denial(() => checkAccess(context([]), model('res.partner.category'), operation));
    expect(message.startsWith(`You are not allowed to ${verb} 'Partner Tags' (res.partner.category) records.\n\n`)).toBe(true);
    expect(message.endsWith('\n\nContact your administrator to request access if necessary.')).toBe(true);
  });

  it('lists every group that allows the operation, once each, sorted by display name', () => {
    const names = (ids: string[]) => ids.map((id) => `\t- ${rules.groupNames.get(id) as string}`);
    const message = denial(() => checkAccess(context([]), model('res.partner'), 'read'));
    const listed = message.split('\n').filter((line) => line.startsWith('\t- '));
    expect(listed).toStrictEqual(names([SYSTEM, PARTNER_MANAGER, USER]));
    expect([...listed].sort()).toStrictEqual(listed);
  });

  it('builds the whole message from the rules: "<category>/<group>" names, in order, between the fixed sentences', () => {
    const custom = buildAccessRules({
      groups: { b: 'Sales/User', a: 'Accounting/Manager', c: 'Zeta' },
      access: [
        { model: 'sale.order', group: 'b', read: true, write: true, create: false, unlink: false },
        { model: 'sale.order', group: 'c', read: true, write: true, create: false, unlink: false },
        { model: '*', group: 'a', read: true, write: true, create: true, unlink: true },
        { model: 'sale.order', group: 'a', read: true, write: true, create: false, unlink: false },
      ],
    });
    const saleOrder: ModelDef = { ...model('res.partner'), model: 'sale.order', description: 'Sales Order' };
    expect(denial(() => checkAccess(context([], [], custom), saleOrder, 'write'))).toBe(
      "You are not allowed to modify 'Sales Order' (sale.order) records.\n\n" +
        'This operation is allowed for the following groups:\n\t- Accounting/Manager\n\t- Sales/User\n\t- Zeta\n\n' +
        'Contact your administrator to request access if necessary.',
    );
  });

  it('says when no group allows the operation, as Odoo does', () => {
    const custom = buildAccessRules({ groups: {}, access: [{ model: 'res.country', group: '', read: true, write: false, create: false, unlink: false }] });
    expect(denial(() => checkAccess(context([], [], custom), model('res.country'), 'unlink'))).toBe(
      "You are not allowed to delete 'Country' (res.country) records.\n\n" +
        'No group currently allows this operation.\n\n' +
        'Contact your administrator to request access if necessary.',
    );
  });

  it('does not list a group that only grants the operation on another model', () => {
    const message = denial(() => checkAccess(context([]), model('res.users'), 'read'));
    expect(message).toContain(`\t- ${rules.groupNames.get(USER) as string}`);
    expect(message).not.toContain(rules.groupNames.get(PARTNER_MANAGER) as string);
  });

  it("refuses what the user may do but the token's scope does not include, naming the missing scope", () => {
    expect(denial(() => checkAccess(context([SYSTEM], ['read']), model('res.partner'), 'write'))).toBe(
      "You are not allowed to modify 'Partner' (res.partner) records.\n\nThe access token's scope does not include res.partner:write.",
    );
  });

  it('checks the groups before the scopes: a scope never adds a right', () => {
    const message = denial(() => checkAccess(context([USER], ['*']), model('res.partner'), 'unlink'));
    expect(message).toContain('This operation is allowed for the following groups:');
  });
});

describe('accessFromContext', () => {
  it('reads the comma-separated groups and the space-separated tokenScopes of the authorizer context', () => {
    const access = accessFromContext(rules, { groups: `${USER},${PARTNER_MANAGER}`, tokenScopes: 'res.partner:write read' });
    expect(access.groups).toStrictEqual(new Set([USER, PARTNER_MANAGER]));
    expect(access.scopes).toStrictEqual(['res.partner:write', 'read']);
    expect(mayDo(access, 'res.partner', 'write')).toBe(true);
    expect(mayDo(access, 'res.partner', 'create')).toBe(false);
    expect(mayDo(access, 'res.users', 'read')).toBe(true);
  });

  it('gives a context without groups and scopes the rights of every user only', () => {
    const access = accessFromContext(rules, {});
    expect(access.groups.size).toBe(0);
    expect(access.scopes).toStrictEqual([]);
    expect(mayDo(access, 'res.country', 'read')).toBe(true);
    expect(mayDo(access, 'res.partner', 'read')).toBe(false);
  });

  it.each(['read,write', 'ADMIN', '*:*', 'res.partner'])('denies everything, even to an administrator, when the scopes %j are malformed', (scopes) => {
    const access = accessFromContext(rules, { groups: SYSTEM, tokenScopes: scopes });
    for (const modelName of ['res.partner', 'res.country', 'x_custom.model']) {
      for (const operation of OPERATIONS) expect([modelName, operation, mayDo(access, modelName, operation)]).toStrictEqual([modelName, operation, false]);
    }
    expect(() => checkAccess(access, model('res.country'), 'read')).toThrow(AccessDeniedError);
  });

  it('reads the scopes from tokenScopes only (serverless-offline overwrites a context key named scopes)', () => {
    const access = accessFromContext(rules, { groups: SYSTEM, scopes: 'read' });
    expect(access.scopes).toStrictEqual([]);
    expect(mayDo(access, 'res.partner', 'unlink')).toBe(true);
  });

  it('ignores empty group names', () => {
    expect(accessFromContext(rules, { groups: `,${USER},,` }).groups).toStrictEqual(new Set([USER]));
  });
});
