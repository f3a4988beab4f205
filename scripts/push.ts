/**
 * npm run push -- calls.jsonl: the writes queue's code (lib/queue) over a file of calls, one JSON
 * message per line — the same messages the deployed queue takes
 * (`{"model":"res.partner","method":"write","ids":[17,20],"vals":{...},"user":1}`) — against the
 * local stack (the one `npm start` runs, or DYNAMODB_ENDPOINT; `--port` picks one, as the admin CLI).
 *
 * In order, one at a time, with a progress bar on stderr. Each line's Idempotency-Key is the file's
 * hash and its line number: run it again (after Ctrl-C, or a failure) and the lines already done
 * are skipped (CALLS.progress) or replayed, never written twice. A line that can never succeed
 * (invalid, not allowed, a 4xx) goes to CALLS.dead.jsonl with its reason, as the queue's dead letters;
 * throttling and conflicts are tried again, and the command stops (exit 1) if one keeps failing.
 * The users it may act as: QUEUE_USERS when set, else every user of the local stack.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getUser } from '../lib/auth/users';
import { buildAccessRules } from '../lib/models/access';
import { buildRegistry } from '../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../lib/object-api/router';
import { settleMessage } from '../lib/queue/batch';
import { RetryLater, userGroupsFrom, type DeadLetters, type QueueDeps } from '../lib/queue/run';
import { createLogger } from '../lib/runtime/log';
import { DynamoAuthStore } from '../lib/store/dynamodb/auth-table';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { catalogIndexedStore } from '../lib/runtime/indexed-store';
import { DynamoMeterStore } from '../lib/store/dynamodb/usage-table';
import { shippedAccessRules, shippedModels } from '../models';
import { describeTarget, resolveTarget } from './admin';
import { progressBar } from './bulk-load';

const RETRIES = 5;
const USAGE = 'usage: npm run push -- CALLS.jsonl [--port PORT]';

interface Progress {
  readonly sha256: string;
  /** Lines done (answered, or dead-lettered), from the first. */
  readonly done: number;
}

export interface PushResult {
  readonly done: number;
  readonly dead: number;
  readonly skipped: number;
  readonly stopped?: string;
}

/** Runs the file's calls from where an earlier run stopped; exported for the tests. */
export async function push(
  file: string,
  options: { env: NodeJS.ProcessEnv; port?: string | undefined; err: (text: string) => void; stop?: () => boolean },
): Promise<PushResult> {
  const text = readFileSync(file, 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const progressFile = `${file}.progress`;
  const deadFile = `${file}.dead.jsonl`;
  const earlier = existsSync(progressFile) ? (JSON.parse(readFileSync(progressFile, 'utf8')) as Progress) : undefined;
  // A changed file is another file: its keys differ, so it starts from the top.
  let done = earlier?.sha256 === sha256 ? earlier.done : 0;
  const skipped = done;
  if (done === 0) rmSync(deadFile, { force: true });

  const target = resolveTarget({ port: options.port }, options.env);
  options.err(`${describeTarget(target).replace(/^admin:/, 'push:')}, ${target.tables.usage}\n`);
  const client = createDocumentClient({ endpoint: target.endpoint, region: target.region });
  try {
    const registry = buildRegistry(shippedModels);
    const { store, catalog } = catalogIndexedStore(client, target.tables, { shippedRegistry: registry });
    const objectDeps: ObjectDeps = {
      registry,
      store,
      accessRules: buildAccessRules(shippedAccessRules),
      catalog,
      meter: { store: new DynamoMeterStore(client, target.tables.usage) },
    };
    const auth = new DynamoAuthStore(client, target.tables.auth);
    const allowed = options.env.QUEUE_USERS
      ? options.env.QUEUE_USERS.split(',').map((id) => Number(id.trim()))
      : (await auth.list('USER')).map(({ item }) => Number(item.userId));
    const deps: QueueDeps = {
      route: (request) => routeObjectRequest(objectDeps, request),
      userGroups: userGroupsFrom((userId) => getUser(auth, userId)),
      allowedUsers: new Set(allowed),
      clientId: 'push',
    };
    let dead = 0;
    const deadLetters: DeadLetters = {
      async send(message, reason) {
        dead++;
        const line = Number(message.messageId.split(':').at(-1));
        appendFileSync(deadFile, `${JSON.stringify({ line, reason, message: message.body })}\n`);
      },
    };
    const log = createLogger({}, () => undefined);
    const started = performance.now();
    const show = () =>
      options.err(`\rpushing ${progressBar(done, lines.length, (done - skipped) / Math.max((performance.now() - started) / 1000, 0.001))}`);
    const save = () => writeFileSync(progressFile, JSON.stringify({ sha256, done } satisfies Progress));
    for (; done < lines.length; done++) {
      if (options.stop?.()) {
        save();
        options.err('\n');
        return { done, dead, skipped, stopped: 'interrupted' };
      }
      show();
      const body = lines[done] as string;
      if (body.trim() === '') continue;
      const record = { messageId: `push:${sha256.slice(0, 16)}:${done + 1}`, body, attributes: {} };
      for (let attempt = 1; ; attempt++) {
        try {
          await settleMessage(deps, deadLetters, log, record);
          break;
        } catch (error) {
          if (!(error instanceof RetryLater) || attempt >= RETRIES) {
            save();
            options.err('\n');
            return { done, dead, skipped, stopped: `line ${done + 1}: ${(error as Error).message}` };
          }
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
      if (done % 50 === 0) save();
    }
    show();
    options.err('\n');
    save();
    return { done, dead, skipped };
  } finally {
    client.destroy();
  }
}

if (require.main === module) {
  const { positionals, values } = parseArgs({ options: { port: { type: 'string' } }, allowPositionals: true });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
  });
  push(file, { env: process.env, port: values.port, err: (text) => void process.stderr.write(text), stop: () => interrupted })
    .then(({ done, dead, skipped, stopped }) => {
      const deadNote = dead > 0 ? `; ${dead} dead-lettered to ${file}.dead.jsonl` : '';
      process.stdout.write(`${done} of the lines done (${skipped} by an earlier run)${deadNote}${stopped ? `; stopped: ${stopped}` : ''}\n`);
      process.exit(stopped ? 1 : 0);
    })
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    });
}
