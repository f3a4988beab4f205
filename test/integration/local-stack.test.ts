/**
 * npm start itself and the local stack it runs: what it prints (the export lines the README's
 * examples use), what it serves, the README's settings taken from its environment, API_LOGS=1,
 * DATA_DIR, DYNAMODB_ENDPOINT, the admin CLI finding it, and that SIGTERM leaves no process, no
 * port and no file in the temporary folder behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OAuth from 'oauth-1.0a';
import { DEMO_REDIRECT_URI } from '../../lib/runtime/demo';
import demoData from '../../scripts/demo-data.json';
import { freePort, localKeyFile, prepareData, startDynamo } from '../../scripts/local-stack';

const ROOT = join(__dirname, '..', '..');

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('the local stack', () => {
  it('keeps its data under DATA_DIR across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'odoo-rest-data-'));
    try {
      const said: string[] = [];
      const first = await startDynamo({ dataDir });
      await prepareData(first.endpoint, localKeyFile(dataDir, 0), (line) => said.push(line));
      await first.stop();
      // The key that seals the stored secrets stays with them.
      expect((await readdir(dataDir)).sort()).toStrictEqual(['secrets.key', 'shared-local-instance.db']);
      const second = await startDynamo({ dataDir });
      await prepareData(second.endpoint, localKeyFile(dataDir, 0), (line) => said.push(line));
      await second.stop();
      expect(said).toStrictEqual([
        `Loaded ${Object.values(demoData.records).flat().length} demo records into odoo-rest-lambda-local-records`,
        'Kept the existing records in odoo-rest-lambda-local-records',
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    // Two DynamoDB Local starts (Java), slow on a loaded machine.
  }, 150_000);

  it('uses the DynamoDB at DYNAMODB_ENDPOINT without starting or stopping one', async () => {
    const endpoint = process.env.TEST_DYNAMODB_ENDPOINT as string;
    const handle = await startDynamo({ endpoint });
    expect(handle.endpoint).toBe(endpoint);
    await handle.stop();
    expect((await fetch(endpoint, { method: 'POST' })).status).toBeGreaterThan(0);
  });
});

describe('npm start', () => {
  // One npm start for these tests, as a developer would run it: with two of the README's settings,
  // API_LOGS=1, and a temporary folder of its own, to see what it leaves there.
  // ESBUILD_WATCH_PATTERN: npm start rebuilds the functions when a source file changes, and a
  // rebuild in the middle of a request fails it; these tests must not depend on nobody editing.
  const settings = { ACCESS_TOKEN_VALIDITY: '60', OAUTH1_TIMESTAMP_WINDOW: '30', API_LOGS: '1', ESBUILD_WATCH_PATTERN: '.esbuild/never-watched' };
  let port: number;
  let temporary: string;
  let child: ChildProcess;
  let output = '';
  let exports: Record<string, string> = {};
  const shellEnv = () => ({ ...process.env, TMPDIR: temporary, DYNAMODB_ENDPOINT: '', SECRETS_KEY_FILE: '' });

  beforeAll(async () => {
    port = await freePort();
    temporary = await mkdtemp(join(tmpdir(), 'npm-start-test-'));
    child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, ...settings, PORT: String(port), TMPDIR: temporary }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 150_000;
    while (!output.includes('Ready.') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    exports = Object.fromEntries([...output.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)].map((match) => [match[1] as string, match[2] as string]));
  }, 180_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await rm(temporary, { recursive: true, force: true });
  });

  it("prints an export line for each name the README's examples use, in this order, after the credentials", () => {
    expect(output).toContain('Ready.');
    expect(Object.keys(exports)).toStrictEqual(['API', 'CLIENT_ID', 'CLIENT_SECRET', 'CONSUMER_KEY', 'CONSUMER_SECRET', 'BASIC_ID', 'BASIC_SECRET', 'TOKEN']);
    expect(exports.API).toBe(`http://localhost:${port}`);
    const secrets = ['CLIENT_ID', 'CLIENT_SECRET', 'CONSUMER_KEY', 'CONSUMER_SECRET', 'BASIC_ID', 'BASIC_SECRET'].map((name) => exports[name]);
    expect(secrets.every((value) => /^[A-Za-z0-9]{32}$/.test(value ?? ''))).toBe(true);
    // The access token names its client and user (user 1, the demo's): see lib/auth/oauth2.ts.
    expect(exports.TOKEN).toMatch(/^t1\.[A-Za-z0-9]{32}\.1\.[A-Za-z0-9]{32}$/);
    expect(output.indexOf('export API=')).toBeGreaterThan(output.indexOf(`client_id     ${exports.CLIENT_ID}`));
  });

  it('prints commands that work as printed, in a shell with the export lines pasted', async () => {
    const pasted = output.split('\n').filter((line) => line.startsWith('export ')).join('\n');
    const curls = output.split('\n').filter((line) => line.trim().startsWith('curl ')).map((line) => line.trim());
    expect(curls.length).toBe(3);
    expect(curls[0]).toBe('curl -s -X POST "$API/restapi/1.0/common/oauth2/access_token" -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET"');
    const run = (command: string) => execFileSync('bash', ['-c', `${pasted}\n${command}`], { encoding: 'utf8', env: shellEnv() });
    expect(JSON.parse(run(curls[0] as string))).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const json = JSON.parse(run(curls[1] as string)) as { Partner: Array<{ id: number; street2: string }> };
    expect(json.Partner.map((partner) => [partner.id, partner.street2])).toStrictEqual([
      [17, 'Chung Hsiao East Road'],
      [20, 'Chung Hsiao East Road'],
    ]);
    expect(run(curls[2] as string)).toContain('<street2 type="str">Chung Hsiao East Road</street2>');
    const start = (await (await fetch(`http://127.0.0.1:${port}/start`)).json()) as { client_id: string };
    expect(start.client_id).toBe(exports.CLIENT_ID);
  });

  it('issues tokens for ACCESS_TOKEN_VALIDITY and checks OAuth 1.0a timestamps against OAUTH1_TIMESTAMP_WINDOW, from its environment', async () => {
    expect(output).toContain('Get a token (valid 1 minute):');
    const token = await fetch(`http://127.0.0.1:${port}/restapi/1.0/common/oauth2/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: exports.CLIENT_ID as string, client_secret: exports.CLIENT_SECRET as string }),
    });
    expect(await token.json()).toMatchObject({ access_token_validity: 60, expires_in: 60 });
    // A request token signed 2 minutes ago: inside the default 300 s, outside the 30 s set.
    const requestToken = async (age: number) => {
      const url = `http://127.0.0.1:${port}/restapi/1.0/common/oauth1/request_token`;
      const oauth = new OAuth({
        consumer: { key: exports.CONSUMER_KEY as string, secret: exports.CONSUMER_SECRET as string },
        signature_method: 'HMAC-SHA1',
        hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
      });
      oauth.getTimeStamp = () => Math.floor(Date.now() / 1000) - age;
      const response = await fetch(url, { method: 'POST', headers: { ...oauth.toHeader(oauth.authorize({ url, method: 'POST', data: { oauth_callback: DEMO_REDIRECT_URI } })) } });
      await response.arrayBuffer();
      return response.status;
    };
    expect([await requestToken(0), await requestToken(120)]).toStrictEqual([200, 401]);
  });

  it("shows an expected 401 (API_LOGS=1) as the authorizer's one line, without serverless-offline's stack trace", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/restapi/1.0/object/res.partner`, { headers: { Authorization: 'Bearer not-a-token-at-all' } });
    expect(response.status).toBe(401);
    const deadline = Date.now() + 20_000;
    while (!output.includes('"reason":"unknown token"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain('"message":"unauthorized"');
    expect(output).toContain('"reason":"unknown token"');
    expect(output).not.toContain("Unhandled exception in handler 'authorizer'");
    expect(output).not.toContain('Error: Unauthorized');
    expect(output).not.toContain('Authorization function returned an error response');
  });

  it('is found by the admin CLI, with no flags', () => {
    const listed = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'list-clients'], { cwd: ROOT, encoding: 'utf8', env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    expect(listed.split('\n').filter((line) => line !== '').map((line) => line.split('  ')[0]).sort()).toStrictEqual(
      [exports.CLIENT_ID, exports.CONSUMER_KEY, exports.BASIC_ID].sort(),
    );
  });

  it('stops everything on SIGTERM and leaves nothing in the temporary folder: no key file, no record', async () => {
    const dynamoPort = Number(/DynamoDB Local \(in memory\) at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    const keyFile = /^Data key file \(seals OAuth 1\.0a secrets\): (\S+) \(removed when npm start stops\)$/m.exec(output)?.[1] as string;
    expect([keyFile.startsWith(temporary), existsSync(keyFile)]).toStrictEqual([true, true]);
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect([await portIsFree(port), await portIsFree(dynamoPort)]).toStrictEqual([true, true]);
    // Left out: the caches of compiled files of tsx (tsx-UID) and of Node (node-compile-cache, which
    // tsx turns on), made once and reused by every later run of anything: not npm start's files.
    const caches = (name: string) => name.startsWith('tsx-') || name === 'node-compile-cache';
    expect((await readdir(temporary)).filter((name) => !caches(name))).toStrictEqual([]);
  });
});
