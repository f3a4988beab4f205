/**
 * The error taxonomy. Every failure a client can cause is one of these classes, with a stable
 * machine-readable `code` and the HTTP `status` it maps to; lib/http/respond.ts turns them into responses
 * (the only place that knows response shapes). Anything else that escapes is an internal error and
 * becomes a bare 500 whose body never shows the cause.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_LITERAL'
  | 'INVALID_XML'
  | 'INVALID_IDS'
  | 'TOO_MANY_IDS'
  | 'AUTHENTICATION_REQUIRED'
  | 'OAUTH_ERROR'
  | 'ACCESS_DENIED'
  | 'INVALID_FIELD'
  | 'INVALID_VALUE'
  | 'MODEL_NOT_FOUND'
  | 'RECORD_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'WRITE_CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'REQUEST_TOO_EXPENSIVE'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'INTERNAL';

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  /**
   * Headers the answer to this error carries beside its own (the plan's RateLimit fields, which
   * every answer of a metered call carries): set by the layer that knows them (withAnswerHeaders).
   */
  answerHeaders: Readonly<Record<string, string>> = {};

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: input that cannot even be parsed (DESIGN §1). */
export class BadRequestError extends AppError {
  readonly code: ErrorCode = 'BAD_REQUEST';
  readonly status = 400;
}

/** A parameter given twice: ambiguous, hence a 400 rather than a guess at which one was meant. */
export function paramGivenTwice(name: string): BadRequestError {
  return new BadRequestError(`Parameter '${name}' is given more than once`);
}

/** 400: a Python/JSON literal parameter that does not parse; says where parsing stopped. */
export class InvalidLiteralError extends AppError {
  readonly code = 'INVALID_LITERAL' as const;
  readonly status = 400;

  constructor(
    readonly reason: string,
    readonly position: number,
    readonly param?: string,
  ) {
    super(
      `${param === undefined ? 'Cannot parse value' : `Cannot parse '${param}'`}: ${reason} at position ${position}`,
    );
  }

  /** The same error, naming the request parameter it came from. */
  forParam(param: string): InvalidLiteralError {
    return new InvalidLiteralError(this.reason, this.position, param);
  }
}

/** 400: an XML request body that is not well-formed or not in the accepted shape; says where. */
export class InvalidXmlError extends AppError {
  readonly code = 'INVALID_XML' as const;
  readonly status = 400;

  constructor(
    readonly reason: string,
    /** Offset in the body (UTF-16 code units), and the same place as line and column, both from 1. */
    readonly position: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`Cannot parse the XML body: ${reason} at line ${line}, column ${column}`);
  }
}

export class InvalidIdsError extends AppError {
  readonly code = 'INVALID_IDS' as const;
  readonly status = 400;
}

export class TooManyIdsError extends AppError {
  readonly code = 'TOO_MANY_IDS' as const;
  readonly status = 400;

  constructor(
    readonly count: number,
    readonly limit: number,
  ) {
    super(`Too many ids: ${count} given, at most ${limit} records can be written in one all-or-nothing request`);
  }
}

/** 401 from the object API. The body is always the generic Odoo text; the reason is only logged. */
export class AuthenticationRequiredError extends AppError {
  readonly code = 'AUTHENTICATION_REQUIRED' as const;
  readonly status = 401;

  /**
   * `reason` is only logged; `message` is what the client reads (Odoo's generic text unless there
   * is something to say).
   */
  constructor(
    readonly reason = 'no valid credentials',
    message = 'Authentication required',
  ) {
    super(message);
  }
}

/** RFC 6749 §5.2's error codes, which the token endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/**
 * An error of the token endpoints (RFC 6749 §5.2): 400, or 401 for invalid_client. The body
 * carries both the RFC's `error`/`error_description` and the original's `code`/`message`.
 */
export class OAuthError extends AppError {
  readonly code = 'OAUTH_ERROR' as const;
  readonly status: 400 | 401;

  constructor(
    readonly oauthError: OAuthErrorCode,
    description: string,
  ) {
    super(description);
    this.status = oauthError === 'invalid_client' ? 401 : 400;
  }
}

/** 401 from the token endpoints: unknown client or wrong secret (never says which). */
export class InvalidClientError extends OAuthError {
  constructor() {
    super('invalid_client', 'Invalid Credentials.');
  }
}

