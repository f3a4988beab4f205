/**
 * FAULT INJECTOR (a labelled fake, for tests only). DynamoDB Local never throttles, never cancels a
 * transaction for TransactionConflict, never times out, resets a connection or goes down for a
 * while, and never loses a response after committing. This adds an SDK middleware to a REAL
 * document client talking to DynamoDB Local that makes chosen requests fail in those ways, with
 * the error shapes the SDK itself produces (checked against @aws-sdk/client-dynamodb 3.1169 and
 * @smithy/node-http-handler 4.14):
 *
 * - throttling, provisioned-throughput, internal-server-error: the service exceptions the SDK's
 *   deserialiser builds (its own classes, `$metadata.httpStatusCode` 400 or 500). This SDK sets no
 *   `$retryable` on them: its retry strategy recognises them by name and status, as here.
 * - transaction-conflict / transaction-throttled: TransactionCanceledException with one
 *   CancellationReason per action of the request (the first action's Code TransactionConflict or
 *   ThrottlingError, the others None), as DynamoDB answers; on a single-item write,
 *   TransactionConflictException (the item is locked by a transaction).
 * - timeout: the node handler's requestTimeout error (name TimeoutError, code ETIMEDOUT).
 * - connection-reset: what the node handler rejects with on a reset socket (it renames ECONNRESET
 *   errors TimeoutError and keeps the code).
 * - connection-refused: a plain Error with code ECONNREFUSED (nothing listening: DynamoDB down).
 * - unprocessed-keys (BatchGetItem only): the real request runs, and its answer comes back with
 *   every key in UnprocessedKeys (what capacity limits do to a BatchGetItem).
 *
 * The middleware sits at the 'deserialize' step, below the SDK's retry middleware
 * ('finalizeRequest'): every SDK attempt passes through it, and the retry middleware sees the
 * injected errors exactly as it would see real ones. It reads the serialised request (raw
 * AttributeValues); the document client's DocumentUnmarshall sits below it (next to the
 * deserialiser), so an answer it returns is already in the document client's plain form.
 *
 * `after: true` is a response lost after the write: the real request is sent and DynamoDB applies
 * it, then its answer (success or error) is thrown away and the fault is raised instead.
 */
import { randomUUID } from 'node:crypto';
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/store/dynamodb/client';

/** The low-level command names, as the middleware context reports them. */
export type CommandName =
  | 'BatchGetItemCommand'
  | 'BatchWriteItemCommand'
  | 'TransactWriteItemsCommand'
  | 'UpdateItemCommand'
  | 'PutItemCommand'
  | 'DeleteItemCommand'
  | 'GetItemCommand'
  | 'QueryCommand';

export type FaultKind =
  | 'throttling'
  | 'provisioned-throughput'
  | 'transaction-conflict'
  | 'transaction-throttled'
  | 'timeout'
  | 'connection-reset'
  | 'connection-refused'
  | 'internal-server-error'
  | 'unprocessed-keys';

export interface FaultPlan {
  /** The command(s) this plan hits; '*' for all of them. */
  readonly command: CommandName | readonly CommandName[] | '*';
  readonly fault: FaultKind;
  /** Let this many matching requests through first (counted per plan). */
  readonly skip?: number;
  /** Fault the next `times` matching requests; every one when neither this nor `forMs` is given. */
  readonly times?: number;
  /** Fault every matching request for this long after the first faulted one ("DynamoDB down for a while"). */
  readonly forMs?: number;
  /** Send the real request first, then lose its answer and raise the fault (a crash after the write). */
  readonly after?: boolean;
}

/** One request that reached the injector: every SDK attempt is one. */
export interface SentRequest {
  readonly command: string;
  readonly faulted: FaultKind | undefined;
  /** The outcome DynamoDB gave, for requests that were really sent: 'ok' or the error's name. */
  readonly realOutcome: string | undefined;
}

