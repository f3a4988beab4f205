/**
 * Client and user administration (lib/auth/admin.ts, lib/auth/users.ts), for the local stack by
 * default or for a deployed stage with --stage:
 *
 *   npm run admin -- create-user   --user-id 7 --login jane --name "Jane" --groups base.group_user [--password-stdin]
 *   npm run admin -- set-password  --user-id 7 --password-stdin
 *   npm run admin -- set-groups    --user-id 7 --groups base.group_user,base.group_partner_manager
 *   npm run admin -- create-client --user-id 7 --name "Shop sync" --type oauth2 [--redirect-uri https://...]... [--refresh persistent]
 *   npm run admin -- set-refresh   --client-id ID --refresh persistent|rotated
 *   npm run admin -- set-plan      --client ID [--rate N --burst N] [--quota-day N] [--quota-month N]
 *                                  [--per-record] [--weight METHOD=N]... | --unlimited
 *   npm run admin -- usage         --client ID [--from DATE] [--to DATE] [--granularity hour|day]
 *   npm run admin -- export-usage  --format csv|json|stripe|marketplace [--client ID]... [--from DATE] [--to DATE]
 *                                  [--out FILE] [--settle SECONDS]
 *                                  stripe: --event-name NAME --customers FILE.json ({"client id": "cus_..."})
 *                                  marketplace: --product-code CODE --dimension NAME --accounts FILE.json
 *   npm run admin -- list-clients
 *   npm run admin -- list-users
 *   npm run admin -- rotate-secret --client-id ID
 *   npm run admin -- revoke-client --client-id ID
 *
 * Where (one line on stderr says which, before anything is done):
 * - no --stage (or --stage local): the local stack. DYNAMODB_ENDPOINT and SECRETS_KEY_FILE, when
 *   set, say where its DynamoDB and data key file are; otherwise the stack `npm start` is running,
 *   which records where it is (scripts/local-stack.ts, findStackRecords; --port picks one of several).
 * - --stage STAGE [--region REGION]: a deployed stage, with the AWS credentials of the environment;
 *   its tables odoo-rest-lambda-STAGE-records and -auth in REGION (eu-west-1, as npm run deploy,
 *   unless told), OAuth 1.0a secrets sealed with its KMS key (alias/odoo-rest-lambda-STAGE-secrets).
 *   AUTH_TABLE, RECORDS_TABLE, DYNAMODB_ENDPOINT and SECRETS_KEY_FILE still apply when set (the tests).
 *
 * --password-stdin: at a terminal, a prompt that does not echo; from a pipe, the first line.
 * Secrets are printed once and never stored in clear.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { read } from 'read';
import { ACCESS_TYPES, type AccessType, type AuthStore } from '../lib/auth/credentials';
import { createClient, getClient, listClients, revokeClient, rotateClientSecret, setClientPlan, setPersistentRefreshTokens } from '../lib/auth/admin';
import { describePlan, type Plan } from '../lib/metering/plan';
import { granularityOf, usagePeriod, usageReport } from '../lib/metering/report';
import { DynamoMeterStore } from '../lib/store/dynamodb/usage-table';
import { exportUsage } from './usage-export';
import { applyGatewayPlan, removeGatewayPlan, type GatewayPort } from '../lib/metering/gateway';
import { apiGatewayPort } from '../lib/store/api-gateway';
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
import { findStackRecords, LOCAL_REGION, LOCAL_TABLES, type StackRecord } from './local-stack';

const USAGE = `usage: npm run admin -- COMMAND [--stage STAGE [--region REGION]] [options]
commands: create-user, set-password, set-groups, create-client, set-refresh, set-plan, usage, export-usage, list-clients, list-users, rotate-secret, revoke-client
Without --stage it works on the local stack (npm start); with --stage on that deployed stage.
(see the comment at the top of scripts/admin.ts, or the README)`;

const OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  port: { type: 'string' },
  'user-id': { type: 'string' },
  login: { type: 'string' },
  name: { type: 'string' },
  groups: { type: 'string' },
  type: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'client-id': { type: 'string' },
  // set-plan, usage and export-usage name the client --client (the issue's spelling); --client-id works too.
  client: { type: 'string', multiple: true },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'quota-day': { type: 'string' },
  'quota-month': { type: 'string' },
  'per-record': { type: 'boolean' },
  weight: { type: 'string', multiple: true },
  unlimited: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  granularity: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  settle: { type: 'string' },
  'event-name': { type: 'string' },
  customers: { type: 'string' },
  'product-code': { type: 'string' },
  dimension: { type: 'string' },
  accounts: { type: 'string' },
  'rest-api-id': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  refresh: { type: 'string' },
} as const;

/** OAuth 2 refresh tokens: rotated on use (the default; a reused one revokes its grant) or kept, as the original. */
const REFRESH_MODES = ['rotated', 'persistent'] as const;

