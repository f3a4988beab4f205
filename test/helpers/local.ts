/** Shared helpers for the tests that run against the local stack started by test/setup. */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { recordsFromData } from '../../lib/runtime/demo';
import { keyRingFrom } from '../../lib/auth/keys';
import { loadLocalKey } from '../../lib/auth/secret-box';
import { LOCAL_TABLES } from '../../scripts/local-stack';
import { buildRegistry } from '../../lib/models/registry';
import { shippedModels } from '../../models';
import demoData from '../../scripts/demo-data.json';
import { DynamoAuthStore } from '../../lib/store/dynamodb/auth-table';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { DynamoMeterStore } from '../../lib/store/dynamodb/usage-table';
import { DynamoRecordStore } from '../../lib/store/dynamodb/records-table';
import { ensureTables } from '../../lib/store/dynamodb/tables';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through jest (test/setup starts the local stack)`);
  return value;
}

export const apiUrl = () => required('TEST_API_URL');
export const demoClient = () => ({ clientId: required('TEST_DEMO_CLIENT_ID'), clientSecret: required('TEST_DEMO_CLIENT_SECRET') });
export const demoOAuth1Client = () => ({ clientId: required('TEST_DEMO_OAUTH1_ID'), clientSecret: required('TEST_DEMO_OAUTH1_SECRET') });
export const demoBasicClient = () => ({ clientId: required('TEST_DEMO_BASIC_ID'), clientSecret: required('TEST_DEMO_BASIC_SECRET') });
export const demoPassword = () => required('TEST_DEMO_PASSWORD');
/** The key ring the served functions use (the run's local key file). */
export const testKeyRing = () => keyRingFrom(loadLocalKey(required('TEST_SECRETS_KEY_FILE')));
/** The served API's own auth table, where the demo users and clients are; close() when done. */
export function servedAuthStore() {
  const client = createDocumentClient({ endpoint: required('TEST_DYNAMODB_ENDPOINT'), region: 'eu-west-1' });
  return { store: new DynamoAuthStore(client, LOCAL_TABLES.auth), close: () => client.destroy() };
}

/**
 * Fresh tables of this test file's own in the run's DynamoDB Local, so files never see each
 * other's data; with `demo`, loaded with the demo records.
 */
export async function freshStores(options: { demo?: boolean } = {}) {
  const endpoint = required('TEST_DYNAMODB_ENDPOINT');
  const suffix = randomUUID().slice(0, 8);
  const tables = { records: `test-records-${suffix}`, auth: `test-auth-${suffix}`, usage: `test-usage-${suffix}` };
  await ensureTables({ endpoint, region: 'eu-west-1' }, tables);
  const client = createDocumentClient({ endpoint, region: 'eu-west-1' });
  const records = new DynamoRecordStore(client, tables.records, tables.usage);
  // New tables: every record written from now on carries its index entries.
  await records.markIndexesReady();
  if (options.demo) await records.putMany(recordsFromData(buildRegistry(shippedModels), demoData.records));
  return {
    client,
    tables,
    records,
    auth: new DynamoAuthStore(client, tables.auth),
    /** The usage table: limit counters and the usage ledger (lib/metering). */
    meter: new DynamoMeterStore(client, tables.usage),
    /** A record's item exactly as stored (read consistently), undefined when there is none. */
    async rawItem(model: string, id: number): Promise<Record<string, any> | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
      const { Item } = await client.send(new GetCommand({ TableName: tables.records, Key: { pk: `${model}#${id}` }, ConsistentRead: true }));
      return Item;
    },
  };
}

/**
 * One call of the served object API (`path` after `/restapi/1.0/object/`), with a bearer token (the
 * demo client's unless `token`): its status and body text.
 */
export async function objectCall(
  method: string,
  path: string,
  query: Record<string, string> = {},
  options: { token?: string; accept?: string } = {},
): Promise<{ status: number; body: string }> {
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  const headers: Record<string, string> = { Authorization: `Bearer ${options.token ?? (await demoToken())}` };
  if (options.accept) headers.Accept = options.accept;
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}${search}`, { method, headers });
  return { status: response.status, body: await response.text() };
}

/** A bearer token for the demo client, from the served token endpoint. */
export async function demoToken(): Promise<string> {
  const { clientId, clientSecret } = demoClient();
  const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret }),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * A record's item exactly as the served API stored it (read consistently from the local stack's
 * tables), to check what a request wrote, or that it wrote nothing.
 */
export async function servedItem(model: string, id: number): Promise<Record<string, any> | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const client = createDocumentClient({ endpoint: required('TEST_DYNAMODB_ENDPOINT'), region: 'eu-west-1' });
  try {
    const { Item } = await client.send(new GetCommand({ TableName: LOCAL_TABLES.records, Key: { pk: `${model}#${id}` }, ConsistentRead: true }));
    return Item;
  } finally {
    client.destroy();
  }
}

/**
 * The real records store of `stores`, with `beforeCommit` run ahead of each transaction (its
 * attempt number given): another writer getting in between a request's read and its commit.
 */
export class InterferingStore extends DynamoRecordStore {
  attempts = 0;

  constructor(
    stores: { readonly client: ConstructorParameters<typeof DynamoRecordStore>[0]; readonly tables: { readonly records: string } },
    private readonly beforeCommit: (attempt: number) => Promise<void>,
  ) {
    super(stores.client, stores.tables.records);
  }

  override async transact(actions: Parameters<DynamoRecordStore['transact']>[0]): Promise<void> {
    this.attempts++;
    await this.beforeCommit(this.attempts);
    return super.transact(actions);
  }
}