/** Marks every message of an injected error, so tests can check it never reaches a client. */
export const INJECTED_MARK = '[injected fault]';

interface ActivePlan {
  readonly plan: FaultPlan;
  seen: number;
  faulted: number;
  windowEnds: number | undefined;
}

type RawRequest = { body?: unknown };

/** The JSON body of a serialised request (this SDK sends it as bytes). */
function requestJson(request: unknown): Record<string, unknown> {
  const body = (request as RawRequest | undefined)?.body;
  const text = typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
  if (text === undefined) throw new Error('fault injector: the request has no JSON body to read');
  return JSON.parse(text) as Record<string, unknown>;
}

function metadata(httpStatusCode: number) {
  return { httpStatusCode, requestId: `injected-${randomUUID()}`, attempts: 1, totalRetryDelay: 0 };
}

/** A fresh error per request (the retry middleware writes $metadata into the one it sees). */
export function makeFault(fault: Exclude<FaultKind, 'unprocessed-keys'>, command: string, request: unknown): Error {
  switch (fault) {
    case 'throttling':
      return new ThrottlingException({ message: `Throughput exceeds the current capacity of your table or index. ${INJECTED_MARK}`, $metadata: metadata(400) });
    case 'provisioned-throughput':
      return new ProvisionedThroughputExceededException({
        message: `The level of configured provisioned throughput for the table was exceeded. ${INJECTED_MARK}`,
        $metadata: metadata(400),
      });
    case 'transaction-conflict':
    case 'transaction-throttled': {
      const code = fault === 'transaction-conflict' ? 'TransactionConflict' : 'ThrottlingError';
      if (command !== 'TransactWriteItemsCommand') {
        return new TransactionConflictException({ message: `Transaction is ongoing for the item ${INJECTED_MARK}`, $metadata: metadata(400) });
      }
      const actions = Array.isArray(requestJson(request).TransactItems) ? (requestJson(request).TransactItems as unknown[]).length : 1;
      const reasons = Array.from({ length: actions }, (_, i) => (i === 0 ? { Code: code, Message: `${code} ${INJECTED_MARK}` } : { Code: 'None' }));
      return new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}] ${INJECTED_MARK}`,
        Message: `Transaction cancelled ${INJECTED_MARK}`,
        CancellationReasons: reasons,
        $metadata: metadata(400),
      });
    }
    case 'timeout':
      return Object.assign(new Error(`@smithy/node-http-handler - [ERROR] a request has exceeded the configured 5000 ms requestTimeout. ${INJECTED_MARK}`), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      });
    case 'connection-reset':
      return Object.assign(new Error(`read ECONNRESET ${INJECTED_MARK}`), { name: 'TimeoutError', code: 'ECONNRESET', errno: -104, syscall: 'read' });
    case 'connection-refused':
      return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:8000 ${INJECTED_MARK}`), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    case 'internal-server-error':
      return new InternalServerError({ message: `Internal server error ${INJECTED_MARK}`, $metadata: metadata(500) });
  }
}

type RawKey = Record<string, { S?: string; N?: string }>;

/** A key as the document client gives it back (key attributes here are strings or numbers). */
function plainKey(key: RawKey): Record<string, string | number> {
  return Object.fromEntries(Object.entries(key).map(([name, value]) => [name, value.S ?? Number(value.N)]));
}

/** A BatchGetItem answer with nothing read and every requested key unprocessed. */
function allUnprocessed(request: unknown, output: Record<string, unknown>): Record<string, unknown> {
  const requestItems = (requestJson(request).RequestItems ?? {}) as Record<string, { Keys: RawKey[] }>;
  return {
    ...output,
    Responses: Object.fromEntries(Object.keys(requestItems).map((table) => [table, []])),
    UnprocessedKeys: Object.fromEntries(Object.entries(requestItems).map(([table, entry]) => [table, { ...entry, Keys: entry.Keys.map(plainKey) }])),
  };
}

