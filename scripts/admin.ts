/**
 * Client and user administration for a stage (lib/auth/admin.ts, lib/auth/users.ts):
 *
 *   npm run admin -- create-user   --stage prod --user-id 7 --login jane --name "Jane" --groups base.group_user [--password-stdin]
 *   npm run admin -- set-password  --stage prod --user-id 7 --password-stdin
 *   npm run admin -- set-groups    --stage prod --user-id 7 --groups base.group_user,base.group_partner_manager
 *   npm run admin -- create-client --stage prod --user-id 7 --name "Shop sync" --type oauth2 [--redirect-uri https://...]...
 *   npm run admin -- list-clients  --stage prod
 *   npm run admin -- list-users    --stage prod
 *   npm run admin -- rotate-secret --stage prod --client-id ID
 *   npm run admin -- revoke-client --stage prod --client-id ID
 *
 * Uses the AWS credentials of the environment (DYNAMODB_ENDPOINT for a local DynamoDB). OAuth 1.0a
 * secrets are sealed with the stage's key ring: KMS (alias/odoo-rest-lambda-STAGE-secrets) in AWS,
 * SECRETS_KEY_FILE locally. Secrets are printed once and never stored in clear.
 */
import { parseArgs } from 'node:util';
import { ACCESS_TYPES, type AccessType, type AuthStore } from '../lib/auth/credentials';
import { createClient, listClients, revokeClient, rotateClientSecret } from '../lib/auth/admin';
import { lazyKeyRing } from '../lib/auth/keys';
import { DynamoAuthStore } from '../lib/store/dynamodb/auth-table';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { kmsDataKeyService } from '../lib/store/kms';
import { createUser, getUser, setPassword, updateUser } from '../lib/auth/users';
import { recordsFromData } from '../lib/runtime/demo';
import { buildRegistry } from '../lib/models/registry';
import { formatOdooDatetime } from '../lib/records';
import { DynamoRecordStore } from '../lib/store/dynamodb/records-table';
import { shippedModels } from '../models';

const USAGE = `usage: npm run admin -- COMMAND --stage STAGE [--region REGION] [options]
commands: create-user, set-password, set-groups, create-client, list-clients, list-users, rotate-secret, revoke-client
(see the comment at the top of scripts/admin.ts, or the README)`;

const OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  'user-id': { type: 'string' },
  login: { type: 'string' },
  name: { type: 'string' },
  groups: { type: 'string' },
  type: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'client-id': { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

export type Output = (line: string) => void;

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new Error(`--${name} is required\n${USAGE}`);
  return value;
}

function userIdOf(text: string | undefined): number {
  const userId = Number(required(text, 'user-id'));
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new Error('--user-id must be a positive integer');
  return userId;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

export interface AdminEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  readonly out: Output;
}

/** Runs one admin command; exported for the tests, which run it against DynamoDB Local. */
export async function runAdmin(argv: readonly string[], { env, stdin, out }: AdminEnvironment): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true });
  const stage = required(values.stage, 'stage');
  const region = values.region ?? env.AWS_REGION ?? 'eu-west-1';
  const documents = createDocumentClient({ endpoint: env.DYNAMODB_ENDPOINT || undefined, region });
  const store: AuthStore = new DynamoAuthStore(documents, env.AUTH_TABLE || `odoo-rest-lambda-${stage}-auth`);
  const keys = lazyKeyRing({
    keyFile: env.SECRETS_KEY_FILE || undefined,
    kms: () => kmsDataKeyService(env.SECRETS_KMS_KEY_ID || `alias/odoo-rest-lambda-${stage}-secrets`, { region }),
    store,
  });
  const password = async () => (values['password-stdin'] ? readStdin(stdin) : undefined);
  const groups = () => (values.groups ?? '').split(',').map((group) => group.trim()).filter((group) => group !== '');
  try {
    switch (command) {
      case 'create-user': {
        const user = await createUser(store, {
          userId: userIdOf(values['user-id']),
          login: required(values.login, 'login'),
          name: values.name ?? values.login ?? '',
          groups: groups(),
          ...(values['password-stdin'] ? { password: await password() } : {}),
        });
        // Its public face: the res.users record that write_uid and create_uid point at.
        const records = new DynamoRecordStore(documents, env.RECORDS_TABLE || `odoo-rest-lambda-${stage}-records`);
        const existing = await records.getMany([{ model: 'res.users', id: user.userId }], { consistent: true });
        if (existing.size === 0) {
          const now = formatOdooDatetime(new Date());
          const row = { id: user.userId, name: user.name, login: user.login, create_date: now, write_date: now, create_uid: user.userId, write_uid: user.userId };
          await records.putMany(recordsFromData(buildRegistry(shippedModels), { 'res.users': [row] }));
        }
        out(`user ${user.userId} (${user.login}) created with groups ${user.groups.join(', ') || '(none)'}`);
        return;
      }
      case 'set-password':
      case 'set-groups': {
        const user = await getUser(store, userIdOf(values['user-id']));
        if (!user) throw new Error(`No user ${values['user-id']}`);
        if (command === 'set-password') await setPassword(store, user, required(await password(), 'password-stdin'));
        else await updateUser(store, { ...user, groups: groups() });
        out(`user ${user.userId} updated`);
        return;
      }
      case 'create-client': {
        const accessType = ACCESS_TYPES.find((type) => type === values.type);
        if (!accessType) throw new Error(`--type must be one of ${ACCESS_TYPES.join(', ')}`);
        const issued = await createClient(store, accessType === 'oauth1' ? await keys() : undefined, {
          userId: userIdOf(values['user-id']),
          name: required(values.name, 'name'),
          accessType: accessType satisfies AccessType,
          redirectUris: values['redirect-uri'] ?? [],
        });
        out(`client_id     ${issued.clientId}\nclient_secret ${issued.clientSecret}\n(the secret is shown once; keep it now)`);
        return;
      }
      case 'rotate-secret': {
        const clientId = required(values['client-id'], 'client-id');
        const current = (await listClients(store)).find((client) => client.clientId === clientId);
        const issued = await rotateClientSecret(store, current?.accessType === 'oauth1' ? await keys() : undefined, clientId);
        out(`client_id     ${issued.clientId}\nclient_secret ${issued.clientSecret}\n(the old secret no longer works)`);
        return;
      }
      case 'revoke-client':
        await revokeClient(store, required(values['client-id'], 'client-id'));
        out(`client ${values['client-id']} revoked; its tokens no longer work`);
        return;
      case 'list-clients':
        for (const client of await listClients(store)) {
          out(`${client.clientId}  ${client.accessType.padEnd(6)}  user ${client.userId}  ${client.name}${client.redirectUris.length ? `  -> ${client.redirectUris.join(' ')}` : ''}`);
        }
        return;
      case 'list-users':
        for (const { item } of await store.list('USER')) {
          out(`${String(item.userId)}  ${String(item.login)}  ${item.active === false ? 'archived' : 'active'}  ${Array.isArray(item.groups) ? item.groups.join(',') : ''}`);
        }
        return;
      default:
        throw new Error(USAGE);
    }
  } finally {
    documents.destroy();
  }
}

if (require.main === module) {
  runAdmin(process.argv.slice(2), { env: process.env, stdin: process.stdin, out: (line) => process.stdout.write(`${line}\n`) }).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
