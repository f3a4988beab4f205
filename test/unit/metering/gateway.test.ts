/**
 * API Gateway usage plans as a coarse backstop (lib/metering/gateway.ts).
 *
 * FakeGateway (test/helpers/fake-api-gateway.ts) is a fake of API Gateway: the local stage has no API Gateway to talk to. It is
 * an in-memory GatewayPort that keeps the rules of the real service that the orchestration must
 * respect: a key in at most one usage plan per stage (ConflictException), key values of 20 to 128
 * alphanumerics, unknown ids refused (NotFoundException). lib/store/api-gateway.ts is the real
 * port; its request shapes are tested in test/unit/store/api-gateway.test.ts.
 */
import {
  applyGatewayPlan,
  gatewayLimits,
  newApiKeyValue,
  removeGatewayPlan,
  roundUpCoarsely,
  usagePlanName,
} from '../../../lib/metering/gateway';
import { FakeGateway } from '../../helpers/fake-api-gateway';
import type { Plan } from '../../../lib/metering/plan';

const TARGET = { service: 'odoo-rest-lambda', stage: 'prod', restApiId: 'a1b2c3d4e5' } as const;
const SILVER: Plan = { rate: { perSecond: 10, burst: 20 }, quotaDay: 1000 };
const GOLD: Plan = { rate: { perSecond: 50, burst: 100 }, quotaDay: 10_000, quotaMonth: 200_000 };

