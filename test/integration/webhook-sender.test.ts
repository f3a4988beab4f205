/**
 * One delivery attempt against real receivers on 127.0.0.1: an HTTP server whose paths answer 200, 500,
 * 410, a redirect, never, or a body far over the read limit; an HTTPS server with a certificate made for
 * the test; and the `npm run listen` receiver (scripts/listen.ts), in process and as the command a
 * developer runs. On a deployed stage loopback is refused, whether written in the URL or reached through
 * a name whose DNS answer changed (played by an injected resolver: the connect-time check is the one
 * that must catch it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startListener, type Listener } from '../../scripts/listen';
import { classifyAttempt } from '../../lib/webhooks/schedule';
import { sendDelivery, USER_AGENT, type DeliveryRequest, type Resolver } from '../../lib/webhooks/sender';
import { newSigningSecret, signDelivery } from '../../lib/webhooks/signature';

const ROOT = join(__dirname, '..', '..');
const HUGE_BYTES = 8 * 1024 * 1024;

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** The receiver's answers by path; every request it gets is recorded. */
function receiver(received: Received[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      switch (req.url) {
        case '/ok':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        case '/fail':
          return res.writeHead(500, { 'content-type': 'text/plain' }).end('database is down');
        case '/gone':
          return res.writeHead(410).end('this endpoint was removed');
        case '/redirect':
          return res.writeHead(301, { location: '/ok' }).end();
        case '/slow':
          return; // never answers: the sender's deadline ends it
        case '/stall':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return void res.write('accepted, still writing'); // the body never ends
        case '/huge': {
          res.writeHead(200, { 'content-type': 'text/plain' });
          const chunk = Buffer.alloc(64 * 1024, 'a');
          let sent = 0;
          const pump = (): void => {
            while (sent < HUGE_BYTES && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          res.on('error', () => undefined); // the sender hangs up after its limit
          return pump();
        }
        default:
          return res.writeHead(404).end('no such hook');
      }
    });
  };
}

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function stop(server: http.Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

const secret = newSigningSecret();
const body = JSON.stringify({
  type: 'record.updated',
  timestamp: '2026-11-28T10:00:00Z',
  data: { model: 'res.partner', id: 17, transaction: { id: 'tx-4f1c', position: 2, count: 3 } },
});
const signed = (id = 'evt_1'): Record<string, string> => ({
  ...signDelivery(secret, { id, timestamp: Math.floor(Date.now() / 1000), body }),
});

let received: Received[];
let plain: http.Server;
let base: string;
let port: number;

beforeAll(async () => {
  received = [];
  plain = http.createServer(receiver(received));
  port = await listen(plain);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await stop(plain);
});

beforeEach(() => {
  received.length = 0;
});

const attempt = (path: string, extra: Partial<DeliveryRequest> = {}) =>
  sendDelivery({
    url: `${base}${path}`,
    headers: signed(),
    body,
    timeoutMs: 5000,
    maxResponseBytes: 1024,
    local: true,
    ...extra,
  });

describe('sendDelivery on the local stage (http and loopback allowed)', () => {
  it('posts the signed body once, which the standardwebhooks package verifies, and reports a 200 as delivered', async () => {
    const outcome = await attempt('/ok');
    expect(outcome).toEqual({ kind: 'response', status: 200, body: 'thanks', truncated: false });
    expect(classifyAttempt(outcome)).toEqual({ verdict: 'delivered', status: 200 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.body).toBe(body);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe(USER_AGENT);
    expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(
      JSON.parse(body),
    );
  });

  it('reports a 500 with the start of its body, to retry', async () => {
    const outcome = await attempt('/fail');
    expect(outcome).toEqual({ kind: 'response', status: 500, body: 'database is down', truncated: false });
    expect(classifyAttempt(outcome)).toEqual({ verdict: 'retry', status: 500, error: 'HTTP 500: database is down' });
  });

  it('reports a 410, which disables the subscription', async () => {
    const outcome = await attempt('/gone');
    expect(classifyAttempt(outcome)).toEqual({
      verdict: 'disable',
      status: 410,
      error: 'HTTP 410 Gone: the receiver asked to stop: this endpoint was removed',
    });
  });

  it('does not follow a 301: the redirect is the result and its target is never called', async () => {
    const outcome = await attempt('/redirect');
    expect(outcome).toEqual({ kind: 'response', status: 301, body: '', truncated: false, location: '/ok' });
    expect(received.map((request) => request.path)).toEqual(['/redirect']);
    expect(classifyAttempt(outcome)).toEqual({
      verdict: 'retry',
      status: 301,
      error: 'HTTP 301: redirects are not followed (Location: /ok)',
    });
  });

  it('gives up on a receiver that does not answer within the deadline', async () => {
    const outcome = await attempt('/slow', { timeoutMs: 300 });
    expect(outcome).toEqual({ kind: 'timeout', message: 'no answer within 300 ms' });
    expect(received.map((request) => request.path)).toEqual(['/slow']);
  });

  it('keeps the status of a receiver that answered but never finished its body within the deadline', async () => {
    const outcome = await attempt('/stall', { timeoutMs: 300 });
    expect(outcome).toEqual({ kind: 'response', status: 200, body: 'accepted, still writing', truncated: true });
    expect(classifyAttempt(outcome)).toEqual({ verdict: 'delivered', status: 200 });
  });

  it('reads at most maxResponseBytes of a huge answer and keeps its status', async () => {
    const outcome = await attempt('/huge', { maxResponseBytes: 2000 });
    expect(outcome).toEqual({ kind: 'response', status: 200, body: 'a'.repeat(2000), truncated: true });
    expect(classifyAttempt(outcome)).toEqual({ verdict: 'delivered', status: 200 });
  });

  it('reports a closed port as a network failure, never throwing', async () => {
    const closed = http.createServer();
    const closedPort = await listen(closed);
    await stop(closed);
    const outcome = await sendDelivery({
      url: `http://127.0.0.1:${closedPort}/`,
      headers: signed(),
      body,
      timeoutMs: 5000,
      maxResponseBytes: 1024,
      local: true,
    });
    expect(outcome.kind).toBe('network');
    // In words, with the target: no Node error code (the subscriber reads it on the delivery record).
    expect(outcome.kind === 'network' && outcome.message).toBe(`the connection was refused (127.0.0.1:${closedPort})`);
  });

  it('connects to the address its resolver answered for the name', async () => {
    const asked: string[] = [];
    const resolve: Resolver = async (hostname) => {
      asked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const outcome = await attempt('', { url: `http://receiver.test:${port}/ok`, resolve });
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(asked).toEqual(['receiver.test']);
    expect(received[0]!.headers.host).toBe(`receiver.test:${port}`);
  });

  it('still refuses a private or metadata address the name resolves to', async () => {
    const resolve: Resolver = async () => [{ address: '169.254.169.254', family: 4 }];
    const outcome = await attempt('', { url: `http://receiver.test:${port}/ok`, resolve });
    expect(outcome).toEqual({
      kind: 'refused',
      message: 'receiver.test resolves to 169.254.169.254, a cloud metadata address',
    });
    expect(received).toEqual([]);
  });
});

describe('sendDelivery on a deployed stage', () => {
  it('refuses a loopback URL without connecting', async () => {
    const outcome = await attempt('/ok', { url: `https://127.0.0.1:${port}/ok`, local: false });
    expect(outcome).toEqual({ kind: 'refused', message: 'the host 127.0.0.1 is a loopback address' });
    expect(await attempt('/ok', { local: false })).toEqual({ kind: 'refused', message: 'the URL must be https' });
    expect(await attempt('', { url: `https://localhost:${port}/ok`, local: false })).toEqual({
      kind: 'refused',
      message: 'the host localhost is a loopback name',
    });
    expect(received).toEqual([]);
  });

  it('refuses at connect time a public name that now resolves to loopback (DNS rebinding)', async () => {
    let answers = 0;
    // The first answer (when the subscription was checked, say) was public; this attempt's answer is not.
    const rebinding: Resolver = async () =>
      answers++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    await rebinding('hooks.example.com');
    const outcome = await attempt('', {
      url: `https://hooks.example.com:${port}/ok`,
      local: false,
      resolve: rebinding,
    });
    expect(outcome).toEqual({
      kind: 'refused',
      message: 'hooks.example.com resolves to 127.0.0.1, a loopback address',
    });
    expect(classifyAttempt(outcome)).toEqual({
      verdict: 'retry',
      error: 'refused: hooks.example.com resolves to 127.0.0.1, a loopback address',
    });
    expect(received).toEqual([]);
  });

  it('refuses a name with any refused address among its answers, even listed after a public one', async () => {
    const mixed: Resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::ffff:10.0.0.8', family: 6 },
    ];
    const outcome = await attempt('', { url: `https://hooks.example.com:${port}/ok`, local: false, resolve: mixed });
    expect(outcome).toEqual({
      kind: 'refused',
      message:
        'hooks.example.com resolves to ::ffff:10.0.0.8, a private address (RFC 1918), in an IPv6 form (ipv4Mapped)',
    });
  });
});

describe('sendDelivery over HTTPS', () => {
  let folder: string;
  let secure: https.Server;
  let cert: string;
  let securePort: number;
  const secureReceived: Received[] = [];

  beforeAll(async () => {
    // A certificate for this run only (no key material in the repository): openssl ships with the machines.
    folder = mkdtempSync(join(tmpdir(), 'webhook-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=receiver.test',
        '-addext',
        'subjectAltName=DNS:receiver.test',
        '-keyout',
        join(folder, 'key.pem'),
        '-out',
        join(folder, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(folder, 'cert.pem'), 'utf8');
    secure = https.createServer({ key: readFileSync(join(folder, 'key.pem')), cert }, receiver(secureReceived));
    securePort = await listen(secure);
  });

  afterAll(async () => {
    await stop(secure);
    rmSync(folder, { recursive: true, force: true });
  });

  const local: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

  it('delivers to a receiver whose certificate it trusts, checking the name against it', async () => {
    const outcome = await attempt('', { url: `https://receiver.test:${securePort}/ok`, resolve: local, ca: cert });
    expect(outcome).toEqual({ kind: 'response', status: 200, body: 'thanks', truncated: false });
    expect(secureReceived.map((request) => request.body)).toEqual([body]);
  });

  it('fails as a network error when the certificate is not trusted', async () => {
    const outcome = await attempt('', { url: `https://receiver.test:${securePort}/ok`, resolve: local });
    expect(outcome.kind).toBe('network');
    expect(outcome.kind === 'network' && outcome.message).toMatch(/self[- ]signed/i);
  });
});

describe('the listen receiver (scripts/listen.ts)', () => {
  /** A line without its leading ISO timestamp. */
  const withoutTime = (line: string): string => line.replace(/^\S+ {2}/, '');
  let listener: Listener;
  const lines: string[] = [];

  beforeAll(async () => {
    listener = await startListener({
      port: 0,
      secrets: [newSigningSecret(), secret],
      failFirst: 1,
      log: (line) => lines.push(line),
    });
  });

  afterAll(() => listener.close());

  const toListener = (headers: Record<string, string>, payload = body) =>
    sendDelivery({ url: listener.url, headers, body: payload, timeoutMs: 5000, maxResponseBytes: 1024, local: true });

  it('answers 500 to the first delivery with --fail-first 1, then 204 to the retry, one line each', async () => {
    lines.length = 0;
    expect(await toListener(signed('evt_a'))).toMatchObject({ kind: 'response', status: 500 });
    expect(await toListener(signed('evt_a'))).toMatchObject({ kind: 'response', status: 204 });
    expect(lines.map(withoutTime)).toEqual([
      '500  record.updated  res.partner #17  tx tx-4f1c 2/3  (webhook-id evt_a)  [--fail-first: 0 more to fail]',
      '204  record.updated  res.partner #17  tx tx-4f1c 2/3  (webhook-id evt_a)',
    ]);
  });

  it('answers 400 with the reason to a delivery that does not verify', async () => {
    lines.length = 0;
    const outcome = await toListener(signed('evt_b'), body.replace('17', '18'));
    expect(outcome).toEqual({ kind: 'response', status: 400, body: 'no signature matches\n', truncated: false });
    const stale = { ...signed('evt_c'), 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600) };
    expect(await toListener(stale)).toMatchObject({ status: 400, body: 'webhook-timestamp is too old\n' });
    expect(lines.map(withoutTime)).toEqual([
      '400  refused: no signature matches',
      '400  refused: webhook-timestamp is too old',
    ]);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('runs as the command developers start, printing where it listens and never the secret', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/listen.ts', '--port', '0', '--fail-first', '1'],
      {
        cwd: ROOT,
        env: { ...process.env, WEBHOOK_SECRET: secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      while (!/Listening on (\S+) /.test(output)) {
        if (child.exitCode !== null) throw new Error(`listen exited: ${output}`);
        await new Promise((done) => setTimeout(done, 50));
      }
      const url = /Listening on (\S+) /.exec(output)![1]!;
      expect(output).toContain('(verifying with 1 secret; answering 500 to the first 1 valid deliveries)');
      const send = () =>
        sendDelivery({ url, headers: signed('evt_cli'), body, timeoutMs: 5000, maxResponseBytes: 1024, local: true });
      expect(await send()).toMatchObject({ status: 500 });
      expect(await send()).toMatchObject({ status: 204 });
      while (output.split('\n').filter((line) => line.includes('evt_cli')).length < 2)
        await new Promise((done) => setTimeout(done, 50));
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    expect(output.split('\n').map(withoutTime)).toContain(
      '204  record.updated  res.partner #17  tx tx-4f1c 2/3  (webhook-id evt_cli)',
    );
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice('whsec_'.length));
  });

  it('refuses to start without a secret, and does not echo one given in the wrong place', () => {
    const run = (args: string[], env: NodeJS.ProcessEnv) => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'scripts/listen.ts', ...args], {
          cwd: ROOT,
          env,
          stdio: 'pipe',
        });
        return { code: 0, stderr: '' };
      } catch (error) {
        const failed = error as { status: number; stderr: Buffer };
        return { code: failed.status, stderr: failed.stderr.toString('utf8') };
      }
    };
    const bare = { ...process.env, WEBHOOK_SECRET: '' };
    expect(run(['--port', '0'], bare)).toEqual({
      code: 2,
      stderr: 'listen: A signing secret is needed: --secret whsec_... or WEBHOOK_SECRET\n',
    });
    const misplaced = run(['--port', '0', secret], bare);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("Unexpected argument 'whsec_…'");
    expect(misplaced.stderr).not.toContain(secret.slice('whsec_'.length));
  });
});
