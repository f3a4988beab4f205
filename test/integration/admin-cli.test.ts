/**
 * The admin CLI as an operator runs it (node --import tsx scripts/admin.ts ..., what `npm run admin --`
 * runs), as a child process against the suite's own stack: which stack it finds without --stage,
 * the line that says where it works, the password from a pipe and from a terminal, and what each
 * failure says is missing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFromItem, clientKey } from '../../lib/auth/credentials';
import { signIn } from '../../lib/auth/users';
import { LOCAL_TABLES, writeStackRecord } from '../../scripts/local-stack';
import { apiUrl, demoClient, freshStores, servedAuthStore, testKeyRing } from '../helpers/local';

const ROOT = join(__dirname, '..', '..');
const CLI = ['--import', 'tsx', 'scripts/admin.ts'];
const TABLES = `tables ${LOCAL_TABLES.records} and ${LOCAL_TABLES.auth}`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let folder: string;
/** The environment of an operator's shell with nothing set for the CLI; its temporary folder holds no npm start record. */
let bare: NodeJS.ProcessEnv;
/** That shell with DYNAMODB_ENDPOINT and SECRETS_KEY_FILE pointing at the suite's stack. */
let suite: NodeJS.ProcessEnv;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'admin-cli-test-'));
  const unrelated = /^(AWS_|DYNAMODB_ENDPOINT$|SECRETS_KEY_FILE$|SECRETS_KMS_KEY_ID$|AUTH_TABLE$|RECORDS_TABLE$)/;
  bare = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !unrelated.test(name))), TMPDIR: folder };
  suite = { ...bare, DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT, SECRETS_KEY_FILE: process.env.TEST_SECRETS_KEY_FILE };
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the CLI; `input` is written to its stdin, which stays open (an operator's pipe need not end). */
async function admin(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined) child.stdin.write(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  child.stdin.destroy();
  return { code, stdout, stderr };
}

function issued(run: Run): { clientId: string; clientSecret: string } {
  const clientId = /^client_id +([A-Za-z0-9]{32})$/m.exec(run.stdout)?.[1];
  const clientSecret = /^client_secret +([A-Za-z0-9]{32})$/m.exec(run.stdout)?.[1];
  if (!clientId || !clientSecret) throw new Error(`no credentials in ${JSON.stringify(run)}`);
  return { clientId, clientSecret };
}

async function tokenStatus(client: { clientId: string; clientSecret: string }): Promise<number> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('the admin CLI on the local stack', () => {
  it('works on the DynamoDB and key file of DYNAMODB_ENDPOINT and SECRETS_KEY_FILE, saying so on stderr', async () => {
    const created = await admin(['create-client', '--user-id', '1', '--name', 'CLI test', '--type', 'oauth2'], suite);
    expect([created.code, created.stderr]).toStrictEqual([0, `admin: the local stage (DynamoDB at ${process.env.TEST_DYNAMODB_ENDPOINT}, from DYNAMODB_ENDPOINT), ${TABLES}\n`]);
    const client = issued(created);
    // The served API knows the client at once.
    expect(await tokenStatus(client)).toBe(200);
    const revoked = await admin(['revoke-client', '--client-id', client.clientId], suite);
    expect([revoked.code, revoked.stdout]).toStrictEqual([0, `client ${client.clientId} revoked; its tokens no longer work\n`]);
    expect(await tokenStatus(client)).toBe(401);
  });

  it('seals an OAuth 1.0a secret with the key file of SECRETS_KEY_FILE, the one the served API opens it with', async () => {
    const run = await admin(['create-client', '--user-id', '1', '--name', 'CLI legacy', '--type', 'oauth1'], suite);
    expect(run.code).toBe(0);
    const { clientId, clientSecret } = issued(run);
    const { store, close } = servedAuthStore();
    try {
      const sealed = clientFromItem(await store.get(clientKey(clientId)))?.sealedSecret as string;
      expect(testKeyRing().secretBox.open(sealed, `CLIENT#${clientId}`)).toBe(clientSecret);
    } finally {
      close();
    }
    expect((await admin(['revoke-client', '--client-id', clientId], suite)).code).toBe(0);
  });

  it('finds the stack npm start recorded when nothing else says where, with its key file', async () => {
    const forget = writeStackRecord(
      {
        pid: process.pid,
        port: 3999,
        apiUrl: 'http://localhost:3999',
        dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT as string,
        keyFile: process.env.TEST_SECRETS_KEY_FILE as string,
        region: 'eu-west-1',
        tables: LOCAL_TABLES,
      },
      folder,
    );
    try {
      const listed = await admin(['list-clients'], bare);
      expect(listed.code).toBe(0);
      expect(listed.stderr).toBe(`admin: the local stage (DynamoDB at ${process.env.TEST_DYNAMODB_ENDPOINT}, from npm start on port 3999, pid ${process.pid}), ${TABLES}\n`);
      expect(listed.stdout.split('\n').some((line) => line.startsWith(`${demoClient().clientId}  oauth2  user 1`))).toBe(true);
      // Its key file too: an OAuth 1.0a client needs no SECRETS_KEY_FILE.
      const legacy = await admin(['create-client', '--user-id', '1', '--name', 'CLI legacy 2', '--type', 'oauth1'], bare);
      expect(legacy.code).toBe(0);
      expect((await admin(['revoke-client', '--client-id', issued(legacy).clientId], bare)).code).toBe(0);
    } finally {
      forget();
    }
  });

  it('says how to start a local stack, or to pass --stage, when none is running', async () => {
    const run = await admin(['list-clients'], bare);
    expect([run.code, run.stdout]).toStrictEqual([1, '']);
    expect(run.stderr).toBe(
      'No local stack is running: start one with `npm start` (in another terminal) and run this again,\n' +
        'or set DYNAMODB_ENDPOINT (and SECRETS_KEY_FILE) for another local DynamoDB,\n' +
        'or pass --stage STAGE [--region REGION] for a deployed stage.\n',
    );
  });

  it('names the variable when the key file an OAuth 1.0a client needs is unknown or missing, creating nothing', async () => {
    const { store, close } = servedAuthStore();
    const clientsBefore = (await store.list('CLIENT')).length;
    try {
      const unknown = await admin(['create-client', '--user-id', '1', '--name', 'x', '--type', 'oauth1'], { ...suite, SECRETS_KEY_FILE: '' });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("OAuth 1.0a secrets are sealed with the local stack's data key, and no key file is known: set SECRETS_KEY_FILE");
      const missing = join(folder, 'no-such.key');
      const absent = await admin(['create-client', '--user-id', '1', '--name', 'x', '--type', 'oauth1'], { ...suite, SECRETS_KEY_FILE: missing });
      expect(absent.code).toBe(1);
      expect(absent.stderr).toContain(`The data key file ${missing} (from SECRETS_KEY_FILE) does not exist`);
      expect(existsSync(missing)).toBe(false);
      expect((await store.list('CLIENT')).length).toBe(clientsBefore);
    } finally {
      close();
    }
  });
});

describe('the admin CLI on a deployed stage', () => {
  it('names the stage, region and tables before acting, and the missing table with its stage', async () => {
    const run = await admin(['list-clients', '--stage', 'nosuch'], { ...bare, DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT });
    const endpoint = process.env.TEST_DYNAMODB_ENDPOINT as string;
    expect([run.code, run.stdout]).toStrictEqual([1, '']);
    expect(run.stderr).toBe(
      `admin: stage nosuch in region eu-west-1 (DynamoDB at ${endpoint}, from DYNAMODB_ENDPOINT), tables odoo-rest-lambda-nosuch-records and odoo-rest-lambda-nosuch-auth\n` +
        `Table odoo-rest-lambda-nosuch-auth does not exist (stage nosuch, region eu-west-1, DynamoDB at ${endpoint} from DYNAMODB_ENDPOINT): is stage nosuch deployed there? npm run deploy creates it; pass --region if the stage is in another region\n`,
    );
  });

  it('says there are no AWS credentials, for which stage and region, when the environment has none', async () => {
    // No credentials anywhere the SDK looks: no variables, no ~/.aws, no instance metadata.
    const home = mkdtempSync(join(folder, 'home-'));
    const run = await admin(['list-users', '--stage', 'prod', '--region', 'eu-central-1'], { ...bare, HOME: home, AWS_EC2_METADATA_DISABLED: 'true' });
    expect([run.code, run.stdout]).toStrictEqual([1, '']);
    expect(run.stderr).toBe(
      'admin: stage prod in region eu-central-1, tables odoo-rest-lambda-prod-records and odoo-rest-lambda-prod-auth\n' +
        "No AWS credentials for stage prod in region eu-central-1: the admin CLI uses the environment's (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, aws sso login, ...). For the local stack (npm start), leave out --stage.\n",
    );
  });
});

describe('--password-stdin', () => {
  let stores: Awaited<ReturnType<typeof freshStores>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stores = await freshStores();
    env = { ...suite, AUTH_TABLE: stores.tables.auth, RECORDS_TABLE: stores.tables.records };
  });
  afterAll(() => stores.client.destroy());

  it('takes the first line of a pipe, without waiting for the pipe to end', async () => {
    const created = await admin(['create-user', '--user-id', '7', '--login', 'jane', '--name', 'Jane', '--groups', 'base.group_user', '--password-stdin'], env, 'first secret\nsecond line\n');
    expect([created.code, created.stdout]).toStrictEqual([0, 'user 7 (jane) created with groups base.group_user\n']);
    await expect(signIn(stores.auth, 'jane', 'first secret')).resolves.toMatchObject({ userId: 7 });
    const changed = await admin(['set-password', '--user-id', '7', '--password-stdin'], env, 'another secret\n');
    expect([changed.code, changed.stdout]).toStrictEqual([0, 'user 7 updated\n']);
    await expect(signIn(stores.auth, 'jane', 'another secret')).resolves.toMatchObject({ userId: 7 });
    await expect(signIn(stores.auth, 'jane', 'first secret')).resolves.toBeUndefined();
  });

  it('at a terminal, prompts on it twice and echoes nothing of what is typed', async () => {
    expect((await admin(['create-user', '--user-id', '8', '--login', 'tty', '--password-stdin'], env, 'before\n')).code).toBe(0);
    // A pseudo-terminal from util-linux's script(1): the CLI's stdin and stderr are a terminal there.
    const command = ['node', ...CLI, 'set-password', '--user-id', '8', '--password-stdin'].join(' ');
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, env: { ...env, PATH: `${join(process.execPath, '..')}:${env.PATH}` }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const waitFor = async (text: string) => {
      while (!screen.includes(text) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await waitFor('Password:');
    child.stdin.write('typed secret\r');
    await waitFor('Password again:');
    child.stdin.write('typed secret\r');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(screen).toContain('user 8 updated');
    expect(screen).not.toContain('typed');
    await expect(signIn(stores.auth, 'tty', 'typed secret')).resolves.toMatchObject({ userId: 8 });
  });
});
