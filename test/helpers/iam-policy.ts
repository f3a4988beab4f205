/**
 * What the deployed stack lets each function do, read from the prod stage's packaged CloudFormation
 * template (`osls package --stage prod`), and what a DynamoDB request needs of it — so the tests can
 * refuse, as AWS would, a call that DynamoDB Local (which enforces no IAM) would let through.
 *
 * Written by hand: no maintained npm package evaluates IAM policies offline. It covers what our
 * template uses — Allow and Deny statements with Action and Resource (lists, `*` and `?` wildcards,
 * NotAction/NotResource refused as unsupported), intrinsic functions Fn::GetAtt, Fn::Join, Fn::Sub
 * and Ref — and the IAM actions DynamoDB checks per operation (TransactWriteItems per item).
 */

/** A template as `osls package` writes it (the parts read here). */
export interface Template {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>;
}

export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** One permission a request needs: an IAM action on a resource ARN. */
export interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** The placeholders a deployed stack would fill in. */
const PARTITION = 'aws';
const ACCOUNT = '123456789012';

export class TemplateRoles {
  /** Each function's statements, by its name without the service and stage (`object`, `token`...). */
  readonly #statements = new Map<string, Statement[]>();
  /** Table ARNs by the name the table has in the packaged stage. */
  readonly #tableArns = new Map<string, string>();

  constructor(
    private readonly template: Template,
    /** `${service}-${stage}-`: what the template's function and table names start with. */
    private readonly prefix: string,
    private readonly region: string,
  ) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::DynamoDB::Table') {
        this.#tableArns.set(String(resource.Properties?.TableName), this.#resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] }));
      }
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const name = String(resource.Properties?.FunctionName ?? logicalId);
      const role = resource.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const roleId = role?.['Fn::GetAtt']?.[0];
      if (!name.startsWith(prefix) || !roleId) throw new Error(`Cannot read the role of function ${name} (${logicalId})`);
      this.#statements.set(name.slice(prefix.length), this.#roleStatements(roleId));
    }
  }

  /** The functions the template defines, by short name. */
  get functions(): string[] {
    return [...this.#statements.keys()];
  }

  /** The ARN the deployed stack gives the table that the packaged stage names `tableName`. */
  tableArn(tableName: string): string | undefined {
    return this.#tableArns.get(tableName);
  }

  /** The permissions `fn` lacks among `needed`: empty when its role allows them all. */
  missing(fn: string, needed: readonly Permission[]): Permission[] {
    const statements = this.#statements.get(fn);
    if (!statements) return [...needed];
    return needed.filter((permission) => !allows(statements, permission));
  }

  #roleStatements(roleId: string): Statement[] {
    const role = this.template.Resources[roleId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not an AWS::IAM::Role`);
    const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[];
    // Managed policies (AWSLambdaBasicExecutionRole) grant logs only: nothing a function asks of DynamoDB or KMS.
    return policies.flatMap((policy) => policy.PolicyDocument.Statement.map((raw) => this.#statement(roleId, raw)));
  }

  #statement(roleId: string, raw: unknown): Statement {
    const statement = raw as Record<string, unknown>;
    if ('NotAction' in statement || 'NotResource' in statement || 'Condition' in statement) {
      throw new Error(`${roleId}: NotAction, NotResource and Condition are not evaluated here; extend test/helpers/iam-policy.ts`);
    }
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
    return {
      effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
      actions: list(statement.Action).map(String),
      resources: list(statement.Resource).map((resource) => this.#resolve(resource)),
    };
  }

  /** A function's environment variable as the deployed stack sets it (intrinsics resolved). */
  environmentOf(fn: string, name: string): string | undefined {
    const resource = Object.values(this.template.Resources).find(
      (candidate) => candidate.Type === 'AWS::Lambda::Function' && candidate.Properties?.FunctionName === `${this.prefix}${fn}`,
    );
    const variables = (resource?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    return variables?.[name] === undefined ? undefined : this.#resolve(variables[name]);
  }

  /** An intrinsic function's value as a deployed stack would have it. */
  #resolve(value: unknown): string {
    if (typeof value === 'string') return value;
    const intrinsic = value as Record<string, unknown>;
    if ('Fn::GetAtt' in intrinsic) {
      const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
      // A table's stream: its ARN is the table's with a stream label, unknown until deployed.
      if (attribute === 'StreamArn') return `${this.#arnOf(logicalId)}/stream/*`;
      if (attribute !== 'Arn') throw new Error(`Fn::GetAtt ${logicalId}.${attribute} is not resolved here`);
      return this.#arnOf(logicalId);
    }
    if ('Fn::Join' in intrinsic) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => this.#resolve(part)).join(separator);
    }
    if ('Fn::Sub' in intrinsic) {
      const text = intrinsic['Fn::Sub'];
      if (typeof text !== 'string') throw new Error('Fn::Sub with variables is not resolved here');
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => this.#pseudo(name));
    }
    if ('Ref' in intrinsic) return this.#pseudo(String(intrinsic.Ref));
    throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
  }

  #pseudo(name: string): string {
    if (name === 'AWS::Partition') return PARTITION;
    if (name === 'AWS::Region') return this.region;
    if (name === 'AWS::AccountId') return ACCOUNT;
    if (name.endsWith('.Arn')) return this.#arnOf(name.slice(0, -'.Arn'.length));
    throw new Error(`Cannot resolve \${${name}}`);
  }

  #arnOf(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (resource?.Type === 'AWS::DynamoDB::Table') {
      return `arn:${PARTITION}:dynamodb:${this.region}:${ACCOUNT}:table/${String(resource.Properties?.TableName)}`;
    }
    if (resource?.Type === 'AWS::KMS::Key') return `arn:${PARTITION}:kms:${this.region}:${ACCOUNT}:key/${logicalId}`;
    if (resource?.Type === 'AWS::IAM::Role') return `arn:${PARTITION}:iam::${ACCOUNT}:role/${logicalId}`;
    if (resource?.Type === 'AWS::Events::EventBus')
      return `arn:${PARTITION}:events:${this.region}:${ACCOUNT}:event-bus/${String(resource.Properties?.Name ?? logicalId)}`;
    if (resource?.Type === 'AWS::SQS::Queue')
      return `arn:${PARTITION}:sqs:${this.region}:${ACCOUNT}:${String(resource.Properties?.QueueName ?? logicalId)}`;
    throw new Error(`No ARN for ${logicalId} (${resource?.Type ?? 'not in the template'})`);
  }
}