/** 403: the caller may not do this (Odoo's AccessError). */
export class AccessDeniedError extends AppError {
  readonly code = 'ACCESS_DENIED' as const;
  readonly status = 403;
}

/** 403: a field name the model does not have (Odoo's ValueError text). */
export class InvalidFieldError extends AppError {
  readonly code = 'INVALID_FIELD' as const;
  readonly status = 403;

  constructor(
    readonly field: string,
    readonly model: string,
  ) {
    super(`Invalid field ${pyRepr(field)} on model ${pyRepr(model)}`);
  }
}

/** 403: a value the field cannot take (wrong type, not in the selection, missing target...). */
export class InvalidValueError extends AppError {
  readonly code = 'INVALID_VALUE' as const;
  readonly status = 403;
}

/** 404: the model does not exist. */
export class ModelNotFoundError extends AppError {
  readonly code = 'MODEL_NOT_FOUND' as const;
  readonly status = 404;

  constructor(readonly model: string) {
    super(`Object ${model} doesn't exist`);
  }
}

/** 404: some of the ids do not exist; names them the way Odoo prints a recordset. */
export class RecordNotFoundError extends AppError {
  readonly code = 'RECORD_NOT_FOUND' as const;
  readonly status = 404;

  constructor(
    readonly model: string,
    readonly missingIds: readonly number[],
  ) {
    super(`Record not found: ${model}(${missingIds.join(', ')})`);
  }
}

/** 404: a search found nothing. The original answers an empty result this way, not with []. */
export class NoRecordFoundError extends AppError {
  readonly code = 'RECORD_NOT_FOUND' as const;
  readonly status = 404;

  constructor() {
    super('Record not found');
  }
}

/** 404: no such route. */
export class RouteNotFoundError extends AppError {
  readonly code = 'ROUTE_NOT_FOUND' as const;
  readonly status = 404;

  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`No route for ${method} ${path}`);
  }
}

export class MethodNotAllowedError extends AppError {
  readonly code = 'METHOD_NOT_ALLOWED' as const;
  readonly status = 405;

  constructor(
    readonly method: string,
    readonly allowed: readonly string[],
  ) {
    super(`Method ${method} is not allowed here; use ${allowed.join(', ')}`);
  }
}

/** 409: the records kept changing under us; the bounded retries ran out. Nothing was written. */
export class WriteConflictError extends AppError {
  readonly code = 'WRITE_CONFLICT' as const;
  readonly status = 409;
}

/**
 * 412: a conditional write whose condition did not hold on the records as read (a `where` domain
 * they do not all match, an If-Match naming another version). Nothing was written; the message
 * names the records that failed it.
 */
export class PreconditionFailedError extends AppError {
  readonly code = 'PRECONDITION_FAILED' as const;
  readonly status = 412;
}

/** 422: an Idempotency-Key already used for another request (the draft's answer to key reuse). */
export class IdempotencyKeyReusedError extends AppError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  readonly status = 422;

  constructor() {
    super(
      'This Idempotency-Key was used for a different request in the last 24 hours; send a new key with a new request',
    );
  }
}

/**
 * 400: a request whose reads would pass the per-request budget of DynamoDB requests or items read
 * (lib/records/budget.ts), ended before the Lambda would time out. Odoo has no equivalent (its
 * queries run as long as PostgreSQL takes). A 400, as the transaction limit's is: the request
 * itself is too big, and sending it again costs the same (a 429 would invite that); the message
 * names the limit and what was spent.
 */
export class RequestTooExpensiveError extends AppError {
  readonly code = 'REQUEST_TOO_EXPENSIVE' as const;
  readonly status = 400;

  constructor(
    readonly limit: { readonly what: 'DynamoDB requests' | 'items read'; readonly max: number },
    readonly spent: { readonly requests: number; readonly items: number },
  ) {
    super(
      `This request needs more than ${limit.max} ${limit.what}, the most one request may spend ` +
        `(${spent.requests} DynamoDB requests and ${spent.items} items read so far); nothing was written. ` +
        'Narrow it: fewer or shorter dotted paths and name searches in the domain, or a smaller model to walk',
    );
  }
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'PAYLOAD_TOO_LARGE' as const;
  readonly status = 413;
}