function persistentRefreshOf(mode: string | undefined): boolean {
  if (mode === undefined) return false;
  if (!(REFRESH_MODES as readonly string[]).includes(mode)) throw new AdminError(`--refresh must be one of ${REFRESH_MODES.join(', ')}`);
  return mode === 'persistent';
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>['values'];

/** The one client a command is about: --client (or --client-id). */
function clientOf(values: Values): string {
  const named = [...(values.client ?? []), ...(values['client-id'] ? [values['client-id']] : [])];
  if (named.length !== 1) throw new AdminError(`--client ID is required, once\n${USAGE}`);
  return named[0] as string;
}

function positiveNumber(text: string | undefined, name: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value)))
    throw new AdminError(`--${name} must be a positive ${integer ? 'whole ' : ''}number, not ${JSON.stringify(text)}`);
  return value;
}

/**
 * The plan set-plan's options describe. A rate without a burst bursts to one second's worth; a
 * burst without a rate is refused (it says nothing about the pace).
 */
export function planOf(values: Values): Plan {
  const perSecond = positiveNumber(values.rate, 'rate', false);
  const burst = positiveNumber(values.burst, 'burst', true);
  if (burst !== undefined && perSecond === undefined) throw new AdminError('--burst needs --rate (units per second)');
  const quotaDay = positiveNumber(values['quota-day'], 'quota-day', true);
  const quotaMonth = positiveNumber(values['quota-month'], 'quota-month', true);
  const weights: Record<string, number> = {};
  for (const text of values.weight ?? []) {
    const match = /^([a-z_]+)=(\d+)$/.exec(text);
    if (!match) throw new AdminError(`--weight must be METHOD=UNITS, e.g. --weight write=2, not ${JSON.stringify(text)}`);
    weights[match[1] as string] = positiveNumber(match[2], 'weight', true) as number;
  }
  const plan: Plan = {
    ...(perSecond !== undefined ? { rate: { perSecond, burst: burst ?? Math.max(1, Math.ceil(perSecond)) } } : {}),
    ...(quotaDay !== undefined ? { quotaDay } : {}),
    ...(quotaMonth !== undefined ? { quotaMonth } : {}),
    ...(values['per-record'] ? { perRecord: true } : {}),
    ...(Object.keys(weights).length > 0 ? { weights } : {}),
  };
  if (Object.keys(plan).length === 0)
    throw new AdminError('set-plan needs a limit (--rate, --quota-day, --quota-month), a price (--per-record, --weight) or --unlimited');
  return plan;
}

/** The deployed stages' default region: serverless.yml's, which npm run deploy uses unless told. */
const DEPLOY_REGION = 'eu-west-1';

export type Output = (line: string) => void;

/** A failure the operator can act on: its message says what is missing and what to do. */
class AdminError extends Error {}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new AdminError(`--${name} is required\n${USAGE}`);
  return value;
}

function userIdOf(text: string | undefined): number {
  const userId = Number(required(text, 'user-id'));
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new AdminError('--user-id must be a positive integer');
  return userId;
}

/** What the CLI works on. */
export interface Target {
  readonly stage: string;
  readonly local: boolean;
  readonly region: string;
  /** The DynamoDB to use; undefined: AWS's, in `region`. */
  readonly endpoint: string | undefined;
  /** Where the endpoint came from, for the messages. */
  readonly endpointSource: string;
  readonly tables: { readonly records: string; readonly auth: string; readonly usage: string };
  /** The local data key file, if there is one. */
  readonly keyFile: string | undefined;
  readonly keyFileSource: string;
  /** A deployed stage's KMS key. */
  readonly kmsKeyId: string | undefined;
}