/** IAM's rule: allowed when a statement allows it and none denies it. */
function allows(statements: readonly Statement[], { action, resource }: Permission): boolean {
  const matching = statements.filter(
    (statement) =>
      statement.actions.some((pattern) => wildcard(pattern, action, true)) &&
      statement.resources.some((pattern) => wildcard(pattern, resource, false)),
  );
  return matching.some((statement) => statement.effect === 'Allow') && !matching.some((statement) => statement.effect === 'Deny');
}

/** IAM's `*` (any run) and `?` (one character); actions compare without case, resources with it. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * The IAM permissions a DynamoDB JSON request (`X-Amz-Target: DynamoDB_20120810.<operation>`)
 * needs, per DynamoDB's documentation: TransactWriteItems and TransactGetItems are authorised per
 * item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem); batches per table; a Query or
 * Scan of an index on the index's ARN.
 */
export function dynamoPermissions(operation: string, body: Record<string, unknown>, tableArn: (table: string) => string): Permission[] {
  const dynamodb = (name: string) => `dynamodb:${name}`;
  const onTable = (name: string, request: Record<string, unknown>): Permission => {
    const table = tableArn(String(request.TableName));
    return { action: dynamodb(name), resource: request.IndexName ? `${table}/index/${String(request.IndexName)}` : table };
  };
  switch (operation) {
    case 'TransactWriteItems':
      return (body.TransactItems as Record<string, Record<string, unknown>>[]).map((item) => {
        const [kind, request] = Object.entries(item)[0] as [string, Record<string, unknown>];
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind];
        if (!action) throw new Error(`Unknown TransactWriteItems action ${kind}`);
        return onTable(action, request);
      });
    case 'TransactGetItems':
      return (body.TransactItems as { Get: Record<string, unknown> }[]).map((item) => onTable('GetItem', item.Get));
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(body.RequestItems as Record<string, unknown>).map((table) => onTable(operation, { TableName: table }));
    default:
      // GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, DescribeTable, CreateTable, ...: one table.
      return [onTable(operation, body)];
  }
}
