/**
 * API Gateway usage plans as a coarse backstop (deployed stages only). The exact limits of a plan
 * are counted in DynamoDB (windows.ts, ledger.ts); API Gateway's usage plans are best effort
 * ("not hard limits": AWS), count requests rather than units, and allow one key per client out of
 * 10,000 per account and Region. So they only stop what is far past the plan: each client's plan
 * maps to a tier whose throttle and quota are looser than the exact ones (twice the rate and the
 * burst, 1.2 times the quota, rounded up), and clients whose limits round to the same tier share
 * one usage plan. A call costs at least one unit, so a tier never refuses what the exact limits
 * allow.
 *
 * The stage has a default usage plan and key (serverless.yml) for the clients without a key of
 * their own; `set-plan` (scripts/admin.ts) gives a client its own key in its tier's usage plan
 * through applyGatewayPlan, and the authorizer returns that key's value as usageIdentifierKey
 * (apiKeySourceType AUTHORIZER). The local stage has no API Gateway: none of this runs there.
 */
import { randomInt } from 'node:crypto';
import type { Plan } from './plan';

/** A usage plan's throttle (requests per second, token bucket) and quota (requests per period). */
export interface GatewayLimits {
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota?: { readonly limit: number; readonly period: 'DAY' | 'MONTH' };
}

/** A REST API's stage, as a usage plan names the stages it meters. */
export interface StageRef {
  readonly restApiId: string;
  readonly stage: string;
}

export interface UsagePlanSummary {
  readonly id: string;
  readonly name: string;
  readonly stages: readonly StageRef[];
}

/** An API key: its id (API Gateway's handle) and its value (what the authorizer returns). */
export interface ApiKeyRef {
  readonly id: string;
  readonly value: string;
}

export interface NewUsagePlan {
  readonly name: string;
  readonly description: string;
  readonly stage: StageRef;
  readonly limits: GatewayLimits;
  readonly tags: Readonly<Record<string, string>>;
}

