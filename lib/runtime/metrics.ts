/**
 * Call metrics as CloudWatch embedded metrics (EMF): one JSON line per call that CloudWatch Logs
 * turns into metrics, so operators get dashboards and alarms without parsing the logs and without
 * a PutMetricData call (or its IAM permission, or its latency) in the request path.
 *
 * Per call: `calls` (Count, 1), `clientErrors` (Count, 1 for a 4xx), `serverErrors` (Count, 1 for
 * a 5xx) and `latency` (Milliseconds). The errors are 0 otherwise, so that their Average is the
 * error rate; 4xx and 5xx apart because a 4xx is the client's doing (an alarm on it would page
 * for a client's bug) and a 5xx is ours.
 *
 * Dimensions. CloudWatch bills each metric name per unique combination of dimension values, so
 * the dimensions are a few bounded sets, each answering one question, and never one set holding
 * them all (clients x models x methods would multiply):
 * - {service, stage}: each function as a whole (the alarms: 5xx, latency);
 * - {service, stage, model, method}: what is called (when the route names both);
 * - {service, stage, clientId}: who calls, per client (pay-per-call products bill by it).
 * `service` is the function (object, token, authorizer...), `stage` the deployment; the namespace
 * is the application's. Label values must come from bounded sets (a model of the registry, a
 * method of the table, an authenticated client id), never from raw input: each new value is a
 * new billed metric.
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { errorFields, functionNames, type Logger } from './log';

export const METRICS_NAMESPACE = 'odoo-rest-lambda';

/** What a call was, for its dimensions; each label is left out when unknown. */
export interface CallLabels {
  readonly clientId?: string;
  readonly model?: string;
  readonly method?: string;
}

export interface Call extends CallLabels {
  readonly status: number;
  /** Time from the event in to the response out, milliseconds. */
  readonly ms: number;
}

export interface CallMetrics {
  /**
   * Emits the call's metrics at once (one EMF line): nothing is held over to a later invocation.
   * Never throws: a metric is for operators and must not change the answer.
   */
  recordCall(call: Call): void;
}

/** Records nothing: the local stage, the tests, a function that does not measure. */
export const NO_METRICS: CallMetrics = { recordCall: () => undefined };

/**
 * Whether this function emits metrics. POWERTOOLS_METRICS_DISABLED (Powertools' own switch: true
 * or false) decides when set; otherwise everything but serverless-offline does (it sets
 * IS_OFFLINE: npm start and the local-stack tests, where an EMF line per request would only drown
 * the logs a developer reads and nobody collects the metrics).
 */
export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const disabled = (env.POWERTOOLS_METRICS_DISABLED ?? '').trim().toLowerCase();
  if (disabled !== '') return !['1', 'true', 'yes', 'on'].includes(disabled);
  return !env.IS_OFFLINE;
}

export interface CallMetricsOptions {
  /** The function, the `service` dimension. */
  readonly service: string;
  readonly stage: string;
  /** Where Powertools says what is wrong with a metric (an invalid dimension value, say). */
  readonly log?: Logger;
}

// Dimension values: printable ASCII (CloudWatch's rule), and short; a label never carries more.
const MAX_LABEL = 128;
const label = (value: string | undefined): string | undefined => {
  const printable = value?.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_LABEL);
  return printable?.trim() ? printable : undefined;
};

export function createCallMetrics({ service, stage, log }: CallMetricsOptions): CallMetrics {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: service,
    defaultDimensions: { stage },
    ...(log ? { logger: genericLogger(log) } : {}),
  });
  return {
    recordCall({ clientId, model, method, status, ms }) {
      try {
        // Each dimension set gets every metric of the line: three sets, at most, per call.
        metrics.addDimensions({});
        const [modelLabel, methodLabel, clientLabel] = [label(model), label(method), label(clientId)];
        if (modelLabel && methodLabel) metrics.addDimensions({ model: modelLabel, method: methodLabel });
        if (clientLabel) metrics.addDimensions({ clientId: clientLabel });
        metrics.addMetric('calls', MetricUnit.Count, 1);
        metrics.addMetric('clientErrors', MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
        metrics.addMetric('serverErrors', MetricUnit.Count, status >= 500 ? 1 : 0);
        metrics.addMetric('latency', MetricUnit.Milliseconds, Math.round(ms * 100) / 100);
        // In the line, not a dimension: searchable in the logs at no metric cost.
        metrics.addMetadata('status', String(status));
        metrics.publishStoredMetrics();
      } catch (error) {
        // Nothing of a failed call is left for the next one to publish.
        metrics.clearMetrics();
        metrics.clearDimensions();
        metrics.clearMetadata();
        log?.warn('call metric failed', errorFields(error));
      }
    },
  };
}

/** How a call ended, for its metrics: the status it amounts to and the labels it has. */
export type CallOutcome<T> = (ended: { readonly value: T } | { readonly error: unknown }) => Omit<Call, 'ms'>;

/**
 * Runs `run` and records it as one call, whether it returns or throws (and then throws on); for
 * a function that is not an HTTP route (the authorizer), whose result `outcome` reads as a status.
 */
export async function recordedCall<T>(
  metrics: CallMetrics,
  run: () => Promise<T>,
  outcome: CallOutcome<T>,
): Promise<T> {
  const started = performance.now();
  const record = (ended: Parameters<CallOutcome<T>>[0]) =>
    metrics.recordCall({ ...outcome(ended), ms: performance.now() - started });
  let value: T;
  try {
    value = await run();
  } catch (error) {
    record({ error });
    throw error;
  }
  record({ value });
  return value;
}

/** Powertools' warnings about metrics, as lines of the function's own log. */
function genericLogger(log: Logger) {
  const say = (level: 'info' | 'warn' | 'error') => (message: unknown) => log[level](String(message));
  return { debug: () => undefined, info: say('info'), warn: say('warn'), error: say('error') };
}

let shared: CallMetrics | undefined;

/**
 * The container's call metrics: this function (from the name Lambda gives it) on this stage, or
 * NO_METRICS where metricsEnabled says so. Built on first use, as the other singletons.
 */
export function callMetrics(log?: Logger): CallMetrics {
  shared ??= metricsEnabled() ? createCallMetrics({ ...functionNames(), ...(log ? { log } : {}) }) : NO_METRICS;
  return shared;
}
