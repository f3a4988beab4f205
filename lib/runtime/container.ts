/**
 * The per-container singletons (config, DynamoDB client, stores, model registry, key ring), each
 * built on first use and then reused by every warm invocation. Handlers call these at module
 * scope, so a bad configuration fails the cold start; a bundle only pays for the ones its handler uses.
 */
import { shippedAccessRules, shippedModels } from '../../models';
import { buildAccessRules, type AccessRules } from '../models/access';
import type { AuthStore } from '../auth/credentials';
import { loadConfig, type Config } from './config';
import type { ModelCatalog } from '../models/catalog';
import { catalogIndexedStore } from './indexed-store';
import { createLogger, type FunctionLogger } from './log';
import { callMetrics } from './metrics';
import { buildRegistry, type ModelRegistry } from '../models/registry';
import type { RecordStore } from '../records/port';
import { DynamoAuthStore } from '../store/dynamodb/auth-table';
import { createDocumentClient } from '../store/dynamodb/client';
import { DynamoMeterStore } from '../store/dynamodb/usage-table';
import type { MeterStore } from '../metering/port';
import type { ObjectDeps } from '../object-api/router';

export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const getConfig = once<Config>(() => loadConfig());
const getDocumentClient = once(() =>
  createDocumentClient({ endpoint: getConfig().dynamodbEndpoint, region: getConfig().region }),
);
/** The records store and the catalog whose registry it indexes records by (custom fields' indexes too). */
const getIndexedStore = once(() =>
  catalogIndexedStore(
    getDocumentClient(),
    { records: getConfig().recordsTable, usage: getConfig().usageTable },
    { shippedRegistry: getRegistry() },
  ),
);
export const getRecordStore = (): RecordStore => getIndexedStore().store;
/** The plans' limits and the usage ledger; undefined without a usage table (nothing metered). */
export const getMeterStore = once<MeterStore | undefined>(() => {
  const table = getConfig().usageTable;
  return table === undefined ? undefined : new DynamoMeterStore(getDocumentClient(), table);
});
export const getAuthStore = once<AuthStore>(() => new DynamoAuthStore(getDocumentClient(), getConfig().authTable));
export const getRegistry = once<ModelRegistry>(() => buildRegistry(shippedModels));
export const getCatalog = (): ModelCatalog => getIndexedStore().catalog;
export const getAccessRules = once<AccessRules>(() => buildAccessRules(shippedAccessRules));
/** What the object routes run on: the object function's, and the queue writer's (the same routes). */
export const getObjectDeps = once<ObjectDeps>(() => {
  const meterStore = getMeterStore();
  return {
    registry: getRegistry(),
    store: getRecordStore(),
    accessRules: getAccessRules(),
    catalog: getCatalog(),
    ...(meterStore ? { meter: { store: meterStore } } : {}),
    // The key ring that seals webhook signing secrets is not here: it would put the KMS client in
    // every bundle. The object function adds it (handlers/object.ts, from container-auth.ts).
    webhookLocalTargets: getConfig().webhookLocalTargets,
  };
});
// Named after the function Lambda runs (lib/runtime/log.ts functionNames): one logger per function.
export const getLogger = once<FunctionLogger>(() => createLogger());
/**
 * What every HTTP function's runHttp takes from the container: its logger, the response key, the
 * CORS origins and its call metrics (a handler adds what is its own: jsonOnly, labels).
 */
export const getHttpOptions = once(() => {
  const log = getLogger();
  return { log, responseKey: getConfig().responseKey, corsOrigins: getConfig().corsOrigins, metrics: callMetrics(log) };
});
