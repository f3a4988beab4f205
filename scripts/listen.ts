/**
 * A local webhook receiver, the way `stripe listen` helps developers: it verifies each delivery's
 * Standard Webhooks signature with the subscription's secret and prints one line per event.
 *
 *   npm run listen -- --secret whsec_... [--port 4000] [--fail-first N]
 *   WEBHOOK_SECRET=whsec_... npm run listen
 *
 * Subscribe http://127.0.0.1:4000/ (loopback and http are allowed on the local stage only). Valid
 * deliveries get 204; a delivery that fails verification gets 400 with the reason (and its line says
 * why); --fail-first N answers 500 to the first N valid deliveries, to watch the retries and the
 * attempts recorded on the subscription. Give --secret twice to accept the old and the new secret
 * during a rotation. The secret is never printed.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { signingKey, verifyDelivery, DEFAULT_TOLERANCE_SECONDS } from '../lib/webhooks/signature';

/** A delivery body larger than this is refused unread (deliveries are recommended to stay under 20 KB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ListenerOptions {
  readonly port: number;
  readonly secrets: readonly string[];
  /** Valid deliveries answered 500 before the listener starts accepting. */
  readonly failFirst?: number;
  readonly toleranceSeconds?: number;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface Listener {
  readonly url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

/**
 * What one line says about an event: its type, model and record, and where it sits in its transaction
 * (the change feed's `data.transaction` {id, position, count}), when the event carries them.
 */
export function describeEvent(event: unknown): string {
  if (!isObject(event)) return '(not a JSON object)';
  const data = isObject(event.data) ? event.data : {};
  const parts = [text(event.type) ?? '(no type)'];
  const model = text(data.model) ?? text(data._model);
  // The change feed's record is `record_id` (its `id` is the event's); Odoo's own webhooks send `_id`.
  const id = text(data.record_id) ?? text(data._id) ?? text(data.id);
  if (model !== undefined || id !== undefined) parts.push(`${model ?? '?'}${id === undefined ? '' : ` #${id}`}`);
  const transaction = isObject(data.transaction) ? data.transaction : undefined;
  if (transaction) {
    const position = text(transaction.position);
    const count = text(transaction.count) ?? text(transaction.size);
    const where = position === undefined ? '' : ` ${position}${count === undefined ? '' : `/${count}`}`;
    parts.push(`tx ${text(transaction.id) ?? '?'}${where}`);
  }
  return parts.join('  ');
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Starts the receiver on 127.0.0.1 (never on other interfaces: it is a development tool). */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { secrets, log } = options;
  if (secrets.length === 0) throw new Error('A signing secret is needed: --secret whsec_... or WEBHOOK_SECRET');
  secrets.forEach((secret) => signingKey(secret)); // a malformed secret stops here, with a message that does not show it
  const now = options.now ?? (() => new Date());
  let failuresLeft = options.failFirst ?? 0;

  const answer = (res: http.ServerResponse, status: number, line: string, reason?: string): void => {
    log(`${now().toISOString()}  ${status}  ${line}`);
    res.writeHead(status, reason === undefined ? {} : { 'content-type': 'text/plain; charset=utf-8' });
    res.end(reason);
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST')
        return answer(res, 405, `${req.method} ${req.url}: deliveries are POSTs`, 'POST only\n');
      const body = await readBody(req);
      if (body === undefined) return answer(res, 413, `refused: body over ${MAX_BODY_BYTES} bytes`, 'body too large\n');
      const verified = verifyDelivery(
        secrets,
        req.headers,
        body,
        now(),
        options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      );
      if (!verified.ok) return answer(res, 400, `refused: ${verified.reason}`, `${verified.reason}\n`);
      let event: unknown;
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch {
        return answer(res, 400, `refused: the body is not JSON  (webhook-id ${verified.id})`, 'the body is not JSON\n');
      }
      const line = `${describeEvent(event)}  (webhook-id ${verified.id})`;
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        return answer(
          res,
          500,
          `${line}  [--fail-first: ${failuresLeft} more to fail]`,
          'failing on purpose (--fail-first)\n',
        );
      }
      return answer(res, 204, line);
    })().catch((error: Error) => {
      log(`${now().toISOString()}  500  listener error: ${error.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Listener> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '4000' },
      secret: { type: 'string', multiple: true },
      'fail-first': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const port = Number(values.port);
  const failFirst = Number(values['fail-first']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port is a port number');
  if (!Number.isInteger(failFirst) || failFirst < 0) throw new Error('--fail-first is a count of deliveries');
  const secrets = values.secret ?? (env.WEBHOOK_SECRET ? env.WEBHOOK_SECRET.split(/\s+/).filter(Boolean) : []);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const listener = await startListener({ port, secrets, failFirst, log });
  const failing = failFirst > 0 ? `; answering 500 to the first ${failFirst} valid deliveries` : '';
  log(
    `Listening on ${listener.url} (verifying with ${secrets.length} secret${secrets.length === 1 ? '' : 's'}${failing}). Ctrl-C stops.`,
  );
  return listener;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (listener) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => void listener.close().then(() => process.exit(0)));
    },
    (error: Error) => {
      // A secret typed in the wrong place comes back in parseArgs' message ("Unexpected argument 'whsec_…'").
      process.stderr.write(`listen: ${error.message.replace(/whsec_[A-Za-z0-9+/=]+/g, 'whsec_…')}\n`);
      process.exit(2);
    },
  );
}
