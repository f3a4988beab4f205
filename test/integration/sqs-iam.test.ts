/**
 * The writes queue function's SQS call (lib/store/sqs.ts: SendMessage to the dead-letter queue)
 * against the roles of the deployed template. The local stack has no SQS, so the real SQSClient
 * sends to a stand-in on loopback: a FAKE of Amazon SQS, labelled as such, that records the
 * operation, the queue and the function named in the User-Agent; the prod template's roles decide
 * whether the deployed function may make it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { sqsDeadLetters } from '../../lib/store/sqs';
import type { Template } from '../helpers/iam-policy';
import { callingFunction, templateRoles } from '../setup/iam-guard';

const template = JSON.parse(readFileSync(process.env.TEST_TEMPLATE_FILE as string, 'utf8')) as Template;
const roles = templateRoles(template);
const DEAD_QUEUE_NAME = String(template.Resources.WritesDeadLetterQueue?.Properties?.QueueName);

interface SqsCall {
  readonly fn: string | undefined;
  readonly action: string;
  readonly queueUrl: string;
  readonly attributes: Record<string, { StringValue?: string }>;
}

/** FAKE SQS (see the file's header). */
let fakeSqs: Server;
let endpoint: string;
const calls: SqsCall[] = [];

beforeAll(async () => {
  fakeSqs = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const input = JSON.parse(body) as { QueueUrl: string; MessageAttributes?: SqsCall['attributes'] };
      const operation = String(request.headers['x-amz-target']).replace('AmazonSQS.', '');
      calls.push({
        fn: callingFunction(request.headers['user-agent'], 'local'),
        action: `sqs:${operation}`,
        queueUrl: input.QueueUrl,
        attributes: input.MessageAttributes ?? {},
      });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ MessageId: 'fake-1' }));
    });
  });
  await new Promise<void>((resolve) => fakeSqs.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(fakeSqs.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => fakeSqs.close(() => resolve())));

/** The queue's ARN in the template's account and region, from its URL (…/ACCOUNT/NAME). */
const arnOf = (queueUrl: string) => `arn:aws:sqs:eu-west-1:123456789012:${queueUrl.split('/').at(-1)}`;

async function deadLetter(fn: string): Promise<SqsCall> {
  const queueUrl = `https://sqs.eu-west-1.amazonaws.com/123456789012/${DEAD_QUEUE_NAME}`;
  const letters = sqsDeadLetters(queueUrl, { region: 'eu-west-1', endpoint, appId: `odoo-rest-lambda-local-${fn}` });
  await letters.send({ messageId: 'm-1', body: '{"model":"x"}', groupId: 'g' }, { status: 404, code: 'RECORD_NOT_FOUND', message: 'Record not found' });
  return calls.at(-1) as SqsCall;
}

describe('SQS calls against the deployed roles', () => {
  it('the queue function may send a dead letter to the dead-letter queue, with its reason', async () => {
    const call = await deadLetter('queue');
    expect([call.fn, call.action]).toStrictEqual(['queue', 'sqs:SendMessage']);
    expect(call.attributes.code?.StringValue).toBe('RECORD_NOT_FOUND');
    expect(roles.missing('queue', [{ action: call.action, resource: arnOf(call.queueUrl) }])).toStrictEqual([]);
  });

  it('the object function could not (the check can fail)', async () => {
    const call = await deadLetter('object');
    expect(roles.missing('object', [{ action: call.action, resource: arnOf(call.queueUrl) }])).toHaveLength(1);
  });
});