const NO_LOCAL_STACK = `No local stack is running: start one with \`npm start\` (in another terminal) and run this again,
or set DYNAMODB_ENDPOINT (and SECRETS_KEY_FILE) for another local DynamoDB,
or pass --stage STAGE [--region REGION] for a deployed stage.`;

function pickStack(stacks: readonly StackRecord[], port: string | undefined): StackRecord {
  const list = stacks.map((stack) => `${stack.port} (${stack.apiUrl})`).join(', ');
  if (port !== undefined) {
    const stack = stacks.find((candidate) => String(candidate.port) === port);
    if (!stack) throw new AdminError(stacks.length ? `No npm start on port ${port}; running: ${list}` : NO_LOCAL_STACK);
    return stack;
  }
  const [only, ...others] = stacks;
  if (!only) throw new AdminError(NO_LOCAL_STACK);
  if (others.length > 0) throw new AdminError(`Several local stacks are running (ports ${list}): pass --port PORT`);
  return only;
}

/** Which stage, tables, DynamoDB and key the command works on (see the comment at the top). */
export function resolveTarget(
  values: { stage?: string | undefined; region?: string | undefined; port?: string | undefined },
  env: NodeJS.ProcessEnv,
  runningStacks: () => readonly StackRecord[] = findStackRecords,
): Target {
  const stage = values.stage || 'local';
  const tables = (fallback: { records: string; auth: string; usage: string }) => ({
    records: env.RECORDS_TABLE || fallback.records,
    auth: env.AUTH_TABLE || fallback.auth,
    usage: env.USAGE_TABLE || fallback.usage,
  });
  const keyFromEnv = env.SECRETS_KEY_FILE || undefined;
  if (stage !== 'local') {
    if (values.port !== undefined) throw new AdminError('--port picks a local stack (npm start); it makes no sense with --stage');
    return {
      stage,
      local: false,
      region: values.region || DEPLOY_REGION,
      endpoint: env.DYNAMODB_ENDPOINT || undefined,
      endpointSource: env.DYNAMODB_ENDPOINT ? 'DYNAMODB_ENDPOINT' : 'AWS',
      tables: tables({
        records: `odoo-rest-lambda-${stage}-records`,
        auth: `odoo-rest-lambda-${stage}-auth`,
        usage: `odoo-rest-lambda-${stage}-usage`,
      }),
      keyFile: keyFromEnv,
      keyFileSource: 'SECRETS_KEY_FILE',
      kmsKeyId: keyFromEnv ? undefined : env.SECRETS_KMS_KEY_ID || `alias/odoo-rest-lambda-${stage}-secrets`,
    };
  }
  const local = { stage, local: true, region: values.region || LOCAL_REGION, tables: tables(LOCAL_TABLES), kmsKeyId: undefined };
  if (env.DYNAMODB_ENDPOINT) {
    // The key of the npm start that runs this DynamoDB, if it is one, unless SECRETS_KEY_FILE says.
    const stack = keyFromEnv ? undefined : runningStacks().find((candidate) => candidate.dynamodbEndpoint === env.DYNAMODB_ENDPOINT);
    return {
      ...local,
      endpoint: env.DYNAMODB_ENDPOINT,
      endpointSource: 'DYNAMODB_ENDPOINT',
      keyFile: keyFromEnv ?? stack?.keyFile,
      keyFileSource: keyFromEnv || !stack ? 'SECRETS_KEY_FILE' : `npm start on port ${stack.port}`,
    };
  }
  const stack = pickStack(runningStacks(), values.port);
  return {
    ...local,
    endpoint: stack.dynamodbEndpoint,
    endpointSource: `npm start on port ${stack.port}, pid ${stack.pid}`,
    keyFile: keyFromEnv ?? stack.keyFile,
    keyFileSource: keyFromEnv ? 'SECRETS_KEY_FILE' : `npm start on port ${stack.port}`,
  };
}

