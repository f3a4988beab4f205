/**
 * A client's plan: how fast it may call (a rate with a burst) and how much (quotas per day and per
 * month), in units. Set by the admin CLI (`set-plan`), kept on the client's item in the auth
 * table, and handed by the authorizer to the functions in its context (PLAN_CONTEXT_KEY), so a
 * call learns its limits without a read of its own. A client without a plan is not limited, and
 * still counted in the usage ledger.
 */
export interface Plan {
  /**
   * At most `burst` units in each window of `burst / perSecond` seconds (rounded, at least one):
   * `perSecond` on average, `burst` at once. Fixed windows, counted exactly in DynamoDB (windows.ts).
   */
  readonly rate?: { readonly perSecond: number; readonly burst: number };
  /** Units per UTC day. */
  readonly quotaDay?: number;
  /** Units per UTC calendar month. */
  readonly quotaMonth?: number;
  /** Writes and unlinks cost their units once per record they name (a create is one record). */
  readonly perRecord?: boolean;
  /** Units per call (or per record, with perRecord) by method name; 1 for any method not named. */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * Deployed stages: the API Gateway usage plan this client's calls are metered under as a coarse
   * backstop (lib/metering/gateway.ts), and the value of the API key the authorizer returns as
   * usageIdentifierKey. Never on the local stage.
   */
  readonly gateway?: { readonly usagePlanId: string; readonly apiKeyId: string; readonly apiKeyValue: string };
}

/** The authorizer context key that carries the plan (planToContext). */
export const PLAN_CONTEXT_KEY = 'plan';

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const isPositiveNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

/** Why a plan is not one (for the admin CLI's message), or undefined when it is. */
export function planProblem(plan: Plan): string | undefined {
  if (plan.rate) {
    if (!isPositiveNumber(plan.rate.perSecond)) return 'the rate must be a positive number of units per second';
    if (!isPositiveInteger(plan.rate.burst)) return 'the burst must be a positive whole number of units';
  }
  if (plan.quotaDay !== undefined && !isPositiveInteger(plan.quotaDay))
    return 'the daily quota must be a positive whole number of units';
  if (plan.quotaMonth !== undefined && !isPositiveInteger(plan.quotaMonth))
    return 'the monthly quota must be a positive whole number of units';
  for (const [method, weight] of Object.entries(plan.weights ?? {}))
    if (!/^[a-z_]+$/.test(method) || !isPositiveInteger(weight))
      return `the weight of '${method}' must be a method name and a positive whole number of units`;
  return undefined;
}

/** The plan as stored and as the authorizer passes it on: plain JSON without the gateway key value. */
export function planToContext(plan: Plan | undefined): string {
  if (!plan) return '';
  const { gateway: _gateway, ...limits } = plan;
  return JSON.stringify(limits);
}

/**
 * The plan the authorizer passed on; undefined for none. A context that does not parse as a plan
 * is a bug between the two functions, not the caller's doing: it throws.
 */
export function planFromContext(value: unknown): Plan | undefined {
  if (value === undefined || value === '') return undefined;
  const plan = planFromJson(typeof value === 'string' ? value : '');
  if (!plan) throw new Error('the authorizer context carries no valid plan');
  return plan;
}

/** A plan as JSON (the client item's attribute, or the context), or undefined if it is not one. */
export function planFromJson(text: string): Plan | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return planFromObject(parsed);
}

/** A plan from plain data (as stored on the client item), or undefined if it is not one. */
export function planFromObject(value: unknown): Plan | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const data = value as Record<string, unknown>;
  const rate = data.rate as { perSecond?: unknown; burst?: unknown } | undefined;
  const weights = data.weights;
  const gateway = data.gateway as Record<string, unknown> | undefined;
  const plan: Plan = {
    ...(rate && typeof rate === 'object'
      ? { rate: { perSecond: Number(rate.perSecond), burst: Number(rate.burst) } }
      : {}),
    ...(data.quotaDay !== undefined ? { quotaDay: Number(data.quotaDay) } : {}),
    ...(data.quotaMonth !== undefined ? { quotaMonth: Number(data.quotaMonth) } : {}),
    ...(data.perRecord === true ? { perRecord: true } : {}),
    ...(weights && typeof weights === 'object' && !Array.isArray(weights)
      ? {
          weights: Object.fromEntries(
            Object.entries(weights as Record<string, unknown>).map(([method, units]) => [method, Number(units)]),
          ),
        }
      : {}),
    ...(gateway &&
    typeof gateway.usagePlanId === 'string' &&
    typeof gateway.apiKeyId === 'string' &&
    typeof gateway.apiKeyValue === 'string'
      ? {
          gateway: {
            usagePlanId: gateway.usagePlanId,
            apiKeyId: gateway.apiKeyId,
            apiKeyValue: gateway.apiKeyValue,
          },
        }
      : {}),
  };
  return planProblem(plan) === undefined ? plan : undefined;
}

/** Whether the plan limits anything (a plan of weights alone only prices calls). */
export const isLimited = (plan: Plan | undefined): plan is Plan =>
  plan !== undefined && (plan.rate !== undefined || plan.quotaDay !== undefined || plan.quotaMonth !== undefined);

/**
 * The units a call costs under `plan`: its method's weight (1 by default), times the records it
 * writes or deletes when the plan prices per record. Reads cost per call.
 */
export function unitsOf(plan: Plan | undefined, method: string, writtenRecords: number): number {
  const weight = plan?.weights?.[method] ?? 1;
  return plan?.perRecord && writtenRecords > 0 ? weight * writtenRecords : weight;
}

/** One line for `list-clients`: e.g. `rate 10/s burst 20, 1000/day, 30000/month, per record`. */
export function describePlan(plan: Plan | undefined): string {
  if (!plan) return 'unlimited';
  const parts: string[] = [];
  if (plan.rate) parts.push(`rate ${plan.rate.perSecond}/s burst ${plan.rate.burst}`);
  if (plan.quotaDay !== undefined) parts.push(`${plan.quotaDay}/day`);
  if (plan.quotaMonth !== undefined) parts.push(`${plan.quotaMonth}/month`);
  if (plan.perRecord) parts.push('per record');
  for (const [method, units] of Object.entries(plan.weights ?? {})) parts.push(`${method}=${units}`);
  if (plan.gateway) parts.push(`usage plan ${plan.gateway.usagePlanId}`);
  return parts.length > 0 ? parts.join(', ') : 'unlimited';
}
