/**
 * One webhook delivery attempt over node:http/https, hardened for targets a subscriber chooses:
 * - the address guard runs at connect time on every address the host name resolves to (a custom
 *   `lookup`), so a name that passed when the subscription was saved and resolves to a private or
 *   metadata address later (DNS rebinding) is refused before a byte is sent; IP literals, which Node
 *   connects to without a lookup, are checked with the URL before the request starts;
 * - redirects are not followed: a 3xx is the attempt's result;
 * - one deadline covers the whole attempt, connect and TLS included (Node's own `timeout` is only the
 *   socket's idle time, which a receiver trickling bytes never reaches);
 * - at most `maxResponseBytes` of the answer are read, then the connection is dropped;
 * - it never throws: every result, HTTP error or not, is an AttemptOutcome for lib/webhooks/schedule.ts.
 */
import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkTargetUrl, refusedAddress } from './address-guard';
import type { AttemptOutcome } from './schedule';

export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Every address a host name resolves to. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface DeliveryRequest {
  readonly url: string;
  /** The Standard Webhooks headers (lib/webhooks/signature.ts signDelivery), sent as they are. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes that were signed. */
  readonly body: string;
  /** The whole attempt's deadline; the spec suggests 15 to 30 s. */
  readonly timeoutMs: number;
  /** How much of the receiver's answer is read (for the attempt's last error); the rest is never downloaded. */
  readonly maxResponseBytes: number;
  /** The local stage: http and loopback targets are allowed. */
  readonly local: boolean;
  /** Resolves host names; the system resolver unless given (tests give one to play a rebinding DNS). */
  readonly resolve?: Resolver;
  /** Extra trusted certificate authorities (PEM): a receiver with a self-signed certificate in tests. */
  readonly ca?: string | Buffer;
}

/** The User-Agent receivers see, so their logs say who calls. */
export const USER_AGENT = 'odoo-rest-lambda-webhooks/1';

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** An address the guard refused: not a network failure, and never retried into a different answer by Node. */
class RefusedTarget extends Error {}
class DeadlineReached extends Error {}

/**
 * A `lookup` for net.connect that resolves with `resolve` and refuses the connection if any address is
 * refused: a name mixing public and private addresses is not partly trusted, since Node may try them all.
 */
function guardedLookup(resolve: Resolver, local: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolve(hostname).then(
      (found) => {
        for (const { address } of found) {
          const reason = refusedAddress(address, { local });
          if (reason !== undefined) {
            callback(new RefusedTarget(`${hostname} resolves to ${address}, ${reason}`), '', 0);
            return;
          }
        }
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable: LookupAddress[] = found
          .filter((entry) => family === undefined || entry.family === family)
          .map(({ address, family: of }) => ({ address, family: of }));
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** Node's network error codes in words: what an attempt's last error says to the subscriber. */
const NETWORK_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'the host name was not found',
  EAI_AGAIN: 'the host name could not be resolved (temporary DNS failure)',
};

/**
 * What a failed connection says, in words and without Node's internals (error codes, syscalls): the
 * subscriber reads it on the delivery; the target's address is theirs and stays in it.
 */
function networkMessage(error: NodeJS.ErrnoException, target: URL): string {
  const known = error.code === undefined ? undefined : NETWORK_FAILURES[error.code];
  if (known) return `${known} (${target.host})`;
  // TLS and the rest: Node's message (e.g. "certificate has expired"), any E-code taken out.
  return error.message.replace(/\b(?:E[A-Z_]{3,}|ERR_[A-Z_]+)\b:?\s*/g, '').trim() || 'network failure';
}

export function sendDelivery(request: DeliveryRequest): Promise<AttemptOutcome> {
  const { url, headers, body, timeoutMs, maxResponseBytes, local } = request;
  const refused = checkTargetUrl(url, { local });
  if (refused !== undefined) return Promise.resolve({ kind: 'refused', message: refused });
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');

  return new Promise<AttemptOutcome>((settle) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      settle(outcome);
    };

    const req = transport.request(target, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(payload.length),
        'user-agent': USER_AGENT,
      },
      // A fresh connection per attempt: a pooled socket would skip the guarded lookup of this attempt.
      agent: false,
      lookup: guardedLookup(request.resolve ?? systemResolver, local),
      ...(request.ca === undefined ? {} : { ca: request.ca }),
    });

    let answered: http.IncomingMessage | undefined;
    const deadline = setTimeout(() => {
      // Past the status line the body is merely cut short (the 'close' handler answers); before it, no answer came.
      if (answered) answered.destroy();
      else req.destroy(new DeadlineReached(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);

    req.on('error', (error: NodeJS.ErrnoException) => {
      // After the status line a broken connection only cuts the body short: the response's 'close' answers.
      if (answered) return;
      if (error instanceof RefusedTarget) finish({ kind: 'refused', message: error.message });
      else if (error instanceof DeadlineReached) finish({ kind: 'timeout', message: error.message });
      else finish({ kind: 'network', message: networkMessage(error, target) });
    });

    req.on('response', (res) => {
      answered = res;
      const status = res.statusCode ?? 0;
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      // Once the status line is in, the receiver has answered: whatever stops the body (the byte limit,
      // the deadline, a reset) only shortens the excerpt kept for the last error.
      const answer = (): void =>
        finish({
          kind: 'response',
          status,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
          ...(location === undefined ? {} : { location }),
        });
      res.on('data', (chunk: Buffer) => {
        const room = maxResponseBytes - kept;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept = maxResponseBytes;
          truncated = true;
          answer();
          res.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', answer);
      res.on('error', () => {
        truncated = true;
        answer();
      });
      res.on('close', () => {
        if (!res.complete) truncated = true;
        answer();
      });
    });

    req.end(payload);
  });
}
