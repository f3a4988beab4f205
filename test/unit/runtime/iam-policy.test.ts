/** The IAM evaluation the test run's guard relies on (test/helpers/iam-policy.ts), on small templates. */
import { dynamoPermissions, TemplateRoles, type Template } from '../../helpers/iam-policy';

const ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table';

/** A template with one function `fn` whose role has `statements`, and the tables T1 and T2. */
function templateWith(statements: unknown[]): Template {
  return {
    Resources: {
      T1: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'svc-prod-t1' } },
      T2: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'svc-prod-t2' } },
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
      Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: statements } }] } },
      FnLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-prod-fn', Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    },
  };
}
const rolesOf = (statements: unknown[]) => new TemplateRoles(templateWith(statements), 'svc-prod-', 'eu-west-1');
const t1 = `${ARN}/svc-prod-t1`;

describe('TemplateRoles', () => {
  it('names each function by its name less the service and stage, and resolves the tables’ ARNs', () => {
    const roles = rolesOf([]);
    expect(roles.functions).toStrictEqual(['fn']);
    expect(roles.tableArn('svc-prod-t2')).toBe(`${ARN}/svc-prod-t2`);
  });

  it('allows what an Allow statement names, with GetAtt, Join and Sub resolved', () => {
    const roles = rolesOf([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [{ 'Fn::GetAtt': ['T1', 'Arn'] }, { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['T1', 'Arn'] }, 'index', '*']] }] },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/Key' } },
    ]);
    expect(roles.missing('fn', [{ action: 'dynamodb:GetItem', resource: t1 }, { action: 'dynamodb:Query', resource: `${t1}/index/byModel` }])).toStrictEqual([]);
    expect(roles.missing('fn', [{ action: 'kms:Decrypt', resource: 'arn:aws:kms:eu-west-1:123456789012:key/Key' }])).toStrictEqual([]);
  });

  it('refuses an action, a table or an index that no statement names', () => {
    const roles = rolesOf([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['T1', 'Arn'] } }]);
    const needed = [
      { action: 'dynamodb:PutItem', resource: t1 },
      { action: 'dynamodb:GetItem', resource: `${ARN}/svc-prod-t2` },
      { action: 'dynamodb:GetItem', resource: `${t1}/index/byModel` },
    ];
    expect(roles.missing('fn', needed)).toStrictEqual(needed);
  });

  it('reads * and ? in actions (any case) and resources (exact case); a Deny wins over an Allow', () => {
    const roles = rolesOf([
      { Effect: 'Allow', Action: 'DynamoDB:*Item', Resource: `${ARN}/svc-prod-t?` },
      { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
    ]);
    expect(roles.missing('fn', [{ action: 'dynamodb:UpdateItem', resource: t1 }])).toStrictEqual([]);
    expect(roles.missing('fn', [{ action: 'dynamodb:DeleteItem', resource: t1 }])).toHaveLength(1);
    expect(roles.missing('fn', [{ action: 'dynamodb:Query', resource: t1 }])).toHaveLength(1);
    expect(roles.missing('fn', [{ action: 'dynamodb:GetItem', resource: `${ARN}/SVC-prod-t1` }])).toHaveLength(1);
  });

  it('refuses everything to a function it does not know', () => {
    expect(rolesOf([{ Effect: 'Allow', Action: '*', Resource: '*' }]).missing('other', [{ action: 'dynamodb:GetItem', resource: t1 }])).toHaveLength(1);
  });

  it('will not guess at what it does not evaluate', () => {
    expect(() => rolesOf([{ Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', Resource: '*' }])).toThrow(/NotAction/);
  });
});

describe('dynamoPermissions', () => {
  const arn = (table: string) => `${ARN}/${table}`;

  it('asks of a TransactWriteItems the action of each item, on its own table', () => {
    const body = {
      TransactItems: [
        { Put: { TableName: 'a' } },
        { Update: { TableName: 'a' } },
        { Delete: { TableName: 'b' } },
        { ConditionCheck: { TableName: 'b' } },
      ],
    };
    expect(dynamoPermissions('TransactWriteItems', body, arn)).toStrictEqual([
      { action: 'dynamodb:PutItem', resource: arn('a') },
      { action: 'dynamodb:UpdateItem', resource: arn('a') },
      { action: 'dynamodb:DeleteItem', resource: arn('b') },
      { action: 'dynamodb:ConditionCheckItem', resource: arn('b') },
    ]);
  });

  it('asks of a batch its own action on every table it names, and of a Query on an index the index ARN', () => {
    expect(dynamoPermissions('BatchWriteItem', { RequestItems: { a: [], b: [] } }, arn)).toStrictEqual([
      { action: 'dynamodb:BatchWriteItem', resource: arn('a') },
      { action: 'dynamodb:BatchWriteItem', resource: arn('b') },
    ]);
    expect(dynamoPermissions('Query', { TableName: 'a', IndexName: 'byModel' }, arn)).toStrictEqual([
      { action: 'dynamodb:Query', resource: `${arn('a')}/index/byModel` },
    ]);
    expect(dynamoPermissions('TransactGetItems', { TransactItems: [{ Get: { TableName: 'a' } }] }, arn)).toStrictEqual([
      { action: 'dynamodb:GetItem', resource: arn('a') },
    ]);
  });
});