/** 413: a write that would make a record pass DynamoDB's 400 KB item size. Nothing was written. */
export class RecordTooLargeError extends PayloadTooLargeError {
  constructor(options?: ErrorOptions) {
    super('The record would exceed the 400 KB DynamoDB item size limit', options);
  }
}

export class UriTooLongError extends AppError {
  readonly code = 'URI_TOO_LONG' as const;
  readonly status = 414;
}

/** 503: DynamoDB throttled or was unavailable after bounded retries; the client should retry. */
export class ServiceUnavailableError extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE' as const;
  readonly status = 503;

  constructor(
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super('The service is busy; retry later', options);
  }
}

/**
 * 429: the caller's plan allows no more now (lib/metering): its rate (RATE_LIMITED: the window
 * resets in seconds) or its daily or monthly quota (QUOTA_EXCEEDED). Nothing was written and no
 * quota used; Retry-After says when the call can succeed.
 */
export class TooManyRequestsError extends AppError {
  readonly status = 429;

  constructor(
    readonly code: 'RATE_LIMITED' | 'QUOTA_EXCEEDED',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** `error` with `headers` added to those its answer carries; anything but an AppError as it is. */
export function withAnswerHeaders(error: unknown, headers: Readonly<Record<string, string>>): unknown {
  if (error instanceof AppError) error.answerHeaders = { ...error.answerHeaders, ...headers };
  return error;
}

// ---------------------------------------------------------------------------------------------
// Internal outcomes: not a client's doing, so no status of their own. Each is handled where it is
// caught (a retry, a replay, a refusal at cold start); one that escapes is a bare 500 like any
// other unexpected error, and lib/http logs it whole.

export type InternalErrorCode =
  'TRANSACTION_CANCELLED' | 'IDEMPOTENCY_KEY_CLAIMED' | 'MODEL_DEFINITION' | 'SECRET_DECRYPTION';

export abstract class InternalError extends Error {
  abstract readonly code: InternalErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why one action of a cancelled transaction failed, in request order; 'none' if it did not. */
export type CancellationReason = 'none' | 'condition' | 'conflict' | 'throttled' | 'too-large' | 'other';

/** A transaction that committed nothing, with the reason of each action (the store port's answer). */
export class TransactionCancelledError extends InternalError {
  readonly code = 'TRANSACTION_CANCELLED' as const;

  constructor(
    readonly reasons: readonly CancellationReason[],
    options?: ErrorOptions,
  ) {
    super(`Transaction cancelled: ${reasons.join(', ')}`, options);
  }
}

/**
 * A keyed write found its Idempotency-Key used by an earlier request (before it wrote, or at the
 * commit when they raced): lib/object-api/keyed-call.ts answers as that request did instead.
 */
export class KeyAlreadyClaimedError extends InternalError {
  readonly code = 'IDEMPOTENCY_KEY_CLAIMED' as const;

  constructor() {
    super('The Idempotency-Key was used by another request');
  }
}

/** Thrown at cold start for a model definition that cannot be used. */
export class ModelDefinitionError extends InternalError {
  readonly code = 'MODEL_DEFINITION' as const;

  constructor(model: string, problem: string) {
    super(`Invalid model definition ${model}: ${problem}`);
  }
}

/**
 * A sealed secret did not open: tampered, truncated, sealed under another key or for another
 * record, or not a sealed secret at all. Deliberately not an AppError: nothing of it reaches a client.
 */
export class SecretDecryptionError extends InternalError {
  readonly code = 'SECRET_DECRYPTION' as const;
}

/** Python's repr() of a str, as Odoo's messages show names ('x', or "it's"). */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '\\') body += '\\\\';
    else if (char === quote) body += `\\${quote}`;
    else if (char === '\n') body += '\\n';
    else if (char === '\r') body += '\\r';
    else if (char === '\t') body += '\\t';
    // Python escapes what str.isprintable() refuses: controls, format, surrogates, separators but space.
    else if (char !== ' ' && /[\p{C}\p{Z}]/u.test(char)) body += pyEscape(code);
    else body += char;
  }
  return `${quote}${body}${quote}`;
}

function pyEscape(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}
