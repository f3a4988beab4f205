/**
 * Per-model access rights, as Odoo's ir.model.access: read / write / create / unlink per model,
 * granted to groups (models/access.json, validated at cold start), then narrowed by the OAuth
 * token's scopes. The authorizer passes the user's groups and the token's scopes; the object
 * handler checks every operation before touching the store.
 */
import { AccessDeniedError } from '../errors';
import type { ModelDef } from './registry';

export type Operation = 'read' | 'write' | 'create' | 'unlink';
export const OPERATIONS: readonly Operation[] = ['read', 'write', 'create', 'unlink'];

interface AccessRow {
  readonly model: string;
  /** Empty: every user. */
  readonly group: string;
  readonly rights: ReadonlySet<Operation>;
}

export interface AccessRules {
  /** Group id -> its display name as Odoo prints it ("Administration/Settings"), for Odoo's error message. */
  readonly groupNames: ReadonlyMap<string, string>;
  readonly rows: readonly AccessRow[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks models/access.json's shape; a mistake fails the cold start, not a request. */
export function buildAccessRules(source: unknown): AccessRules {
  if (!isRecord(source) || !isRecord(source.groups) || !Array.isArray(source.access))
    throw new Error('access rules: expected {groups: {...}, access: [...]}');
  const groupNames = new Map<string, string>();
  for (const [id, name] of Object.entries(source.groups)) {
    if (typeof name !== 'string') throw new Error(`access rules: group ${id} needs a display name`);
    groupNames.set(id, name);
  }
  const rows = source.access.map((row: unknown, index): AccessRow => {
    if (!isRecord(row) || typeof row.model !== 'string' || typeof row.group !== 'string')
      throw new Error(`access rules: row ${index} needs model and group`);
    if (row.group !== '' && !groupNames.has(row.group))
      throw new Error(`access rules: row ${index} names an unknown group ${row.group}`);
    const rights = new Set<Operation>();
    for (const operation of OPERATIONS) {
      if (typeof row[operation] !== 'boolean')
        throw new Error(`access rules: row ${index} needs ${operation}: true|false`);
      if (row[operation]) rights.add(operation);
    }
    return { model: row.model, group: row.group, rights };
  });
  return { groupNames, rows };
}

/** The groups that grant `operation` on `model` (for the error message), by display name. */
function groupsAllowing(rules: AccessRules, model: string, operation: Operation): string[] {
  const names = new Set<string>();
  for (const row of rules.rows) {
    if ((row.model === model || row.model === '*') && row.rights.has(operation) && row.group !== '')
      names.add(rules.groupNames.get(row.group) ?? row.group);
  }
  return [...names].sort();
}

export function userMayAccess(
  rules: AccessRules,
  groups: ReadonlySet<string>,
  model: string,
  operation: Operation,
): boolean {
  return rules.rows.some(
    (row) =>
      (row.model === model || row.model === '*') &&
      row.rights.has(operation) &&
      (row.group === '' || groups.has(row.group)),
  );
}

/**
 * OAuth scopes: space-separated; each is an operation on every model (`read`), on one model
 * (`res.partner:write`), every operation on one model (`res.partner:*`), or everything (`*`).
 */
const SCOPE = /^(?:\*|read|write|create|unlink|[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*:(?:\*|read|write|create|unlink))$/;
const MAX_SCOPES = 50;

/** The scopes of a scope string, or undefined when one is malformed (RFC 6749 invalid_scope). */
export function parseScopes(scope: string): string[] | undefined {
  const scopes = scope.split(' ').filter((part) => part !== '');
  if (scopes.length > MAX_SCOPES || !scopes.every((part) => SCOPE.test(part))) return undefined;
  return [...new Set(scopes)];
}

export function scopesAllow(scopes: readonly string[], model: string, operation: Operation): boolean {
  if (scopes.length === 0) return true;
  return scopes.some(
    (scope) => scope === '*' || scope === operation || scope === `${model}:*` || scope === `${model}:${operation}`,
  );
}

/** Odoo 17's wording (ir.model.access's _make_access_error): the verb each operation uses. */
const VERBS: Readonly<Record<Operation, string>> = {
  read: 'access',
  write: 'modify',
  create: 'create',
  unlink: 'delete',
};

/** The caller's rights as the handler sees them. */
export interface AccessContext {
  readonly rules: AccessRules;
  readonly groups: ReadonlySet<string>;
  readonly scopes: readonly string[];
}

export function mayDo(access: AccessContext, model: string, operation: Operation): boolean {
  return userMayAccess(access.rules, access.groups, model, operation) && scopesAllow(access.scopes, model, operation);
}

/** Throws Odoo's AccessError (403) when the user's groups or the token's scopes do not allow it. */
export function checkAccess(access: AccessContext, model: ModelDef, operation: Operation): void {
  const what = `You are not allowed to ${VERBS[operation]} '${model.description}' (${model.model}) records.`;
  if (!userMayAccess(access.rules, access.groups, model.model, operation)) {
    const groups = groupsAllowing(access.rules, model.model, operation);
    const groupInfo = groups.length
      ? `This operation is allowed for the following groups:\n${groups.map((name) => `\t- ${name}`).join('\n')}`
      : 'No group currently allows this operation.';
    throw new AccessDeniedError(
      `${what}\n\n${groupInfo}\n\nContact your administrator to request access if necessary.`,
    );
  }
  if (!scopesAllow(access.scopes, model.model, operation)) {
    throw new AccessDeniedError(`${what}\n\nThe access token's scope does not include ${model.model}:${operation}.`);
  }
}

/** The groups and scopes the authorizer put in the request context. */
export function accessFromContext(rules: AccessRules, context: Readonly<Record<string, string>>): AccessContext {
  const groups = new Set((context.groups ?? '').split(',').filter((group) => group !== ''));
  // Malformed scopes allow nothing (fail closed).
  return { rules, groups, scopes: parseScopes(context.tokenScopes ?? '') ?? ['-'] };
}
