/**
 * Operators in vals over HTTP (issue 14), against the served API over DynamoDB Local: the
 * Python-literal, JSON and XML forms, the errors, the `where` guard's 412 and 400, and many clients
 * incrementing one record at once. Each test works on partners of its own, created here and deleted
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import { apiUrl, demoToken, servedItem } from '../helpers/local';
import { closeConnections, send } from '../helpers/served-http';

const RUN = `cx${randomBytes(3).toString('hex')}`;
const OBJECT = '/restapi/1.0/object/res.partner';
const q = encodeURIComponent;
const created: number[] = [];
let token = '';

beforeAll(async () => {
  token = await demoToken();
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function call(
  method: string,
  path: string,
  init: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...init.headers };
  if (init.contentType) headers['Content-Type'] = init.contentType;
  // Over a pool of kept-alive sockets (served-http): 50 clients at once queue on it rather than
  // opening 50 connections to the local gateway.
  const response = await send(apiUrl(), {
    method,
    target: path,
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: response.status, body: response.body };
}

/** A new partner of this file's own with these values (a Python literal's entries). */
async function newPartner(values: string): Promise<number> {
  const { status, body } = await call('POST', `${OBJECT}?vals=${q(`{'name': '${RUN}', ${values}}`)}`);
  if (status !== 201) throw new Error(`create answered ${status}: ${body}`);
  const id = (JSON.parse(body) as { Partner: { id: number } }).Partner.id;
  created.push(id);
  return id;
}

const put = (id: number, vals: string, headers?: Record<string, string>) =>
  call('PUT', `${OBJECT}?ids=${id}&vals=${q(vals)}`, { headers });
const stored = async (id: number) =>
  (await servedItem('res.partner', id)) as { version: number; v: Record<string, unknown> };

afterAll(async () => {
  if (created.length > 0) await call('DELETE', `${OBJECT}?ids=${created.join(',')}`);
  closeConnections();
});

