/**
 * API Gateway's usage plans and API keys for the admin CLI's `set-plan` on a deployed stage (the
 * GatewayPort of lib/metering/gateway.ts). The only importer of @aws-sdk/client-api-gateway: pure
 * *Input builders, then send. It runs with the operator's credentials, never in a Lambda function
 * (no function's role may touch API Gateway).
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetRestApisCommand,
  GetUsagePlansCommand,
  type CreateApiKeyCommandInput,
  type CreateUsagePlanCommandInput,
  type CreateUsagePlanKeyCommandInput,
  type DeleteUsagePlanKeyCommandInput,
  type GetApiKeysCommandInput,
  type GetUsagePlansCommandInput,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import type { ApiKeyRef, GatewayPort, NewApiKey, NewUsagePlan, UsagePlanSummary } from '../metering/gateway';

/** The largest page API Gateway's list operations return. */
const PAGE_LIMIT = 500;

export interface ApiGatewayConnection {
  readonly region: string;
  /** The caller's name in the SDK's User-Agent, as lib/store/dynamodb/client.ts takes it. */
  readonly appId?: string;
}

export function createUsagePlanInput(plan: NewUsagePlan): CreateUsagePlanCommandInput {
  return {
    name: plan.name,
    description: plan.description,
    apiStages: [{ apiId: plan.stage.restApiId, stage: plan.stage.stage }],
    ...(plan.limits.throttle
      ? { throttle: { rateLimit: plan.limits.throttle.rateLimit, burstLimit: plan.limits.throttle.burstLimit } }
      : {}),
    ...(plan.limits.quota ? { quota: { limit: plan.limits.quota.limit, period: plan.limits.quota.period } } : {}),
    tags: { ...plan.tags },
  };
}

/** Enabled, with our value, and in no stage by itself: its usage plan puts it in the stage. */
export function createApiKeyInput(key: NewApiKey): CreateApiKeyCommandInput {
  return { name: key.name, description: key.description, value: key.value, enabled: true, tags: { ...key.tags } };
}

export function getUsagePlansInput(keyId: string | undefined, position: string | undefined): GetUsagePlansCommandInput {
  return { limit: PAGE_LIMIT, ...(keyId ? { keyId } : {}), ...(position ? { position } : {}) };
}

/** `nameQuery` matches names that start with it: the caller keeps the exact name only. */
export function getApiKeysInput(name: string, position: string | undefined): GetApiKeysCommandInput {
  return { nameQuery: name, includeValues: true, limit: PAGE_LIMIT, ...(position ? { position } : {}) };
}

export function usagePlanKeyInput(usagePlanId: string, keyId: string): CreateUsagePlanKeyCommandInput {
  return { usagePlanId, keyId, keyType: 'API_KEY' };
}

export function deleteUsagePlanKeyInput(usagePlanId: string, keyId: string): DeleteUsagePlanKeyCommandInput {
  return { usagePlanId, keyId };
}

export function usagePlanSummaryOf(plan: UsagePlan): UsagePlanSummary {
  return {
    id: plan.id ?? '',
    name: plan.name ?? '',
    stages: (plan.apiStages ?? []).map((stage) => ({ restApiId: stage.apiId ?? '', stage: stage.stage ?? '' })),
  };
}

/**
 * An API Gateway failure as a sentence for the operator, the SDK's error kept as its cause. The
 * SDK already retries throttling (CreateApiKey: 5 requests per second per account).
 */
export class ApiGatewayAdminError extends Error {
  constructor(operation: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    const hint =
      name === 'LimitExceededException'
        ? ' (an account has at most 10,000 API keys per Region, not increasable, and 300 usage plans unless raised)'
        : '';
    super(`API Gateway refused to ${operation}: ${name}: ${detail}${hint}`, { cause });
    this.name = 'ApiGatewayAdminError';
  }
}

async function attempt<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ApiGatewayAdminError(operation, error);
  }
}

/** The operator's credentials come from the environment (the SDK's default chain), as for the admin CLI's DynamoDB. */
export function apiGatewayPort({ region, appId }: ApiGatewayConnection): GatewayPort & {
  findRestApiId(name: string): Promise<string | undefined>;
} {
  const gateway = new APIGatewayClient({ region, ...(appId ? { userAgentAppId: appId } : {}) });
  return {
    listUsagePlans: (keyId) =>
      attempt('list its usage plans', async () => {
        const plans: UsagePlanSummary[] = [];
        let position: string | undefined;
        do {
          const page = await gateway.send(new GetUsagePlansCommand(getUsagePlansInput(keyId, position)));
          plans.push(...(page.items ?? []).map(usagePlanSummaryOf));
          position = page.position;
        } while (position);
        return plans;
      }),
    createUsagePlan: (plan) =>
      attempt(`create the usage plan ${plan.name}`, async () =>
        usagePlanSummaryOf(await gateway.send(new CreateUsagePlanCommand(createUsagePlanInput(plan)))),
      ),
    findApiKey: (name) =>
      attempt(`find the API key ${name}`, async () => {
        let position: string | undefined;
        do {
          const page = await gateway.send(new GetApiKeysCommand(getApiKeysInput(name, position)));
          const key = (page.items ?? []).find((item) => item.name === name);
          if (key?.id && key.value) return { id: key.id, value: key.value } satisfies ApiKeyRef;
          position = page.position;
        } while (position);
        return undefined;
      }),
    createApiKey: (key) =>
      attempt(`create the API key ${key.name}`, async () => {
        const created = await gateway.send(new CreateApiKeyCommand(createApiKeyInput(key)));
        if (!created.id) throw new Error('no id in its answer');
        return { id: created.id, value: created.value ?? key.value };
      }),
    addKeyToUsagePlan: (usagePlanId, keyId) =>
      attempt(`add the API key ${keyId} to the usage plan ${usagePlanId}`, async () => {
        await gateway.send(new CreateUsagePlanKeyCommand(usagePlanKeyInput(usagePlanId, keyId)));
      }),
    removeKeyFromUsagePlan: (usagePlanId, keyId) =>
      attempt(`remove the API key ${keyId} from the usage plan ${usagePlanId}`, async () => {
        await gateway.send(new DeleteUsagePlanKeyCommand(deleteUsagePlanKeyInput(usagePlanId, keyId)));
      }),
    deleteApiKey: (keyId) =>
      attempt(`delete the API key ${keyId}`, async () => {
        await gateway.send(new DeleteApiKeyCommand({ apiKey: keyId }));
      }),
    /**
     * The id of the REST API of this name (osls names a stage's `<service>-<stage>`, as
     * provider.apiGateway.shouldStartNameWithService says); undefined if there is none. Two of the
     * same name (a stack removed and its API kept by hand) are refused as ambiguous.
     */
    findRestApiId: (name) =>
      attempt(`find the REST API ${name}`, async () => {
        const ids: string[] = [];
        let position: string | undefined;
        do {
          const page = await gateway.send(
            new GetRestApisCommand({ limit: PAGE_LIMIT, ...(position ? { position } : {}) }),
          );
          for (const api of page.items ?? []) if (api.name === name && api.id) ids.push(api.id);
          position = page.position;
        } while (position);
        if (ids.length > 1)
          throw new Error(`${ids.length} REST APIs are named ${name} (${ids.join(', ')}): pass --rest-api-id`);
        return ids[0];
      }),
  };
}
