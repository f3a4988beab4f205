/**
 * The change feed's EventBridge call (lib/store/eventbridge.ts: PutEvents on the stage's bus)
 * against the roles of the deployed template, and the entries as EventBridge receives them. The
 * local stack has no EventBridge, so the real EventBridgeClient sends to a stand-in on loopback: a
 * FAKE of Amazon EventBridge, labelled as such, that records the operation, the entries and the
 * function named in the User-Agent, and answers a partial failure when told to; the prod template's
 * roles decide whether the deployed function may make the call.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { publishAll, type EventEntry } from '../../lib/changes/eventbridge';
import { eventBridgeBus } from '../../lib/store/eventbridge';
import type { Template } from '../helpers/iam-policy';
import { callingFunction, templateRoles } from '../setup/iam-guard';

const template = JSON.parse(readFileSync(process.env.TEST_TEMPLATE_FILE as string, 'utf8')) as Template;
const roles = templateRoles(template);
const BUS_NAME = String(template.Resources.ChangesBus?.Properties?.Name);
const busArn = `arn:aws:events:eu-west-1:123456789012:event-bus/${BUS_NAME}`;

interface PutEventsCall {
  readonly fn: string | undefined;
  readonly action: string;
  readonly entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[];
}

/** FAKE EventBridge (see the file's header). */
let fakeEvents: Server;
let endpoint: string;
const calls: PutEventsCall[] = [];
/** Entries (by DetailType) the fake refuses once with InternalFailure. */
const failOnce = new Set<string>();

beforeAll(async () => {
  fakeEvents = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const input = JSON.parse(body) as { Entries: PutEventsCall['entries'] };
      const operation = String(request.headers['x-amz-target']).replace('AWSEvents.', '');
      calls.push({ fn: callingFunction(request.headers['user-agent'], 'local'), action: `events:${operation}`, entries: input.Entries });
      const results = input.Entries.map((entry, i) =>
        failOnce.delete(entry.DetailType) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'fake: try again' } : { EventId: `fake-${calls.length}-${i}` },
      );
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }));
    });
  });
  await new Promise<void>((resolve) => fakeEvents.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(fakeEvents.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => fakeEvents.close(() => resolve())));

const entry = (n: number): EventEntry => ({
  Source: 'odoo-rest-lambda.prod',
  DetailType: `res.partner updated ${n}`,
  Detail: JSON.stringify({ id: `evt_${n}`, model: 'res.partner', record_id: n }),
  EventBusName: BUS_NAME,
});

describe('EventBridge PutEvents against the deployed roles', () => {
  it('the change feed publishes in calls of 10 entries, sends again only what failed, and may (its role)', async () => {
    calls.length = 0;
    failOnce.add('res.partner updated 3');
    const bus = eventBridgeBus({ region: 'eu-west-1', endpoint, appId: 'odoo-rest-lambda-local-changes' });
    const result = await publishAll(bus, Array.from({ length: 12 }, (_, n) => entry(n)), { sleep: async () => undefined });
    expect(result.failed).toStrictEqual([]);
    expect(result.eventIds.every((id) => id !== undefined)).toBe(true);
    expect(calls.map((call) => call.entries.length)).toStrictEqual([10, 2, 1]);
    expect(calls[2]?.entries[0]?.DetailType).toBe('res.partner updated 3');
    for (const call of calls) {
      expect([call.fn, call.action]).toStrictEqual(['changes', 'events:PutEvents']);
      expect(call.entries.every((sent) => sent.EventBusName === BUS_NAME)).toBe(true);
      expect(roles.missing('changes', [{ action: call.action, resource: busArn }])).toStrictEqual([]);
    }
  });

  it('no other function could (the check can fail)', () => {
    for (const fn of ['object', 'queue', 'deliveries'])
      expect(roles.missing(fn, [{ action: 'events:PutEvents', resource: busArn }])).toHaveLength(1);
  });
});