export interface NewApiKey {
  readonly name: string;
  readonly value: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What applyGatewayPlan needs of API Gateway (lib/store/api-gateway.ts; an in-memory fake in the tests). */
export interface GatewayPort {
  /** Every usage plan of the account and Region; with `keyId`, only those the key belongs to. */
  listUsagePlans(keyId?: string): Promise<readonly UsagePlanSummary[]>;
  createUsagePlan(plan: NewUsagePlan): Promise<UsagePlanSummary>;
  /** The API key of exactly this name, with its value; undefined if there is none. */
  findApiKey(name: string): Promise<ApiKeyRef | undefined>;
  createApiKey(key: NewApiKey): Promise<ApiKeyRef>;
  addKeyToUsagePlan(usagePlanId: string, keyId: string): Promise<void>;
  removeKeyFromUsagePlan(usagePlanId: string, keyId: string): Promise<void>;
  deleteApiKey(keyId: string): Promise<void>;
}

/** The gateway fields stored on the client's plan (Plan.gateway). */
export type GatewayRef = NonNullable<Plan['gateway']>;

/** Where a client's plan is applied: the stack (service, stage) and its REST API. */
export interface GatewayTarget {
  readonly service: string;
  readonly stage: string;
  readonly restApiId: string;
  readonly clientId: string;
}

/** Looser than the exact limits by these factors, so that API Gateway's best effort only stops the runaway. */
const RATE_FACTOR = 2;
const QUOTA_FACTOR_NUMERATOR = 6; // 1.2 = 6 / 5, in integers: 1.2 * n is not always exact in floating point.
const QUOTA_FACTOR_DENOMINATOR = 5;

/**
 * `value` rounded up to a whole number of at most two significant digits (at least 1): 1234 ->
 * 1300. Coarser numbers put more clients in one tier, and a tier is one usage plan (300 per
 * account and Region by default).
 */
export function roundUpCoarsely(value: number): number {
  const whole = Math.max(1, Math.ceil(value));
  if (whole < 100) return whole;
  const step = 10 ** (String(whole).length - 2);
  return Math.ceil(whole / step) * step;
}

/**
 * The usage plan's limits for a client's plan: twice its rate and burst (its fixed windows allow
 * up to two bursts across a window's edge), 1.2 times its daily quota, or of its monthly one when it
 * has no daily quota (a usage plan has one quota). Nothing for what the plan does not limit.
 */
export function gatewayLimits(plan: Plan): GatewayLimits {
  const quota =
    plan.quotaDay !== undefined
      ? { limit: coarseQuota(plan.quotaDay), period: 'DAY' as const }
      : plan.quotaMonth !== undefined
        ? { limit: coarseQuota(plan.quotaMonth), period: 'MONTH' as const }
        : undefined;
  return {
    ...(plan.rate
      ? {
          throttle: {
            rateLimit: roundUpCoarsely(plan.rate.perSecond * RATE_FACTOR),
            burstLimit: roundUpCoarsely(plan.rate.burst * RATE_FACTOR),
          },
        }
      : {}),
    ...(quota ? { quota } : {}),
  };
}

function coarseQuota(units: number): number {
  return roundUpCoarsely((units * QUOTA_FACTOR_NUMERATOR) / QUOTA_FACTOR_DENOMINATOR);
}

/**
 * The tier's usage plan name, from its limits: clients with equal limits share it, e.g.
 * `odoo-rest-lambda-prod-rate20-burst40-day1200`, or `...-unlimited` for a plan that only prices calls.
 */
export function usagePlanName(service: string, stage: string, limits: GatewayLimits): string {
  const parts: string[] = [];
  if (limits.throttle) parts.push(`rate${limits.throttle.rateLimit}`, `burst${limits.throttle.burstLimit}`);
  if (limits.quota) parts.push(`${limits.quota.period.toLowerCase()}${limits.quota.limit}`);
  return `${service}-${stage}-${parts.length > 0 ? parts.join('-') : 'unlimited'}`;
}

/** The name of a client's API key in a stage: one key per client and stage. */
export const apiKeyName = ({ service, stage, clientId }: GatewayTarget): string => `${service}-${stage}-${clientId}`;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A new API key value: 40 alphanumerics (API Gateway takes 20 to 128) from the system's CSPRNG.
 * It is no credential: with the AUTHORIZER key source API Gateway ignores a client's x-api-key, and
 * only the authorizer picks the key a call is metered under; random so no two clients share one.
 */
export function newApiKeyValue(pick: (max: number) => number = randomInt): string {
  let value = '';
  for (let i = 0; i < 40; i += 1) value += ALPHANUMERIC[pick(ALPHANUMERIC.length)];
  return value;
}

const servesStage = (plan: UsagePlanSummary, stage: StageRef): boolean =>
  plan.stages.some((candidate) => candidate.restApiId === stage.restApiId && candidate.stage === stage.stage);

/** The usage plans of this stage the key is in (at most one, as API Gateway allows). */
async function plansOfKeyInStage(port: GatewayPort, keyId: string, stage: StageRef): Promise<UsagePlanSummary[]> {
  return (await port.listUsagePlans(keyId)).filter((plan) => servesStage(plan, stage));
}

/**
 * Puts the client's calls under its plan's tier at API Gateway: finds or creates the tier's usage
 * plan for the stage, creates the client's API key the first time (or finds the one an interrupted
 * run created: its name is the client's), moves the key there from the usage plan it was in, and
 * returns the fields to store on the client's plan. Running it again changes nothing.
 *
 * A key can be in one usage plan per stage only, so a move removes it first: until it is added to
 * the new one (the next call), API Gateway refuses the client's calls (403). If the adding fails,
 * the key goes back where it was, and the error is thrown.
 */
export async function applyGatewayPlan(
  port: GatewayPort,
  { plan, previous, ...target }: GatewayTarget & { readonly plan: Plan; readonly previous: Plan | undefined },
): Promise<GatewayRef> {
  const stage = { restApiId: target.restApiId, stage: target.stage };
  const limits = gatewayLimits(plan);
  const name = usagePlanName(target.service, target.stage, limits);
  const tags = { service: target.service, stage: target.stage };
  const usagePlan =
    (await port.listUsagePlans()).find((candidate) => candidate.name === name && servesStage(candidate, stage)) ??
    (await port.createUsagePlan({
      name,
      description: `${target.service} ${target.stage}: the coarse backstop of the clients whose plans round to this tier (set-plan)`,
      stage,
      limits,
      tags,
    }));

  const keyName = apiKeyName(target);
  // The plan stored before names the client's key; without one, an interrupted run may have made it.
  const key =
    (previous?.gateway ? { id: previous.gateway.apiKeyId, value: previous.gateway.apiKeyValue } : undefined) ??
    (await port.findApiKey(keyName)) ??
    (await port.createApiKey({
      name: keyName,
      value: newApiKeyValue(),
      description: `${target.service} ${target.stage}: client ${target.clientId}, metered by API Gateway as a backstop`,
      tags: { ...tags, client: target.clientId },
    }));

  const current = await plansOfKeyInStage(port, key.id, stage);
  const others = current.filter((candidate) => candidate.id !== usagePlan.id);
  for (const old of others) await port.removeKeyFromUsagePlan(old.id, key.id);
  if (others.length === current.length) {
    try {
      await port.addKeyToUsagePlan(usagePlan.id, key.id);
    } catch (error) {
      for (const old of others) await port.addKeyToUsagePlan(old.id, key.id).catch(() => undefined);
      throw error;
    }
  }
  return { usagePlanId: usagePlan.id, apiKeyId: key.id, apiKeyValue: key.value };
}

/**
 * The client no longer has a plan (or no longer exists): its key leaves its usage plan and is
 * deleted (keys are 10,000 per account and Region, never more), and its calls fall back to the
 * stage's default key. Nothing to do for a client that never had a key.
 */
export async function removeGatewayPlan(
  port: GatewayPort,
  { previous, ...target }: GatewayTarget & { readonly previous: Plan | undefined },
): Promise<void> {
  const keyId = previous?.gateway?.apiKeyId ?? (await port.findApiKey(apiKeyName(target)))?.id;
  if (keyId === undefined) return;
  const stage = { restApiId: target.restApiId, stage: target.stage };
  for (const plan of await plansOfKeyInStage(port, keyId, stage)) await port.removeKeyFromUsagePlan(plan.id, keyId);
  await port.deleteApiKey(keyId);
}