describe('operators in vals over HTTP', () => {
  it('computes from each record its own value, in the Python-literal form', async () => {
    const first = await newPartner("'color': 3, 'credit_limit': 10.0, 'ref': 'R'");
    const second = await newPartner("'color': 5");

    const answer = await call(
      'PUT',
      `${OBJECT}?ids=${first},${second}&vals=${q("{'color': {'$inc': 2}, 'credit_limit': {'$mul': 1.5}, 'ref': {'$append': '-checked'}, 'date': {'$now': True}}")}`,
    );

    expect(answer.status).toBe(200);
    const records = (JSON.parse(answer.body) as { Partner: Array<Record<string, unknown>> }).Partner;
    const today = (records[0]?.write_date as string).slice(0, 10);
    expect(records.map((record) => [record.color, record.credit_limit, record.ref, record.date])).toStrictEqual([
      [5, 15, 'R-checked', today],
      [7, 0, '-checked', today],
    ]);
    expect(answer.body).toContain('"credit_limit":15.0');
    expect((await stored(first)).v).toMatchObject({ color: 5, credit_limit: 15, ref: 'R-checked', date: today });
  });

  it('takes the JSON form in a JSON body and the XML form (<key name="$inc">)', async () => {
    const id = await newPartner("'color': 1");
    const json = await call('PUT', `${OBJECT}?ids=${id}`, {
      body: '{"vals": {"color": {"$inc": 10}}}',
      contentType: 'application/json',
    });
    expect(json.status).toBe(200);
    const xml = await call('PUT', `${OBJECT}?ids=${id}`, {
      body: '<vals><color><key name="$mul" type="int">3</key></color><name><key name="$prepend">X-</key></name></vals>',
      contentType: 'application/xml',
    });
    expect(xml.status).toBe(200);
    expect((await stored(id)).v).toMatchObject({ color: 33, name: `X-${RUN}` });
  });

  it('answers a bad operator with a 403 naming field and operator, writing nothing', async () => {
    const id = await newPartner("'color': 1");
    const before = await stored(id);
    const unknown = await put(id, "{'color': {'$add': 1}}");
    expect(unknown.status).toBe(403);
    expect(JSON.parse(unknown.body)).toMatchObject({
      error: { code: 403, message: expect.stringMatching(/field 'color' \(integer\).*unknown operator '\$add'/) },
    });
    const wrongType = await put(id, "{'is_company': {'$inc': 1}, 'color': 7}");
    expect(wrongType.status).toBe(403);
    expect(JSON.parse(wrongType.body).error.message).toMatch(
      /field 'is_company' \(boolean\).*'\$inc' applies to fields of type integer, float, monetary/,
    );
    const overflow = await put(id, "{'color': {'$inc': 2147483647}}");
    expect(overflow.status).toBe(403);
    expect(JSON.parse(overflow.body).error.message).toMatch(
      new RegExp(`of res\\.partner\\(${id}\\): '\\$inc' gives 2147483648`),
    );
    const create = await call('POST', `${OBJECT}?vals=${q("{'name': 'x', 'color': {'$inc': 1}}")}`);
    expect(create.status).toBe(403);
    expect(JSON.parse(create.body).error.message).toMatch(/Operator '\$inc' on field 'color' is not allowed in create/);
    expect(await stored(id)).toStrictEqual(before);
  });

  it('applies once per Idempotency-Key: a retried $inc replays the answer instead of adding again', async () => {
    const id = await newPartner("'color': 0");
    const key = { 'Idempotency-Key': `${RUN}-${id}` };
    const first = await put(id, "{'color': {'$inc': 1}}", key);
    const again = await put(id, "{'color': {'$inc': 1}}", key);
    expect([first.status, again.status]).toStrictEqual([200, 200]);
    expect((await stored(id)).v.color).toBe(1);
  });

  it('answers a where that a record does not match with a 412 naming it, in JSON and XML, writing nothing', async () => {
    const low = await newPartner("'color': 1");
    const high = await newPartner("'color': 5");
    const before = [await stored(low), await stored(high)];
    const guarded = `${OBJECT}?ids=${low},${high}&vals=${q("{'color': {'$inc': -2}}")}&where=${q("[('color', '>=', 2)]")}`;

    const json = await call('PUT', guarded);
    expect(json.status).toBe(412);
    expect(JSON.parse(json.body)).toStrictEqual({
      error: {
        code: 412,
        message: `The records res.partner(${low}) do not match the where domain; nothing was written`,
      },
    });

    const xml = await call('PUT', guarded, { headers: { Accept: 'application/xml' } });
    expect(xml.status).toBe(412);
    expect(xml.body).toBe(
      `<error type="dict"><code type="int">412</code><message type="str">The records res.partner(${low}) do not ` +
        'match the where domain; nothing was written</message></error>',
    );
    expect([await stored(low), await stored(high)]).toStrictEqual(before);

    // The same guard on the record that matches it alone is a write.
    const matching = await call(
      'PUT',
      `${OBJECT}?ids=${high}&vals=${q("{'color': {'$inc': -2}}")}&where=${q("[('color', '>=', 2)]")}`,
    );
    expect(matching.status).toBe(200);
    expect((await stored(high)).v.color).toBe(3);
  });

  it('refuses a where on a dotted path with a 400, writing nothing', async () => {
    const id = await newPartner("'color': 1");
    const before = await stored(id);
    const dotted = await call(
      'PUT',
      `${OBJECT}?ids=${id}&vals=${q("{'color': {'$inc': 1}}")}&where=${q("[('parent_id.name', '=', 'x')]")}`,
    );
    expect(dotted.status).toBe(400);
    expect(JSON.parse(dotted.body)).toStrictEqual({
      error: {
        code: 400,
        message: expect.stringMatching(
          /^'where' may only compare fields of the written records themselves: no dotted paths/,
        ),
      },
    });
    expect(await stored(id)).toStrictEqual(before);
  });

  it('50 concurrent {$inc: 1} PUTs on one record move it by exactly 50', async () => {
    const id = await newPartner("'color': 100");
    const before = await stored(id);
    const statuses: number[] = [];
    // A 409 (the retries inside one request ran out under this contention), 503 or 504 may be
    // sent again, as any client may: with its Idempotency-Key, a request whose answer was lost
    // after it committed is replayed rather than applied twice. Each client ends with one 200.
    const client = async (_: unknown, index: number) => {
      const key = { 'Idempotency-Key': `${RUN}-inc-${index}` };
      for (;;) {
        const { status, body } = await put(id, "{'color': {'$inc': 1}}", key);
        statuses.push(status);
        if (status === 200) return;
        if (![409, 503, 504].includes(status)) throw new Error(`unexpected ${status}: ${body}`);
      }
    };
    await Promise.all(Array.from({ length: 50 }, client));

    const after = await stored(id);
    const counts = Object.fromEntries(
      [...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length]),
    );
    process.stdout.write(`computed-writes: 50 concurrent $inc, statuses ${JSON.stringify(counts)}\n`);
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses.every((status) => status === 200 || status === 409 || status === 503 || status === 504)).toBe(true);
    expect(after.v.color).toBe(150);
    expect(after.version).toBe(before.version + 50);
  });
});