/** The one line that says what the command works on. */
export function describeTarget(target: Target): string {
  const where = target.local
    ? `the local stage (DynamoDB at ${target.endpoint}, from ${target.endpointSource})`
    : `stage ${target.stage} in region ${target.region}${target.endpoint ? ` (DynamoDB at ${target.endpoint}, from DYNAMODB_ENDPOINT)` : ''}`;
  return `admin: ${where}, tables ${target.tables.records} and ${target.tables.auth}`;
}

/** The key file a local target seals OAuth 1.0a secrets with, or what is missing. */
function checkKeyFile(target: Target): void {
  if (target.keyFile) {
    if (!existsSync(target.keyFile)) {
      throw new AdminError(`The data key file ${target.keyFile} (from ${target.keyFileSource}) does not exist: set SECRETS_KEY_FILE to the key file of the stack (npm start prints it; with DATA_DIR it is DATA_DIR/secrets.key)`);
    }
    return;
  }
  if (target.local) {
    throw new AdminError(`OAuth 1.0a secrets are sealed with the local stack's data key, and no key file is known: set SECRETS_KEY_FILE to it (npm start prints it; with DATA_DIR it is DATA_DIR/secrets.key), or run this while npm start runs, without DYNAMODB_ENDPOINT`);
  }
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = error; current instanceof Error && chain.length < 5; current = current.cause) chain.push(current);
  return chain;
}

const isMissingTable = (error: unknown) => causes(error).some((e) => e.name === 'ResourceNotFoundException');
const isMissingCredentials = (error: unknown) =>
  causes(error).some((e) => e.name === 'CredentialsProviderError' || /Could not load credentials/.test(e.message));
const isUnreachable = (error: unknown) =>
  causes(error).some((e) => ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String((e as { code?: unknown }).code)) || e.name === 'TimeoutError');

/** A failure of the SDK as what the operator is missing, or the failure itself. */
async function explain(error: unknown, target: Target, probe: (table: string) => Promise<void>): Promise<unknown> {
  if (error instanceof AdminError) return error;
  const place = target.local
    ? `the local stage, DynamoDB at ${target.endpoint} from ${target.endpointSource}`
    : `stage ${target.stage}, region ${target.region}${target.endpoint ? `, DynamoDB at ${target.endpoint} from DYNAMODB_ENDPOINT` : ''}`;
  if (isMissingCredentials(error)) {
    return new AdminError(`No AWS credentials for stage ${target.stage} in region ${target.region}: the admin CLI uses the environment's (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, aws sso login, ...). For the local stack (npm start), leave out --stage.`);
  }
  if (isUnreachable(error)) {
    return new AdminError(`Nothing answers at ${target.endpoint ?? `DynamoDB in ${target.region}`} (${place})${target.local ? ': is npm start still running?' : ''}`);
  }
  if (isMissingTable(error)) {
    for (const table of [target.tables.auth, target.tables.records]) {
      const exists = await probe(table).then(
        () => true,
        (failure: unknown) => !isMissingTable(failure),
      );
      if (!exists) {
        const hint = target.local
          ? 'npm start creates it; is this the DynamoDB npm start uses (it prints it as it starts)?'
          : `is stage ${target.stage} deployed there? npm run deploy creates it; pass --region if the stage is in another region`;
        return new AdminError(`Table ${table} does not exist (${place}): ${hint}`);
      }
    }
  }
  return error;
}

export interface AdminEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly out: Output;
  /** Where the target line and the password prompt go (stderr); nowhere when not given. */
  readonly err?: NodeJS.WritableStream & { isTTY?: boolean };
  /** The stacks npm start runs (tests replace it); by default those it recorded. */
  readonly runningStacks?: () => readonly StackRecord[];
  /** API Gateway of a deployed stage (tests give a fake); by default the SDK's, in the target's region. */
  readonly gatewayPort?: (region: string) => RestApiGateway;
}

type RestApiGateway = GatewayPort & { findRestApiId(name: string): Promise<string | undefined> };

