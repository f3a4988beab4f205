/** Queue messages as calls (lib/queue/call.ts): what a message may hold, and the request it becomes. */
import { parseQueueCall, PermanentFailure, queueRequest } from '../../../lib/queue/call';

const failure = (body: string) => {
  try {
    parseQueueCall(body);
  } catch (error) {
    if (error instanceof PermanentFailure) return error.message;
    throw error;
  }
  throw new Error('parsed');
};

describe('parseQueueCall', () => {
  it('takes the issue\'s write, and create and unlink', () => {
    expect(parseQueueCall('{"model":"res.partner","method":"write","ids":[17,20],"vals":{"color":3},"user":2}')).toEqual({
      model: 'res.partner',
      method: 'write',
      ids: [17, 20],
      vals: { color: 3 },
      user: 2,
    });
    expect(parseQueueCall('{"model":"res.partner","method":"create","vals":{"name":"A"},"user":2}')).toEqual({
      model: 'res.partner',
      method: 'create',
      vals: { name: 'A' },
      user: 2,
    });
    expect(parseQueueCall('{"model":"res.partner","method":"unlink","ids":[5],"user":2}')).toEqual({
      model: 'res.partner',
      method: 'unlink',
      ids: [5],
      user: 2,
    });
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1]', 'a JSON object'],
    ['{"model":"res.partner","method":"search","user":2}', "'method' must be one of write, create, unlink"],
    ['{"model":"Res Partner","method":"create","vals":{},"user":2}', "'model' must be"],
    ['{"model":"res.partner","method":"create","vals":{}}', "'user' must be"],
    ['{"model":"res.partner","method":"write","ids":[],"vals":{},"user":2}', "'ids' must be a non-empty list"],
    ['{"model":"res.partner","method":"write","ids":[1.5],"vals":{},"user":2}', "'ids' must be a non-empty list"],
    ['{"model":"res.partner","method":"write","ids":[1],"user":2}', "'vals' must be an object"],
    ['{"model":"res.partner","method":"unlink","ids":[1],"vals":{},"user":2}', "'vals' is for write and create only"],
    ['{"model":"res.partner","method":"create","ids":[1],"vals":{},"user":2}', "'ids' is for write and unlink only"],
    ['{"model":"res.partner","method":"create","vals":{},"user":2,"extra":1}', 'Unknown keys in the message: extra'],
  ])('refuses %s', (body, message) => {
    expect(failure(body)).toContain(message);
  });
});

describe('queueRequest', () => {
  it('is the HTTP call the route would get: verb, path, ids and vals (JSON), the message id as Idempotency-Key, the user', () => {
    const request = queueRequest(
      { model: 'res.partner', method: 'write', ids: [17, 20], vals: { child_ids: [[0, 0, { name: 'C' }]] }, user: 7 },
      { userId: 7, groups: ['base.group_user', 'base.group_partner_manager'], clientId: 'queue' },
      'm-1',
    );
    expect(request.method).toBe('PUT');
    expect(request.path).toBe('/restapi/1.0/object/res.partner');
    expect([...request.query]).toEqual([
      ['ids', ['17,20']],
      ['vals', ['{"child_ids":[[0,0,{"name":"C"}]]}']],
    ]);
    expect(request.headers.get('idempotency-key')).toBe('m-1');
    expect(request.authorizer).toEqual({
      userId: '7',
      clientId: 'queue',
      scheme: 'queue',
      tokenScopes: '',
      groups: 'base.group_user,base.group_partner_manager',
    });
  });
});