describe('metering/gateway', () => {
  describe('gatewayLimits', () => {
    it('is twice the rate and the burst and 1.2 times the daily quota', () => {
      expect(gatewayLimits(SILVER)).toStrictEqual({ throttle: { rateLimit: 20, burstLimit: 40 }, quota: { limit: 1200, period: 'DAY' } });
    });

    it('takes the monthly quota when there is no daily one, as a usage plan has a single quota', () => {
      expect(gatewayLimits({ quotaMonth: 30_000 })).toStrictEqual({ quota: { limit: 36_000, period: 'MONTH' } });
      expect(gatewayLimits(GOLD).quota).toStrictEqual({ limit: 12_000, period: 'DAY' });
    });

    it('rounds up to whole numbers of two significant digits, never below the exact limits', () => {
      expect(gatewayLimits({ rate: { perSecond: 0.2, burst: 1 }, quotaDay: 3 })).toStrictEqual({
        throttle: { rateLimit: 1, burstLimit: 2 },
        quota: { limit: 4, period: 'DAY' },
      });
      expect(gatewayLimits({ rate: { perSecond: 333, burst: 617 }, quotaDay: 1234 })).toStrictEqual({
        throttle: { rateLimit: 670, burstLimit: 1300 },
        quota: { limit: 1500, period: 'DAY' },
      });
      expect([99.5, 100, 101, 1000, 1001, 987_654].map(roundUpCoarsely)).toStrictEqual([100, 100, 110, 1000, 1100, 990_000]);
    });

    it('limits nothing for a plan that only prices calls', () => {
      expect(gatewayLimits({ weights: { search_read: 5 }, perRecord: true })).toStrictEqual({});
    });
  });

  describe('usagePlanName', () => {
    it('names the tier by its limits, so equal limits share a name and other limits do not', () => {
      const name = (plan: Plan) => usagePlanName('odoo-rest-lambda', 'prod', gatewayLimits(plan));
      expect(name(SILVER)).toBe('odoo-rest-lambda-prod-rate20-burst40-day1200');
      // 1001 and 1010 round to the same tier; the rates are the same.
      expect(name({ ...SILVER, quotaDay: 1001 })).toBe(name({ ...SILVER, quotaDay: 1010 }));
      expect(name({ ...SILVER, quotaDay: 2000 })).not.toBe(name(SILVER));
      expect(name({ quotaMonth: 30_000 })).toBe('odoo-rest-lambda-prod-month36000');
      expect(name({ weights: { read: 2 } })).toBe('odoo-rest-lambda-prod-unlimited');
    });
  });

  describe('newApiKeyValue', () => {
    it('is 40 alphanumerics, a new one each time', () => {
      const values = Array.from({ length: 50 }, () => newApiKeyValue());
      for (const value of values) expect(value).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(new Set(values).size).toBe(50);
    });

    it('draws each character uniformly from the 62 alphanumerics', () => {
      let i = 0;
      expect(newApiKeyValue((max) => i++ % max)).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn');
    });
  });

  describe('applyGatewayPlan', () => {
    it("creates the tier's usage plan for the stage and the client's key in it, and returns what to store", async () => {
      const gateway = new FakeGateway();
      const stored = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      expect([gateway.plans.size, gateway.keys.size]).toStrictEqual([1, 1]);
      const [planId, usagePlan] = [...gateway.plans.entries()][0]!;
      const [keyId, key] = [...gateway.keys.entries()][0]!;
      expect(stored).toStrictEqual({ usagePlanId: planId, apiKeyId: keyId, apiKeyValue: key.value });
      expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/);
      expect({ ...usagePlan, description: undefined, keys: undefined }).toStrictEqual({
        name: 'odoo-rest-lambda-prod-rate20-burst40-day1200',
        description: undefined,
        stage: { restApiId: 'a1b2c3d4e5', stage: 'prod' },
        limits: { throttle: { rateLimit: 20, burstLimit: 40 }, quota: { limit: 1200, period: 'DAY' } },
        tags: { service: 'odoo-rest-lambda', stage: 'prod' },
        keys: undefined,
      });
      expect({ name: key.name, tags: key.tags }).toStrictEqual({
        name: 'odoo-rest-lambda-prod-c1',
        tags: { service: 'odoo-rest-lambda', stage: 'prod', client: 'c1' },
      });
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c1': ['odoo-rest-lambda-prod-rate20-burst40-day1200'] });
    });

    it('puts clients with equal limits in one usage plan, each with a key of its own', async () => {
      const gateway = new FakeGateway();
      const first = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      const second = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c2', plan: { ...SILVER, weights: { unlink: 3 } }, previous: undefined });
      expect(second.usagePlanId).toBe(first.usagePlanId);
      expect(second.apiKeyId).not.toBe(first.apiKeyId);
      expect(second.apiKeyValue).not.toBe(first.apiKeyValue);
      expect(gateway.plans.size).toBe(1);
      expect(gateway.calls.filter((call) => call.startsWith('createUsagePlan'))).toHaveLength(1);
    });

    it("moves the client's key to its new tier, keeping the key and its value", async () => {
      const gateway = new FakeGateway();
      const silver = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      const previous = { ...SILVER, gateway: silver };
      const gold = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: GOLD, previous });
      expect(gold.usagePlanId).not.toBe(silver.usagePlanId);
      expect({ apiKeyId: gold.apiKeyId, apiKeyValue: gold.apiKeyValue }).toStrictEqual({ apiKeyId: silver.apiKeyId, apiKeyValue: silver.apiKeyValue });
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c1': ['odoo-rest-lambda-prod-rate100-burst200-day12000'] });
      expect(gateway.calls.filter((call) => call.startsWith('createApiKey'))).toHaveLength(1);
    });

    it('changes nothing when applied again with the same plan', async () => {
      const gateway = new FakeGateway();
      const stored = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      const before = gateway.calls.length;
      const again = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: { ...SILVER, gateway: stored } });
      expect(again).toStrictEqual(stored);
      expect(gateway.calls.slice(before)).toStrictEqual(['listUsagePlans', `listUsagePlans ${stored.apiKeyId}`]);
    });

    it('reuses the key an interrupted run created (found by its name) rather than make a second one', async () => {
      const gateway = new FakeGateway();
      const first = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      // The plan was never stored: previous has no gateway fields.
      const second = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: GOLD, previous: SILVER });
      expect(second.apiKeyId).toBe(first.apiKeyId);
      expect(gateway.keys.size).toBe(1);
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c1': ['odoo-rest-lambda-prod-rate100-burst200-day12000'] });
    });

    it("uses another stage's or REST API's usage plan of the same limits for nothing", async () => {
      const gateway = new FakeGateway();
      const prod = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      // The stack was removed and deployed again: a new REST API, the same usage plan name.
      const redeployed = await applyGatewayPlan(gateway, { ...TARGET, restApiId: 'z9y8x7w6v5', clientId: 'c2', plan: SILVER, previous: undefined });
      expect(redeployed.usagePlanId).not.toBe(prod.usagePlanId);
      expect(gateway.plans.get(redeployed.usagePlanId)?.stage).toStrictEqual({ restApiId: 'z9y8x7w6v5', stage: 'prod' });
    });

    it('puts the key back in its usage plan when adding it to the new one fails, and says why', async () => {
      const gateway = new FakeGateway();
      const silver = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      const gold = await gateway.createUsagePlan({
        name: 'odoo-rest-lambda-prod-rate100-burst200-day12000',
        description: 'made before',
        stage: { restApiId: TARGET.restApiId, stage: TARGET.stage },
        limits: gatewayLimits(GOLD),
        tags: {},
      });
      gateway.failNextAddTo = gold.id;
      await expect(applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: GOLD, previous: { ...SILVER, gateway: silver } })).rejects.toThrow(
        'Too Many Requests',
      );
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c1': ['odoo-rest-lambda-prod-rate20-burst40-day1200'] });
    });

    it('gives a plan without limits a key of its own in the unlimited tier', async () => {
      const gateway = new FakeGateway();
      await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: { weights: { read: 2 } }, previous: undefined });
      expect([...gateway.plans.values()].map((plan) => [plan.name, plan.limits])).toStrictEqual([['odoo-rest-lambda-prod-unlimited', {}]]);
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c1': ['odoo-rest-lambda-prod-unlimited'] });
    });
  });

  describe('removeGatewayPlan', () => {
    it("takes the client's key out of its usage plan and deletes it, leaving the usage plan to the others", async () => {
      const gateway = new FakeGateway();
      const c1 = await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c2', plan: SILVER, previous: undefined });
      await removeGatewayPlan(gateway, { ...TARGET, clientId: 'c1', previous: { ...SILVER, gateway: c1 } });
      expect(gateway.membership()).toStrictEqual({ 'odoo-rest-lambda-prod-c2': ['odoo-rest-lambda-prod-rate20-burst40-day1200'] });
      expect(gateway.plans.size).toBe(1);
    });

    it('finds the key by its name when the stored plan does not name it', async () => {
      const gateway = new FakeGateway();
      await applyGatewayPlan(gateway, { ...TARGET, clientId: 'c1', plan: SILVER, previous: undefined });
      await removeGatewayPlan(gateway, { ...TARGET, clientId: 'c1', previous: SILVER });
      expect(gateway.keys.size).toBe(0);
    });

    it('does nothing for a client that never had a key', async () => {
      const gateway = new FakeGateway();
      await removeGatewayPlan(gateway, { ...TARGET, clientId: 'c1', previous: undefined });
      expect(gateway.calls).toStrictEqual(['findApiKey odoo-rest-lambda-prod-c1']);
    });
  });
});