/** A deployed stage's API Gateway and REST API (found by its name, or --rest-api-id). */
async function gatewayOf(
  target: Target,
  values: Values,
  portOf: (region: string) => RestApiGateway = (region) => apiGatewayPort({ region, appId: 'odoo-rest-lambda-admin' }),
) {
  const port = portOf(target.region);
  const apiName = `odoo-rest-lambda-${target.stage}`;
  const restApiId = values['rest-api-id'] || (await port.findRestApiId(apiName));
  if (!restApiId)
    throw new AdminError(`No REST API named ${apiName} in ${target.region}: is stage ${target.stage} deployed there? Pass --rest-api-id if it has another name.`);
  return { port, target: { service: 'odoo-rest-lambda', stage: target.stage, restApiId } };
}

/** The first line of a pipe or file, without waiting for its end (printf 'secret\n' | ...). */
async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]?.replace(/\r$/, '') ?? '';
}

/**
 * The password from stdin: at a terminal, asked twice without echo (nothing shows what was typed,
 * so a typo would go unnoticed); otherwise the first line.
 */
async function readPassword(stdin: AdminEnvironment['stdin'], err: AdminEnvironment['err']): Promise<string> {
  if (!stdin.isTTY) return firstLine(stdin);
  const ask = (prompt: string) => read({ prompt, silent: true, replace: '', input: stdin, output: err ?? process.stderr });
  const password = await ask('Password:');
  if ((await ask('Password again:')) !== password) throw new AdminError('The two passwords differ; nothing was changed');
  return password;
}

const COMMANDS = ['create-user', 'set-password', 'set-groups', 'create-client', 'set-refresh', 'set-plan', 'usage', 'export-usage', 'list-clients', 'list-users', 'rotate-secret', 'revoke-client'];

