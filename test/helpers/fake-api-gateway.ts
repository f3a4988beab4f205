/**
 * A fake of API Gateway: the local stage has no API Gateway to talk to. An in-memory GatewayPort
 * (lib/metering/gateway.ts) that keeps the rules of the real service the orchestration must
 * respect: a key in at most one usage plan per stage (ConflictException), key values of 20 to 128
 * alphanumerics, unknown ids refused (NotFoundException). With findRestApiId, it stands for the
 * admin CLI's port (scripts/admin.ts) too.
 */
import type {
  ApiKeyRef,
  GatewayPort,
  NewApiKey,
  NewUsagePlan,
  UsagePlanSummary,
} from '../../lib/metering/gateway';

export class GatewayError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A fake of API Gateway: the local stage has no API Gateway to talk to. */
export class FakeGateway implements GatewayPort {
  readonly plans = new Map<string, NewUsagePlan & { keys: Set<string> }>();
  readonly keys = new Map<string, NewApiKey>();
  readonly calls: string[] = [];
  /** Makes the next addKeyToUsagePlan into this usage plan fail, as a throttled or failed call would. */
  failNextAddTo: string | undefined;
  private next = 1;

  private summary(id: string): UsagePlanSummary {
    const plan = this.plans.get(id)!;
    return { id, name: plan.name, stages: [plan.stage] };
  }

  async listUsagePlans(keyId?: string): Promise<readonly UsagePlanSummary[]> {
    this.calls.push(`listUsagePlans${keyId ? ` ${keyId}` : ''}`);
    if (keyId !== undefined && !this.keys.has(keyId)) throw new GatewayError('NotFoundException', 'Invalid API Key identifier');
    return [...this.plans.entries()].filter(([, plan]) => keyId === undefined || plan.keys.has(keyId)).map(([id]) => this.summary(id));
  }

  async createUsagePlan(plan: NewUsagePlan): Promise<UsagePlanSummary> {
    this.calls.push(`createUsagePlan ${plan.name}`);
    const id = `plan${this.next++}`;
    this.plans.set(id, { ...plan, keys: new Set() });
    return this.summary(id);
  }

  async findApiKey(name: string): Promise<ApiKeyRef | undefined> {
    this.calls.push(`findApiKey ${name}`);
    const found = [...this.keys.entries()].find(([, key]) => key.name === name);
    return found && { id: found[0], value: found[1].value };
  }

  async createApiKey(key: NewApiKey): Promise<ApiKeyRef> {
    this.calls.push(`createApiKey ${key.name}`);
    if (!/^[A-Za-z0-9]{20,128}$/.test(key.value)) throw new GatewayError('BadRequestException', 'Invalid API key value');
    const id = `key${this.next++}`;
    this.keys.set(id, key);
    return { id, value: key.value };
  }

  async addKeyToUsagePlan(usagePlanId: string, keyId: string): Promise<void> {
    this.calls.push(`addKeyToUsagePlan ${usagePlanId} ${keyId}`);
    const plan = this.plans.get(usagePlanId);
    if (!plan || !this.keys.has(keyId)) throw new GatewayError('NotFoundException', 'Invalid usage plan or key');
    if (this.failNextAddTo === usagePlanId) {
      this.failNextAddTo = undefined;
      throw new GatewayError('TooManyRequestsException', 'Too Many Requests');
    }
    const sameStage = [...this.plans.values()].some(
      (other) => other.keys.has(keyId) && other.stage.restApiId === plan.stage.restApiId && other.stage.stage === plan.stage.stage,
    );
    if (sameStage) throw new GatewayError('ConflictException', 'Usage Plan cannot be added because API Key already belongs to a Usage Plan of this stage');
    plan.keys.add(keyId);
  }

  async removeKeyFromUsagePlan(usagePlanId: string, keyId: string): Promise<void> {
    this.calls.push(`removeKeyFromUsagePlan ${usagePlanId} ${keyId}`);
    if (!this.plans.get(usagePlanId)?.keys.delete(keyId)) throw new GatewayError('NotFoundException', 'Invalid usage plan key');
  }

  async deleteApiKey(keyId: string): Promise<void> {
    this.calls.push(`deleteApiKey ${keyId}`);
    if (!this.keys.delete(keyId)) throw new GatewayError('NotFoundException', 'Invalid API Key identifier');
    for (const plan of this.plans.values()) plan.keys.delete(keyId);
  }

  /** The REST APIs by name (the admin CLI finds a stage's by its name). */
  readonly restApis = new Map<string, string>();

  async findRestApiId(name: string): Promise<string | undefined> {
    this.calls.push(`findRestApiId ${name}`);
    return this.restApis.get(name);
  }

  /** The usage plan names each key is in, by key name. */
  membership(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.keys.entries()].map(([id, key]) => [key.name, [...this.plans.values()].filter((plan) => plan.keys.has(id)).map((plan) => plan.name)]),
    );
  }
}
