/** The local stage's demo data, users and clients. */
import { createClient } from '../auth/admin';
import { randomToken, type AuthStore } from '../auth/credentials';
import { requireEnv } from './config';
import { InvalidFieldError } from '../errors';
import type { ModelRegistry } from '../models/registry';
import { PyFloat, type PyDict, type PyValue } from '../wire/pyvalue';
import type { StoredRecord, StoredValue } from '../records/port';
import { withInverseLists } from '../records/inverses';
import { withCompleteNames } from '../records/complete-names';
import { applyX2ManyCommands, parseFieldValue } from '../records/values';
import type { KeyRing } from '../auth/keys';
import { createUser, getUser, setPassword } from '../auth/users';
import { getModel } from '../models/registry';

export function demoCredentials(env: NodeJS.ProcessEnv): PyDict {
  return new Map([
    ['client_id', requireEnv(env, 'DEMO_CLIENT_ID')],
    ['client_secret', requireEnv(env, 'DEMO_CLIENT_SECRET')],
    ['host', env.DEMO_HOST || 'http://localhost:3000'],
    ['database', env.RECORDS_TABLE || 'local'],
  ]);
}

/**
 * Stored records from plain data (the demo file, bench fixtures): each value checked against its
 * field as a write would check it, defaults filled in for fields left out, version 1.
 * Magic fields (create_date, write_uid...) are taken as given, since the data sets them.
 */
export function recordsFromData(
  registry: ModelRegistry,
  data: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>,
): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const [modelName, rows] of Object.entries(data)) {
    const model = getModel(registry, modelName);
    for (const row of rows) {
      const { id, ...rest } = row;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0)
        throw new Error(`${modelName}: a record without a positive integer id`);
      const values: Record<string, StoredValue> = Object.create(null);
      for (const field of model.fields) if (field.default !== undefined) values[field.name] = field.default;
      for (const [name, raw] of Object.entries(rest)) {
        const field = model.fieldsByName.get(name);
        if (!field) throw new InvalidFieldError(name, model.model);
        const change = parseFieldValue(model, field, fromJson(raw));
        values[name] = change.kind === 'set' ? change.value : applyX2ManyCommands([], change.commands);
      }
      records.push({ model: model.model, id, version: 1, values });
    }
  }
  // The one2many lists as their inverse many2ones say, whatever the rows listed (inverses.ts).
  return withCompleteNames(registry, withInverseLists(registry, records));
}

/** Plain JSON as the wire values a client would send (numbers with a fraction are floats). */
function fromJson(value: unknown): PyValue {
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === 'number') return Number.isInteger(value) ? value : new PyFloat(value);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([k, v]) => [k, fromJson(v)] as const));
  return value as PyValue;
}

export interface DemoClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface DemoAuth {
  readonly oauth2: DemoClient;
  readonly oauth1: DemoClient;
  readonly basic: DemoClient;
  /** The password of the demo users (admin, demo) on the consent page. */
  readonly password: string;
}

/** Where the demo OAuth 2 client's authorization codes go: nothing listens, the code is read from the address bar. */
export const DEMO_REDIRECT_URI = 'http://localhost:8080/callback';

/**
 * The demo users: the seed's user 1 with every right, and user 2 (Marc Demo), an internal user who
 * may only read partners.
 */
const DEMO_USERS = [
  {
    userId: 1,
    login: 'admin',
    name: 'Administrator',
    groups: ['base.group_user', 'base.group_partner_manager', 'base.group_system'],
  },
  { userId: 2, login: 'demo', name: 'Marc Demo', groups: ['base.group_user'] },
];

/**
 * The local stage's users (created if missing, their password set to `password`, random when not
 * given) and a fresh demo client of each type for user 1. Never run against a deployed stage.
 */
export async function seedDemoAuth(store: AuthStore, keys: KeyRing, password = randomToken(12)): Promise<DemoAuth> {
  for (const user of DEMO_USERS) {
    const existing = await getUser(store, user.userId);
    if (existing) await setPassword(store, existing, password);
    else await createUser(store, { ...user, password });
  }
  const [oauth2, oauth1, basic] = await Promise.all([
    createClient(store, undefined, {
      userId: 1,
      name: 'Demo client (local stage)',
      accessType: 'oauth2',
      redirectUris: [DEMO_REDIRECT_URI],
    }),
    createClient(store, keys, {
      userId: 1,
      name: 'Demo OAuth 1.0a consumer (local stage)',
      accessType: 'oauth1',
      redirectUris: [DEMO_REDIRECT_URI],
    }),
    createClient(store, undefined, { userId: 1, name: 'Demo Basic client (local stage)', accessType: 'basic' }),
  ]);
  return { oauth2, oauth1, basic, password };
}