/** Runs one admin command; exported for the tests, which run it against DynamoDB Local. */
export async function runAdmin(argv: readonly string[], { env, stdin, out, err, runningStacks, gatewayPort }: AdminEnvironment): Promise<number | void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true });
  if (command === undefined || !COMMANDS.includes(command)) {
    throw new AdminError(USAGE);
  }
  const target = resolveTarget(values, env, runningStacks);
  err?.write(`${describeTarget(target)}\n`);
  const documents = createDocumentClient({ endpoint: target.endpoint, region: target.region });
  const store: AuthStore = new DynamoAuthStore(documents, target.tables.auth);
  const kmsKeyId = target.kmsKeyId;
  const keyRing = lazyKeyRing({
    keyFile: target.keyFile,
    kms: kmsKeyId ? () => kmsDataKeyService(kmsKeyId, { region: target.region }) : undefined,
    store,
  });
  const keys = () => {
    checkKeyFile(target);
    return keyRing();
  };
  const password = async () => (values['password-stdin'] ? readPassword(stdin, err) : undefined);
  const groups = () => (values.groups ?? '').split(',').map((group) => group.trim()).filter((group) => group !== '');
  // Whether a table exists, asked only to explain a failure: a read of a key that is never stored.
  const probe = async (table: string) => {
    if (table === target.tables.auth) await new DynamoAuthStore(documents, table).get({ kind: 'KEY', id: 'admin-probe' });
    else await new DynamoRecordStore(documents, table).getMany([{ model: 'res.users', id: 1 }], { consistent: false });
  };
  try {
    switch (command) {
      case 'create-user': {
        const userId = userIdOf(values['user-id']);
        const login = required(values.login, 'login');
        const secret = await password();
        const user = await createUser(store, {
          userId,
          login,
          name: values.name ?? login,
          groups: groups(),
          ...(secret !== undefined ? { password: secret } : {}),
        });
        // Its public face: the res.users record that write_uid and create_uid point at.
        const records = new DynamoRecordStore(documents, target.tables.records);
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
        const userId = userIdOf(values['user-id']);
        if (command === 'set-password') required(values['password-stdin'], 'password-stdin');
        const user = await getUser(store, userId);
        if (!user) throw new AdminError(`No user ${userId} (${describeTarget(target).replace(/^admin: /, '')})`);
        if (command === 'set-password') await setPassword(store, user, (await password()) ?? '');
        else await updateUser(store, { ...user, groups: groups() });
        out(`user ${user.userId} updated`);
        return;
      }
      case 'create-client': {
        const accessType = ACCESS_TYPES.find((type) => type === values.type);
        if (!accessType) throw new AdminError(`--type must be one of ${ACCESS_TYPES.join(', ')}`);
        const request = {
          userId: userIdOf(values['user-id']),
          name: required(values.name, 'name'),
          accessType: accessType satisfies AccessType,
          redirectUris: values['redirect-uri'] ?? [],
          ...(persistentRefreshOf(values.refresh) ? { persistentRefreshTokens: true } : {}),
        };
        const issued = await createClient(store, accessType === 'oauth1' ? await keys() : undefined, request);
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
      case 'set-refresh': {
        const clientId = required(values['client-id'], 'client-id');
        const persistent = persistentRefreshOf(required(values.refresh, 'refresh'));
        await setPersistentRefreshTokens(store, clientId, persistent);
        out(`client ${clientId}: refresh tokens ${persistent ? 'persistent (kept on refresh, as the original)' : 'rotated on use'}`);
        return;
      }
      case 'revoke-client':
        await revokeClient(store, required(values['client-id'], 'client-id'));
        out(`client ${values['client-id']} revoked; its tokens no longer work`);
        return;
      case 'set-plan': {
        const clientId = clientOf(values);
        const previous = (await getClient(store, clientId)).plan;
        const plan = values.unlimited ? undefined : planOf(values);
        // Deployed stages: API Gateway's usage plan (the coarse backstop) first, so a failure
        // there leaves the stored plan as it was; a removed plan's key goes once the client no
        // longer names it (its calls fall back to the stage's default key meanwhile).
        const gateway = target.local ? undefined : await gatewayOf(target, values, gatewayPort);
        const stored = plan && gateway ? { ...plan, gateway: await applyGatewayPlan(gateway.port, { ...gateway.target, clientId, plan, previous }) } : plan;
        const client = await setClientPlan(store, clientId, stored);
        if (gateway && !plan) await removeGatewayPlan(gateway.port, { ...gateway.target, clientId, previous });
        out(`client ${clientId}: ${describePlan(client.plan)} (from its next call)`);
        return;
      }
      case 'usage': {
        const clientId = clientOf(values);
        const client = await getClient(store, clientId);
        const meter = { store: new DynamoMeterStore(documents, target.tables.usage) };
        const report = await usageReport(meter, clientId, client.plan, usagePeriod(values.from, values.to, new Date()), granularityOf(values.granularity));
        out(`client ${clientId}: ${describePlan(client.plan)}; ${report.period.fromHour} to ${report.period.toHour}`);
        for (const row of report.rows) out(`${row.hour}  ${row.model}  ${row.method}  ${row.outcome}  calls ${row.calls}  units ${row.units}`);
        out(`billable: ${report.totals.billableCalls} calls, ${report.totals.billableUnits} units (all outcomes: ${report.totals.calls} calls)`);
        for (const limit of report.limits) out(`${limit.policy}: ${limit.used} of ${limit.quota} used, ${limit.remaining} left, resets ${limit.resetsAt}`);
        return;
      }
      case 'export-usage':
        return await exportUsage(values, { store, meter: new DynamoMeterStore(documents, target.tables.usage), out, err });
      case 'list-clients':
        for (const client of await listClients(store)) {
          const refresh = client.persistentRefreshTokens ? '  (persistent refresh tokens)' : '';
          const uris = client.redirectUris.length ? `  -> ${client.redirectUris.join(' ')}` : '';
          const plan = client.plan ? `  plan: ${describePlan(client.plan)}` : '';
          out(`${client.clientId}  ${client.accessType.padEnd(6)}  user ${client.userId}  ${client.name}${uris}${refresh}${plan}`);
        }
        return;
      case 'list-users':
        for (const { item } of await store.list('USER')) {
          out(`${String(item.userId)}  ${String(item.login)}  ${item.active === false ? 'archived' : 'active'}  ${Array.isArray(item.groups) ? item.groups.join(',') : ''}`);
        }
        return;
    }
  } catch (error) {
    throw await explain(error, target, probe);
  } finally {
    documents.destroy();
  }
}

if (require.main === module) {
  runAdmin(process.argv.slice(2), { env: process.env, stdin: process.stdin, out: (line) => process.stdout.write(`${line}\n`), err: process.stderr })
    .then((status) => process.exit(status ?? 0))
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    });
}
