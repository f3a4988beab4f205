/**
 * The IAM guard of the test run (test/setup/iam-guard.ts) refuses what the deployed roles would
 * refuse: a guard of this file's own, with the prod template's roles, in front of the run's
 * DynamoDB Local, sent real SDK requests in the name of each function.
 */
import { readFileSync } from 'node:fs';
import { BatchWriteCommand, DeleteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { LOCAL_TABLES } from '../../scripts/local-stack';
import type { Template } from '../helpers/iam-policy';
import { startIamGuard, templateRoles, type IamGuard } from '../setup/iam-guard';

const template = JSON.parse(readFileSync(process.env.TEST_TEMPLATE_FILE as string, 'utf8')) as Template;
let guard: IamGuard;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  guard = await startIamGuard(process.env.TEST_DYNAMODB_UNGUARDED_ENDPOINT as string, templateRoles(template));
});
afterAll(async () => {
  // The one item the allowed transaction wrote (outside every model's index): gone again.
  await clientOf().send(new DeleteCommand({ TableName: LOCAL_TABLES.records, Key: { pk: 'iam-guard-test#1' } }));
  for (const client of clients) client.destroy();
  await guard.stop();
});

/** A document client whose calls are those of `fn` (as serverless.yml's AWS_SDK_UA_APP_ID names it), or nobody's. */
function clientOf(fn?: string) {
  const client = createDocumentClient({ endpoint: guard.endpoint, region: 'eu-west-1', ...(fn ? { appId: `odoo-rest-lambda-local-${fn}` } : {}) });
  clients.push(client);
  return client;
}

const ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table';
const recordKey = { pk: 'res.partner#17' };

describe('the IAM guard', () => {
  it('lets a function do what its role allows, each action of a transaction included', async () => {
    const object = clientOf('object');
    await expect(object.send(new GetCommand({ TableName: LOCAL_TABLES.records, Key: recordKey }))).resolves.toMatchObject({ Item: { pk: 'res.partner#17' } });
    await expect(
      object.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: LOCAL_TABLES.records, Key: recordKey, ConditionExpression: 'attribute_exists(pk)' } },
            { Put: { TableName: LOCAL_TABLES.records, Item: { pk: 'iam-guard-test#1' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ),
    ).resolves.toBeDefined();
    expect(guard.violations()).toStrictEqual([]);
  });

  it('refuses, as AccessDeniedException, what the role does not allow, naming the function, the action and the resource', async () => {
    const authorizer = clientOf('authorizer');
    const refused = authorizer.send(new BatchWriteCommand({ RequestItems: { [LOCAL_TABLES.auth]: [{ PutRequest: { Item: { pk: 'iam-guard-test#2' } } }] } }));
    await expect(refused).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // The authorizer reads credentials; the records table is not its business at all.
    await expect(authorizer.send(new GetCommand({ TableName: LOCAL_TABLES.records, Key: recordKey }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(guard.violations()).toStrictEqual([
      { fn: 'authorizer', operation: 'BatchWriteItem', action: 'dynamodb:BatchWriteItem', resource: `${ARN}/odoo-rest-lambda-prod-auth` },
      { fn: 'authorizer', operation: 'GetItem', action: 'dynamodb:GetItem', resource: `${ARN}/odoo-rest-lambda-prod-records` },
    ]);
    // Nothing reached DynamoDB Local.
    const unguarded = createDocumentClient({ endpoint: process.env.TEST_DYNAMODB_UNGUARDED_ENDPOINT as string, region: 'eu-west-1' });
    clients.push(unguarded);
    expect((await unguarded.send(new GetCommand({ TableName: LOCAL_TABLES.auth, Key: { pk: 'iam-guard-test#2' } }))).Item).toBeUndefined();
  });

  it('checks every action of a TransactWriteItems: one item on a table the role does not cover refuses the whole call', async () => {
    const before = guard.violations().length;
    const object = clientOf('object');
    const mixed = object.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: LOCAL_TABLES.records, Item: { pk: 'iam-guard-test#3' } } },
          { Delete: { TableName: LOCAL_TABLES.auth, Key: { pk: 'iam-guard-test#4' } } },
        ],
      }),
    );
    await expect(mixed).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(guard.violations().slice(before)).toStrictEqual([
      { fn: 'object', operation: 'TransactWriteItems', action: 'dynamodb:DeleteItem', resource: `${ARN}/odoo-rest-lambda-prod-auth` },
    ]);
  });

  it('refuses a function the template does not define, and passes calls that name no function (the tests’ own setup)', async () => {
    const before = guard.violations().length;
    await expect(clientOf('nonexistent').send(new GetCommand({ TableName: LOCAL_TABLES.records, Key: recordKey }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(clientOf().send(new GetCommand({ TableName: LOCAL_TABLES.auth, Key: { pk: 'anything' } }))).resolves.toBeDefined();
    expect(guard.violations().slice(before)).toMatchObject([{ fn: 'nonexistent', action: 'dynamodb:GetItem' }]);
  });
});
