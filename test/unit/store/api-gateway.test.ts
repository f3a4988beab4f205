/**
 * The requests lib/store/api-gateway.ts sends to API Gateway for set-plan (its pure *Input
 * builders); what they do is tested through the port's fake in test/unit/metering/gateway.test.ts.
 */
import {
  ApiGatewayAdminError,
  createApiKeyInput,
  createUsagePlanInput,
  getApiKeysInput,
  getUsagePlansInput,
  usagePlanKeyInput,
  usagePlanSummaryOf,
} from '../../../lib/store/api-gateway';

const STAGE = { restApiId: 'a1b2c3d4e5', stage: 'prod' };

describe('store/api-gateway', () => {
  it('creates a usage plan for the one stage, with the throttle and quota of its tier', () => {
    expect(
      createUsagePlanInput({
        name: 'odoo-rest-lambda-prod-rate20-burst40-day1200',
        description: 'tier',
        stage: STAGE,
        limits: { throttle: { rateLimit: 20, burstLimit: 40 }, quota: { limit: 1200, period: 'DAY' } },
        tags: { service: 'odoo-rest-lambda', stage: 'prod' },
      }),
    ).toStrictEqual({
      name: 'odoo-rest-lambda-prod-rate20-burst40-day1200',
      description: 'tier',
      apiStages: [{ apiId: 'a1b2c3d4e5', stage: 'prod' }],
      throttle: { rateLimit: 20, burstLimit: 40 },
      quota: { limit: 1200, period: 'DAY' },
      tags: { service: 'odoo-rest-lambda', stage: 'prod' },
    });
  });

  it('leaves out the throttle and the quota a tier does not have', () => {
    const input = createUsagePlanInput({ name: 'unlimited', description: '', stage: STAGE, limits: {}, tags: {} });
    expect(Object.keys(input).sort()).toStrictEqual(['apiStages', 'description', 'name', 'tags']);
  });

  it('creates an enabled key with its own value and no stage of its own (its usage plan gives it one)', () => {
    expect(createApiKeyInput({ name: 'odoo-rest-lambda-prod-c1', value: 'v'.repeat(40), description: 'd', tags: { client: 'c1' } })).toStrictEqual({
      name: 'odoo-rest-lambda-prod-c1',
      description: 'd',
      value: 'v'.repeat(40),
      enabled: true,
      tags: { client: 'c1' },
    });
  });

  it('lists in pages of 500, by key when asked, and looks keys up by name with their values', () => {
    expect(getUsagePlansInput(undefined, undefined)).toStrictEqual({ limit: 500 });
    expect(getUsagePlansInput('k1', 'next')).toStrictEqual({ limit: 500, keyId: 'k1', position: 'next' });
    expect(getApiKeysInput('odoo-rest-lambda-prod-c1', undefined)).toStrictEqual({ nameQuery: 'odoo-rest-lambda-prod-c1', includeValues: true, limit: 500 });
  });

  it('adds a key to a usage plan as an API key', () => {
    expect(usagePlanKeyInput('p1', 'k1')).toStrictEqual({ usagePlanId: 'p1', keyId: 'k1', keyType: 'API_KEY' });
  });

  it("reads a usage plan's stages", () => {
    expect(usagePlanSummaryOf({ id: 'p1', name: 'n', apiStages: [{ apiId: 'a1b2c3d4e5', stage: 'prod' }], throttle: { rateLimit: 1 } })).toStrictEqual({
      id: 'p1',
      name: 'n',
      stages: [STAGE],
    });
  });

  it("says what API Gateway refused and why, with a hint at the account's key limit", () => {
    const cause = Object.assign(new Error('API key limit exceeded'), { name: 'LimitExceededException' });
    const error = new ApiGatewayAdminError('create the API key odoo-rest-lambda-prod-c1', cause);
    expect(error.message).toBe(
      'API Gateway refused to create the API key odoo-rest-lambda-prod-c1: LimitExceededException: API key limit exceeded (an account has at most 10,000 API keys per Region, not increasable, and 300 usage plans unless raised)',
    );
    expect(error.cause).toBe(cause);
  });
});
