/**
 * GET /restapi/1.0/usage?from=...&to=...&granularity=hour|day: the calling client's own usage, from
 * the ledger (lib/metering/report.ts), and what is left of its plan now — JSON or XML as every
 * answer. Reading one's usage is not itself billed; it carries the RateLimit headers all the same.
 */
import { AuthenticationRequiredError, withAnswerHeaders } from '../errors';
import type { ApiRequest, ApiResult } from '../http';
import { OAUTH1_SIGNATURE_CONTEXT_KEY, OAUTH1_SIGNATURE_PENDING } from '../auth/oauth1/flow';
import { currentRateLimitHeaders, type MeterDeps } from '../metering/meter';
import { PLAN_CONTEXT_KEY, describePlan, planFromContext } from '../metering/plan';
import { granularityOf, usagePeriod, usageReport, type UsageReport } from '../metering/report';
import type { PyDict, PyValue } from '../wire/pyvalue';
import { callerOf } from './caller';

const dict = (entries: Record<string, PyValue>): PyDict => new Map(Object.entries(entries));

/** The report as the answer's payload: snake_case keys, as the rest of the API's payloads. */
function reportPayload(report: UsageReport, plan: string): PyDict {
  return dict({
    usage: dict({
      client_id: report.clientId,
      from: report.period.fromHour,
      to: report.period.toHour,
      granularity: report.granularity,
      plan,
      rows: report.rows.map((row) =>
        dict({
          period: row.hour,
          model: row.model,
          method: row.method,
          outcome: row.outcome,
          calls: row.calls,
          units: row.units,
        }),
      ),
      totals: dict({
        calls: report.totals.calls,
        units: report.totals.units,
        billable_calls: report.totals.billableCalls,
        billable_units: report.totals.billableUnits,
      }),
      limits: report.limits.map((limit) =>
        dict({
          policy: limit.policy,
          quota: limit.quota,
          used: limit.used,
          remaining: limit.remaining,
          resets_at: limit.resetsAt,
        }),
      ),
    }),
  });
}

/** The last value of a query parameter, raw (the dates and the granularity are plain text). */
const queryValue = (request: ApiRequest, name: string): string | undefined => request.query.get(name)?.at(-1);

export async function routeUsageRequest(deps: { readonly meter: MeterDeps }, request: ApiRequest): Promise<ApiResult> {
  const caller = callerOf(request);
  // A signature over a form body is checked by the object function only; this route takes none.
  if (request.authorizer[OAUTH1_SIGNATURE_CONTEXT_KEY] === OAUTH1_SIGNATURE_PENDING)
    throw new AuthenticationRequiredError('OAuth 1.0a signature over a form body on the usage route');
  const plan = planFromContext(request.authorizer[PLAN_CONTEXT_KEY]);
  // Every answer carries the plan's RateLimit fields, a refused period's 400 too.
  const headers = () => currentRateLimitHeaders(deps.meter, caller.clientId, plan).catch(() => ({}));
  try {
    const now = deps.meter.now?.() ?? new Date();
    const period = usagePeriod(queryValue(request, 'from'), queryValue(request, 'to'), now);
    const granularity = granularityOf(queryValue(request, 'granularity'));
    const [report, rateLimit] = await Promise.all([
      usageReport(deps.meter, caller.clientId, plan, period, granularity),
      headers(),
    ]);
    return { status: 200, payload: reportPayload(report, describePlan(plan)), headers: rateLimit };
  } catch (error) {
    throw withAnswerHeaders(error, await headers());
  }
}
