/**
 * Structured logs: one JSON object per line, written by Powertools for AWS Lambda's Logger, with
 * the function (`service`), the Lambda invocation (`function_request_id`, `cold_start`,
 * `xray_trace_id`) once a handler has started one, and the request's own keys (`requestId`,
 * `clientId`) from the child runHttp makes for it.
 * Callers pass only what is safe to keep: never a token, a secret, a signature or a header value.
 */
import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Powertools appends its usage tag (`PT/NO-OP/<version>/PTEnv/<env>`) to AWS_SDK_UA_APP_ID when
 * first imported. That variable is how each function names itself in the SDK's User-Agent
 * (serverless.yml: CloudTrail and DynamoDB's logs tell the functions apart by it, and
 * test/setup/iam-guard.ts checks each call against the caller's role), so it is put back as it was.
 */
export function withoutPowertoolsTag(appId: string | undefined): string | undefined {
  const own = appId?.replace(/(^|\/)PT\/NO-OP\/[^/]*\/PTEnv\/[^/]*$/, '');
  return own === '' ? undefined : own;
}

const sdkAppId = withoutPowertoolsTag(process.env.AWS_SDK_UA_APP_ID);
if (sdkAppId === undefined) delete process.env.AWS_SDK_UA_APP_ID;
else process.env.AWS_SDK_UA_APP_ID = sdkAppId;

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** What Lambda passes a handler as its second argument (aws-lambda's Context), as the logger reads it. */
export type InvocationContext = Parameters<PowertoolsLogger['addContext']>[0];

/** The container's logger, the one a handler tells when an invocation starts. */
export interface FunctionLogger extends Logger {
  /**
   * A new invocation: its Lambda context on every line from now on (every child included, those
   * made at module scope too), and whatever keys the previous one appended dropped. Without a
   * context (a handler called directly, as some tests do) the lines carry none.
   */
  startInvocation(context?: InvocationContext): void;
}

/**
 * An error as log fields: its stable code (or its name: class names are minified in the bundles,
 * SDK error names are not), message, the top of its stack, and its cause's; never the raw object.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const label = (e: Error & { code?: unknown }) => (typeof e.code === 'string' ? e.code : e.name);
  const cause = error.cause instanceof Error ? { cause: `${label(error.cause)}: ${error.cause.message}` } : {};
  return {
    error: `${label(error)}: ${error.message}`,
    stack: error.stack?.split('\n').slice(1, 6).join('\n'),
    ...cause,
  };
}

/**
 * Where a function is, from the name Lambda (and serverless-offline) gives it: serverless.yml's
 * functions are `odoo-rest-lambda-<stage>-<key>`, and the keys have no hyphen. STAGE, when set,
 * names the stage outright. Anything else (a script, a test) is the whole service.
 */
export function functionNames(env: NodeJS.ProcessEnv = process.env): { service: string; stage: string } {
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? '';
  const prefix = `${SERVICE}-`;
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
  const cut = rest.lastIndexOf('-');
  const parsed = cut > 0 ? { service: rest.slice(cut + 1), stage: rest.slice(0, cut) } : undefined;
  return {
    service: parsed?.service || name || SERVICE,
    stage: env.STAGE || parsed?.stage || 'unknown',
  };
}

const SERVICE = 'odoo-rest-lambda';

/**
 * Powertools' standard keys (as its own formatter names them), the level lower-case as these lines
 * always had it (Lambda's log-level filtering reads any case), and neither the function's ARN nor
 * its memory size, which say nothing a log group does not.
 */
class LineFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const lambda = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: lambda?.coldStart,
        function_name: lambda?.functionName,
        function_request_id: lambda?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

/** Powertools' Logger writing each line through `write` rather than a Console of its own. */
class LineLogger extends PowertoolsLogger {
  // Not a #private field: Powertools may print (a warning about its settings) from its own
  // constructor, before this class's fields exist; it then prints to stdout as usual.
  private write?: (line: string) => void;

  constructor(serviceName: string, write: (line: string) => void) {
    super({ serviceName, logFormatter: new LineFormatter() });
    this.write = write;
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (this.write === undefined) return super.printLog(logLevel, log);
    log.prepareForPrint();
    this.write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

const toStdout = (line: string) => void process.stdout.write(`${line}\n`);

/**
 * The logger of a function: `base.service` names it (by default the function Lambda runs, see
 * functionNames), every other key of `base` is on each line. `write` takes each line (stdout by
 * default, where Lambda collects them; the tests keep them in memory).
 */
export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = toStdout,
): FunctionLogger {
  const { service, ...fields } = base;
  const powertools = new LineLogger(typeof service === 'string' ? service : functionNames().service, write);
  return {
    ...withFields(powertools, fields),
    startInvocation(context) {
      powertools.resetKeys();
      powertools.refreshSampleRateCalculation();
      if (context) powertools.addContext(context);
    },
  };
}

/**
 * Children share their parent's Powertools logger, so the invocation a handler started is on
 * their lines too, and only add keys of their own: a request's keys live in the child made for
 * it and so can never reach the next request's lines.
 */
function withFields(powertools: PowertoolsLogger, base: Record<string, unknown>): Logger {
  const keys = (fields?: Record<string, unknown>) => ({ ...base, ...fields });
  return {
    info: (message, fields) => powertools.info(message, keys(fields)),
    warn: (message, fields) => powertools.warn(message, keys(fields)),
    error: (message, fields) => powertools.error(message, keys(fields)),
    child: (fields) => withFields(powertools, { ...base, ...fields }),
  };
}