export class FaultInjector {
  readonly #plans: ActivePlan[] = [];
  readonly #sent: SentRequest[] = [];

  constructor(readonly client: DynamoDBDocumentClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        const active = this.#match(command);
        if (!active) {
          try {
            const result = await next(args);
            this.#sent.push({ command, faulted: undefined, realOutcome: 'ok' });
            return result;
          } catch (error) {
            this.#sent.push({ command, faulted: undefined, realOutcome: error instanceof Error ? error.name : String(error) });
            throw error;
          }
        }
        const { fault } = active.plan;
        if (fault === 'unprocessed-keys') {
          const result = await next(args);
          this.#sent.push({ command, faulted: fault, realOutcome: 'ok' });
          return { ...result, output: allUnprocessed(args.request, result.output as Record<string, unknown>) } as typeof result;
        }
        let realOutcome: string | undefined;
        if (active.plan.after) {
          try {
            await next(args);
            realOutcome = 'ok';
          } catch (error) {
            realOutcome = error instanceof Error ? error.name : String(error);
          }
        }
        this.#sent.push({ command, faulted: fault, realOutcome });
        throw makeFault(fault, command, args.request);
      },
      { step: 'deserialize', priority: 'high', name: 'testFaultInjector', tags: ['TEST_FAULT_INJECTOR'] },
    );
  }

  /** Adds plans (the first one still active that matches a request decides its fault). */
  arm(...plans: FaultPlan[]): this {
    for (const plan of plans) this.#plans.push({ plan, seen: 0, faulted: 0, windowEnds: undefined });
    return this;
  }

  /** Removes every plan: requests go through untouched from now on. */
  disarm(): this {
    this.#plans.length = 0;
    return this;
  }

  /** The requests that reached the injector (one per SDK attempt), optionally of one command. */
  sent(command?: CommandName): readonly SentRequest[] {
    return command === undefined ? [...this.#sent] : this.#sent.filter((request) => request.command === command);
  }

  /** How many requests of this command went out (every SDK attempt counts). */
  attempts(command: CommandName): number {
    return this.sent(command).length;
  }

  /** How many requests got a fault (of one command, or of any). */
  faults(command?: CommandName): number {
    return this.sent(command).filter((request) => request.faulted !== undefined).length;
  }

  destroy(): void {
    this.client.destroy();
  }

  #match(command: string): ActivePlan | undefined {
    for (const active of this.#plans) {
      const { plan } = active;
      const hits = plan.command === '*' || (typeof plan.command === 'string' ? plan.command === command : plan.command.includes(command as CommandName));
      if (!hits) continue;
      active.seen++;
      if (active.seen <= (plan.skip ?? 0)) continue;
      if (plan.forMs !== undefined) {
        active.windowEnds ??= Date.now() + plan.forMs;
        if (Date.now() >= active.windowEnds) continue;
      } else if (plan.times !== undefined && active.faulted >= plan.times) {
        continue;
      }
      active.faulted++;
      return active;
    }
    return undefined;
  }
}

/** Adds the fault injector to an existing document client (its own, not a shared one). */
export function injectFaults(client: DynamoDBDocumentClient): FaultInjector {
  return new FaultInjector(client);
}

/**
 * A new document client for the run's DynamoDB Local, configured as the Lambdas' (lib/store/dynamodb/client.ts), with the
 * injector. Its calls are the object function's (`appId`), so the IAM guard checks them against that function's role.
 */
export function faultyDocumentClient(endpoint = process.env.TEST_DYNAMODB_ENDPOINT, appId = OBJECT_FUNCTION_APP_ID): FaultInjector {
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run these tests through jest (test/setup starts the local stack)');
  return injectFaults(createDocumentClient({ endpoint, region: 'eu-west-1', appId }));
}

/** The object function's name in its SDK's User-Agent under the local stage (serverless.yml AWS_SDK_UA_APP_ID). */
export const OBJECT_FUNCTION_APP_ID = 'odoo-rest-lambda-local-object';
