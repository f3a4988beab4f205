/**
 * Ledger exports (lib/metering/export.ts): the CSV parses back (RFC 4180) to the rows it was made
 * from, the JSON totals what is billed, and the Stripe and Marketplace files bill each closed hour
 * once, under keys that are the same in every export and differ between usages.
 */
import fc from 'fast-check';
import type { Outcome, UsageRow } from '../../../lib/metering/ledger';
import { BILLABLE_OUTCOMES, OUTCOMES } from '../../../lib/metering/ledger';
import {
  ExportError,
  jsonLines,
  marketplaceBatches,
  stripeIdentifier,
  stripeMeterEvents,
  usageCsv,
  usageJson,
  type MarketplaceOptions,
  type StripeOptions,
} from '../../../lib/metering/export';

const HOUR = '2026-12-06T05:00:00Z';
const HOUR_START_S = Date.parse(HOUR) / 1000;

function row(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    clientId: 'client-a',
    hour: HOUR,
    model: 'res.partner',
    method: 'write',
    outcome: 'ok',
    calls: 1,
    units: 1,
    ...overrides,
  };
}

/**
 * One row of each outcome, the units of the i-th outcome 10^i: the billable sum says which outcomes
 * were counted. Which outcomes are billed is the ledger's decision (BILLABLE_OUTCOMES); `ok` is.
 */
const EVERY_OUTCOME = OUTCOMES.map((outcome, i) => row({ outcome, calls: i + 1, units: 10 ** i }));
const BILLABLE_SUM = OUTCOMES.reduce((sum, outcome, i) => sum + (BILLABLE_OUTCOMES.has(outcome) ? 10 ** i : 0), 0);

test('the ledger bills served calls and not refused ones', () => {
  expect(BILLABLE_OUTCOMES.has('ok')).toBe(true);
  expect(BILLABLE_OUTCOMES.has('client_error')).toBe(false);
  expect(BILLABLE_OUTCOMES.has('limited')).toBe(false);
  expect(BILLABLE_SUM).toBeGreaterThan(0);
});

/** The hour `hours` after HOUR (negative: before). */
const hourAt = (hours: number): string =>
  new Date(Date.parse(HOUR) + hours * 3_600_000).toISOString().replace('.000Z', 'Z');
/** `seconds` after HOUR's start. */
const at = (seconds: number): Date => new Date((HOUR_START_S + seconds) * 1000);

/** A strict RFC 4180 parser (CRLF records, quoted fields with doubled quotes): what a spreadsheet reads. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let index = 0;
  for (;;) {
    let field = '';
    if (text[index] === '"') {
      index++;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote < 0) throw new Error('unterminated quoted field');
        field += text.slice(index, quote);
        index = quote + 1;
        if (text[index] === '"') {
          field += '"';
          index++;
        } else break;
      }
    } else {
      const end = text.slice(index).search(/[,\r\n"]/);
      const stop = end < 0 ? text.length : index + end;
      field = text.slice(index, stop);
      index = stop;
      if (text[index] === '"') throw new Error(`a quote inside an unquoted field at ${index}`);
    }
    fields.push(field);
    if (text[index] === ',') {
      index++;
      continue;
    }
    if (text.startsWith('\r\n', index)) {
      records.push(fields);
      fields = [];
      index += 2;
      if (index === text.length) return records;
      continue;
    }
    throw new Error(`expected a comma or CRLF at ${index}, found ${JSON.stringify(text.slice(index, index + 5))}`);
  }
}

const HEADER = ['client_id', 'hour', 'model', 'method', 'outcome', 'calls', 'units'];
const asRecord = (r: UsageRow): string[] => [
  r.clientId,
  r.hour,
  r.model,
  r.method,
  r.outcome,
  String(r.calls),
  String(r.units),
];

describe('usageCsv', () => {
  it('writes only the header, with its CRLF, for no rows', () => {
    expect(usageCsv([])).toBe('client_id,hour,model,method,outcome,calls,units\r\n');
  });

  it('writes one CRLF-ended line per row, plain fields unquoted', () => {
    expect(usageCsv([row({ calls: 3, units: 6 })])).toBe(
      'client_id,hour,model,method,outcome,calls,units\r\n' +
        'client-a,2026-12-06T05:00:00Z,res.partner,write,ok,3,6\r\n',
    );
  });

  it.each([
    ['plain', 'plain'],
    ['', ''],
    [' spaced ', ' spaced '],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['a\rb', '"a\rb"'],
    ['a\nb', '"a\nb"'],
    ['a\r\nb', '"a\r\nb"'],
    ['é,ü', '"é,ü"'],
  ])('writes the client id %j as %j and parses it back', (value, written) => {
    const text = usageCsv([row({ clientId: value })]);
    expect(text).toBe(
      `client_id,hour,model,method,outcome,calls,units\r\n${written},${HOUR},res.partner,write,ok,1,1\r\n`,
    );
    expect(parseCsv(text)[1]?.[0]).toBe(value);
  });

  it('sorts by hour, client, model, method and outcome whatever the input order', () => {
    const sorted = [
      row({ hour: hourAt(-1), clientId: 'z' }),
      row({ clientId: 'a', model: 'res.partner', method: 'write', outcome: 'client_error' }),
      row({ clientId: 'a', model: 'res.partner', method: 'write', outcome: 'ok' }),
      row({ clientId: 'a', model: 'res.partner', method: 'write', outcome: 'server_error' }),
      row({ clientId: 'a', model: 'res.users', method: 'create' }),
      row({ clientId: 'a', model: 'res.users', method: 'search_read' }),
      row({ clientId: 'b', model: 'a.model' }),
      row({ hour: hourAt(1), clientId: 'a' }),
    ];
    const shuffled = [
      sorted[5],
      sorted[0],
      sorted[7],
      sorted[2],
      sorted[6],
      sorted[1],
      sorted[4],
      sorted[3],
    ] as UsageRow[];
    expect(parseCsv(usageCsv(shuffled))).toEqual([HEADER, ...sorted.map(asRecord)]);
    expect(usageCsv(shuffled)).toBe(usageCsv(sorted));
  });

  it('round-trips any strings through an RFC 4180 parser', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const rows = fc.array(
      fc.record({
        clientId: text,
        hour: fc.integer({ min: -5000, max: 5000 }).map(hourAt),
        model: text,
        method: text,
        outcome: fc.constantFrom<Outcome>(...OUTCOMES),
        calls: fc.nat(),
        units: fc.nat(),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(rows, (input) => {
        const parsed = parseCsv(usageCsv(input));
        expect(parsed[0]).toEqual(HEADER);
        expect(parsed.slice(1).sort()).toEqual(input.map(asRecord).sort());
      }),
    );
  });

  it.each([
    ['an hour that is not one', row({ hour: '2026-12-06T05:30:00Z' })],
    ['an impossible date', row({ hour: '2026-02-30T05:00:00Z' })],
    ['fractional units', row({ units: 1.5 })],
    ['negative calls', row({ calls: -1 })],
  ])('refuses a row with %s', (_what, bad) => {
    expect(() => usageCsv([row(), bad])).toThrow(ExportError);
  });
});

describe('usageJson', () => {
  const period = { from: new Date('2026-12-06T00:00:00Z'), to: new Date('2026-12-07T00:00:00Z') };

  it('gives the period, the rows sorted, and totals of all calls and of the billed ones', () => {
    const rows = [
      row({ outcome: 'client_error', calls: 2, units: 2 }),
      row({ outcome: 'ok', calls: 3, units: 6 }),
      row({ outcome: 'ok', calls: 4, units: 4, clientId: 'client-b' }),
      row({ outcome: 'limited', calls: 5, units: 5 }),
      row({ outcome: 'server_error', calls: 7, units: 7, hour: hourAt(-1) }),
    ];
    const json = usageJson(rows, period);
    expect(json.from).toBe('2026-12-06T00:00:00.000Z');
    expect(json.to).toBe('2026-12-07T00:00:00.000Z');
    expect(json.totals).toEqual({ calls: 21, units: 24, billableCalls: 7, billableUnits: 10 });
    expect(json.rows.map((r) => [r.hour, r.clientId, r.outcome])).toEqual([
      [hourAt(-1), 'client-a', 'server_error'],
      [HOUR, 'client-a', 'client_error'],
      [HOUR, 'client-a', 'limited'],
      [HOUR, 'client-a', 'ok'],
      [HOUR, 'client-b', 'ok'],
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('gives zero totals and no rows for no rows', () => {
    expect(usageJson([], period)).toEqual({
      from: '2026-12-06T00:00:00.000Z',
      to: '2026-12-07T00:00:00.000Z',
      rows: [],
      totals: { calls: 0, units: 0, billableCalls: 0, billableUnits: 0 },
    });
  });

  it.each([
    ['before the period', '2026-12-05T23:00:00Z'],
    ['at its end', '2026-12-07T00:00:00Z'],
  ])('refuses a row %s', (_what, hour) => {
    expect(() => usageJson([row({ hour })], period)).toThrow(ExportError);
  });

  it('takes rows at the first and last hour of the period', () => {
    const rows = [row({ hour: '2026-12-06T00:00:00Z' }), row({ hour: '2026-12-06T23:00:00Z' })];
    expect(usageJson(rows, period).rows).toHaveLength(2);
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => usageJson([], { from: period.to, to: period.from })).toThrow(ExportError);
  });
});

describe('stripeMeterEvents', () => {
  const customers: Record<string, string> = { 'client-a': 'cus_A1', 'client-b': 'cus_B2' };
  const options = (overrides: Partial<StripeOptions> = {}): StripeOptions => ({
    eventName: 'api_units',
    customerOf: (clientId) => customers[clientId],
    now: at(3 * 3600),
    settleSeconds: 300,
    ...overrides,
  });

  it('sums the billable units of one (client, hour, model, method) into one event', () => {
    expect(stripeMeterEvents([...EVERY_OUTCOME, row({ units: 5000 })], options())).toEqual({
      events: [
        {
          event_name: 'api_units',
          payload: {
            stripe_customer_id: 'cus_A1',
            value: String(BILLABLE_SUM + 5000),
            model: 'res.partner',
            method: 'write',
          },
          identifier: 'api_units|client-a|20261206T05|res.partner|write',
          timestamp: HOUR_START_S,
        },
      ],
      left: { open: [], tooOld: [], noCustomer: [], badCustomer: [] },
    });
  });

  it('gives one event per client, hour, model and method, sorted', () => {
    const rows = [
      row({ clientId: 'client-b' }),
      row({ method: 'create' }),
      row({ model: 'res.users' }),
      row({ hour: hourAt(-1) }),
      row(),
    ];
    const { events } = stripeMeterEvents(rows, options());
    expect(events.map((e) => [e.timestamp, e.payload.stripe_customer_id, e.payload.model, e.payload.method])).toEqual([
      [HOUR_START_S - 3600, 'cus_A1', 'res.partner', 'write'],
      [HOUR_START_S, 'cus_A1', 'res.partner', 'create'],
      [HOUR_START_S, 'cus_A1', 'res.partner', 'write'],
      [HOUR_START_S, 'cus_A1', 'res.users', 'write'],
      [HOUR_START_S, 'cus_B2', 'res.partner', 'write'],
    ]);
  });

  it.each([
    ['no rows', []],
    ['only refused calls', [row({ outcome: 'client_error' }), row({ outcome: 'limited' })]],
    ['billable calls of zero units', [row({ outcome: 'ok', units: 0 })]],
  ])('gives no event and reports nothing for %s', (_what, rows: UsageRow[]) => {
    expect(stripeMeterEvents(rows, options())).toEqual({
      events: [],
      left: { open: [], tooOld: [], noCustomer: [], badCustomer: [] },
    });
  });

  it.each([
    // [seconds after the hour's start, settle seconds, open?]
    [3600 + 300 - 1, 300, true],
    [3600 + 300, 300, false],
    [3600 - 1, 0, true],
    [3600, 0, false],
    [60, 300, true],
  ])('at %is after the start with %is to settle, the hour is open: %s', (seconds, settleSeconds, open) => {
    const result = stripeMeterEvents(
      [row(), row({ outcome: 'client_error' })],
      options({ now: at(seconds), settleSeconds }),
    );
    expect(result.events).toHaveLength(open ? 0 : 1);
    expect(result.left.open).toEqual(open ? [HOUR] : []);
  });

  it('reports an open hour with no billable calls yet, and exports the closed hours beside it', () => {
    const rows = [row({ hour: hourAt(-1) }), row({ outcome: 'client_error' })];
    const result = stripeMeterEvents(rows, options({ now: at(1800) }));
    expect(result.events.map((e) => e.timestamp)).toEqual([HOUR_START_S - 3600]);
    expect(result.left.open).toEqual([HOUR]);
  });

  it('reports hours older than 35 days and exports the one just inside', () => {
    const days35 = 35 * 24 * 3600;
    const rows = [row({ hour: hourAt(-35 * 24 - 1) }), row({ hour: hourAt(-35 * 24) }), row({ outcome: 'ok' })];
    const result = stripeMeterEvents(rows, options({ now: at(0) }));
    // At the start of HOUR, HOUR itself is open; the hour 35 days before is exactly 35 days old.
    expect(result.events.map((e) => e.timestamp)).toEqual([HOUR_START_S - days35]);
    expect(result.left.tooOld).toEqual([hourAt(-35 * 24 - 1)]);
    expect(result.left.open).toEqual([HOUR]);
  });

  it('reports clients without a customer, or with one that is not a Stripe customer id, and bills the others', () => {
    const rows = [
      row({ clientId: 'client-b' }),
      row({ clientId: 'nobody' }),
      row({ clientId: 'nobody', model: 'res.users' }),
      row({ clientId: 'empty' }),
      row({ clientId: 'typo' }),
      row({ clientId: 'free', outcome: 'client_error' }),
    ];
    const mapping: Record<string, string> = { ...customers, empty: '', typo: 'acct_1' };
    const result = stripeMeterEvents(rows, options({ customerOf: (clientId) => mapping[clientId] }));
    expect(result.events.map((e) => e.payload.stripe_customer_id)).toEqual(['cus_B2']);
    expect(result.left).toEqual({ open: [], tooOld: [], noCustomer: ['empty', 'nobody'], badCustomer: ['typo'] });
  });

  it('asks for each client’s customer once', () => {
    const asked: string[] = [];
    const rows = [row(), row({ model: 'res.users' }), row({ hour: hourAt(-1) }), row({ clientId: 'client-b' })];
    stripeMeterEvents(
      rows,
      options({
        customerOf: (clientId) => {
          asked.push(clientId);
          return customers[clientId];
        },
      }),
    );
    expect(asked.sort()).toEqual(['client-a', 'client-b']);
  });

  it('gives the same identifiers in a later export of the same rows in another order', () => {
    const rows = [
      row(),
      row({ model: 'res.users' }),
      row({ hour: hourAt(-2) }),
      row({ clientId: 'client-b', units: 4 }),
    ];
    const first = stripeMeterEvents(rows, options());
    const second = stripeMeterEvents([...rows].reverse(), options({ now: at(20 * 3600) }));
    expect(second.events).toEqual(first.events);
    expect(jsonLines(second.events)).toBe(jsonLines(first.events));
  });

  it('gives distinct identifiers to usages that differ in any part, separators included', () => {
    const keys: [string, string, string, string, string][] = [
      ['api_units', 'client-a', HOUR, 'res.partner', 'write'],
      ['api_calls', 'client-a', HOUR, 'res.partner', 'write'],
      ['api_units', 'client-b', HOUR, 'res.partner', 'write'],
      ['api_units', 'client-a', hourAt(1), 'res.partner', 'write'],
      ['api_units', 'client-a', HOUR, 'res.users', 'write'],
      ['api_units', 'client-a', HOUR, 'res.partner', 'create'],
      // A client id holding the separator must not pass for another split of the same text.
      ['api_units', 'a|b', HOUR, 'c', 'write'],
      ['api_units', 'a', HOUR, 'b|c', 'write'],
      ['api_units', 'a', HOUR, 'b', 'c|write'],
      ['api_units', 'x'.repeat(200), HOUR, 'm', 'write'],
      ['api_units', 'x'.repeat(201), HOUR, 'm', 'write'],
    ];
    const identifiers = keys.map((key) => stripeIdentifier(...key));
    expect(new Set(identifiers).size).toBe(keys.length);
    for (const identifier of identifiers) expect(identifier.length).toBeLessThanOrEqual(100);
  });

  it('gives distinct identifiers to the events of one export', () => {
    const rows = [row(), row({ clientId: 'client-b' }), row({ method: 'unlink' }), row({ hour: hourAt(-1) })];
    const identifiers = stripeMeterEvents(rows, options()).events.map((e) => e.identifier);
    expect(identifiers).toHaveLength(4);
    expect(new Set(identifiers).size).toBe(4);
  });

  it('keeps a readable identifier of exactly 100 characters and hashes one of 101', () => {
    // 'api_units|' + client + '|20261206T05|m|write' is 30 characters beside the client id.
    const at100 = stripeIdentifier('api_units', 'c'.repeat(70), HOUR, 'm', 'write');
    const at101 = stripeIdentifier('api_units', 'c'.repeat(71), HOUR, 'm', 'write');
    expect(at100).toBe(`api_units|${'c'.repeat(70)}|20261206T05|m|write`);
    expect(at100).toHaveLength(100);
    expect(at101).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stripeIdentifier('api_units', 'c'.repeat(71), HOUR, 'm', 'write')).toBe(at101);
  });

  it('hashes the identifier of a client id that is long or not plain, in the events too', () => {
    const longId = 'client-'.repeat(30);
    const rows = [row({ clientId: longId }), row({ clientId: 'has space' })];
    const mapping: Record<string, string> = { [longId]: 'cus_L', 'has space': 'cus_S' };
    const { events } = stripeMeterEvents(rows, options({ customerOf: (clientId) => mapping[clientId] }));
    expect(events).toHaveLength(2);
    for (const event of events) expect(event.identifier).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('writes one request body a line', () => {
    const { events } = stripeMeterEvents([row(), row({ clientId: 'client-b' })], options());
    const text = jsonLines(events);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
    expect(jsonLines([])).toBe('');
  });

  it.each([
    ['an empty event name', { eventName: '' }],
    ['an event name with a separator', { eventName: 'a|b' }],
    ['a negative settle time', { settleSeconds: -1 }],
    ['an invalid now', { now: new Date(NaN) }],
  ])('refuses %s', (_what, overrides: Partial<StripeOptions>) => {
    expect(() => stripeMeterEvents([row()], options(overrides))).toThrow(ExportError);
  });
});

describe('marketplaceBatches', () => {
  const accounts: Record<string, string> = { 'client-a': '111111111111', 'client-b': '222222222222' };
  const options = (overrides: Partial<MarketplaceOptions> = {}): MarketplaceOptions => ({
    productCode: 'prod-abc123',
    dimension: 'api_units',
    customerAccountOf: (clientId) => accounts[clientId],
    now: at(2 * 3600),
    settleSeconds: 300,
    ...overrides,
  });
  const nothingLeft = { open: [], stale: [], noAccount: [], badAccount: [], tooLarge: [] };

  it('sums the billable units of a client’s hour, over models and methods, into one record', () => {
    const rows = [...EVERY_OUTCOME, row({ model: 'res.users', method: 'create', units: 40000 })];
    expect(marketplaceBatches(rows, options())).toEqual({
      batches: [
        {
          ProductCode: 'prod-abc123',
          UsageRecords: [
            {
              CustomerAWSAccountID: '111111111111',
              Dimension: 'api_units',
              Quantity: BILLABLE_SUM + 40000,
              Timestamp: '2026-12-06T05:00:00.000Z',
            },
          ],
        },
      ],
      left: nothingLeft,
    });
  });

  it('makes one record of two clients of one account (Marketplace keeps one quantity per account and hour)', () => {
    const mapping: Record<string, string> = { one: '333333333333', two: '333333333333' };
    const rows = [row({ clientId: 'one', units: 2 }), row({ clientId: 'two', units: 5 })];
    const { batches } = marketplaceBatches(rows, options({ customerAccountOf: (clientId) => mapping[clientId] }));
    expect(batches.flatMap((b) => b.UsageRecords)).toEqual([
      {
        CustomerAWSAccountID: '333333333333',
        Dimension: 'api_units',
        Quantity: 7,
        Timestamp: '2026-12-06T05:00:00.000Z',
      },
    ]);
  });

  it.each([
    ['no rows', []],
    ['only refused calls', [row({ outcome: 'limited' })]],
    ['billable calls of zero units', [row({ units: 0 })]],
  ])('gives no request for %s', (_what, rows: UsageRow[]) => {
    expect(marketplaceBatches(rows, options())).toEqual({ batches: [], left: nothingLeft });
  });

  /** `clients` clients with an account each, each with usage in `hours` hours before HOUR (HOUR included). */
  function manyRows(clients: number, hours: number): { rows: UsageRow[]; mapping: Record<string, string> } {
    const rows: UsageRow[] = [];
    const mapping: Record<string, string> = {};
    for (let c = 0; c < clients; c++) {
      const clientId = `client-${String(c).padStart(4, '0')}`;
      mapping[clientId] = String(100000000000 + c);
      for (let h = 0; h < hours; h++) rows.push(row({ clientId, hour: hourAt(-h), units: c + h + 1 }));
    }
    return { rows, mapping };
  }

  it('cuts more than 25 records into requests of 25, in hour and account order', () => {
    const { rows, mapping } = manyRows(30, 2);
    const { batches } = marketplaceBatches(rows, options({ customerAccountOf: (id) => mapping[id] }));
    expect(batches.map((b) => b.UsageRecords.length)).toEqual([25, 25, 10]);
    const records = batches.flatMap((b) => b.UsageRecords);
    const sorted = [...records].sort(
      (a, b) => a.Timestamp.localeCompare(b.Timestamp) || a.CustomerAWSAccountID.localeCompare(b.CustomerAWSAccountID),
    );
    expect(records).toEqual(sorted);
    expect(new Set(records.map((r) => `${r.Timestamp} ${r.CustomerAWSAccountID}`)).size).toBe(60);
    expect(records[0]).toEqual({
      CustomerAWSAccountID: '100000000000',
      Dimension: 'api_units',
      Quantity: 2,
      Timestamp: '2026-12-06T04:00:00.000Z',
    });
  });

  it('gives identical requests when the same rows are exported again in another order', () => {
    const { rows, mapping } = manyRows(27, 3);
    const first = marketplaceBatches(rows, options({ customerAccountOf: (id) => mapping[id] }));
    const second = marketplaceBatches([...rows].reverse(), options({ customerAccountOf: (id) => mapping[id] }));
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first.batches).toHaveLength(Math.ceil((27 * 3) / 25));
  });

  it('keeps every request under 1 MB, even with the longest product code and dimension', () => {
    const { rows, mapping } = manyRows(400, 5);
    const { batches } = marketplaceBatches(
      rows,
      options({
        productCode: '\u{1F4B0}'.repeat(127) + 'p',
        dimension: '"\u2028'.repeat(127) + 'd',
        customerAccountOf: (id) => mapping[id],
      }),
    );
    // Of the 5 hours, the oldest is 6 hours old: 4 x 400 records.
    expect(batches).toHaveLength(64);
    for (const batch of batches) {
      expect(batch.UsageRecords.length).toBeLessThanOrEqual(25);
      expect(Buffer.byteLength(JSON.stringify(batch), 'utf8')).toBeLessThan(1_000_000);
    }
  });

  it.each([
    // [seconds after HOUR's start, open?, stale?]
    [3600 + 300 - 1, true, false],
    [3600 + 300, false, false],
    [6 * 3600 - 1, false, false],
    [6 * 3600, false, true],
  ])('at %is after the start (5 min to settle), the hour is open: %s, stale: %s', (seconds, open, stale) => {
    const result = marketplaceBatches([row()], options({ now: at(seconds) }));
    expect(result.batches).toHaveLength(open || stale ? 0 : 1);
    expect(result.left.open).toEqual(open ? [HOUR] : []);
    expect(result.left.stale).toEqual(stale ? [HOUR] : []);
  });

  it('reports clients without an account or with one that is not an AWS account id, and bills the others', () => {
    const mapping: Record<string, string> = { ...accounts, short: '12345', named: 'acme-prod-acc' };
    const rows = [
      row({ clientId: 'client-b' }),
      row({ clientId: 'nobody' }),
      row({ clientId: 'short' }),
      row({ clientId: 'named' }),
      row({ clientId: 'idle', outcome: 'server_error' }),
    ];
    const result = marketplaceBatches(rows, options({ customerAccountOf: (id) => mapping[id] }));
    expect(result.batches.flatMap((b) => b.UsageRecords.map((r) => r.CustomerAWSAccountID))).toEqual(['222222222222']);
    expect(result.left).toEqual({ ...nothingLeft, noAccount: ['nobody'], badAccount: ['named', 'short'] });
  });

  it('reports a quantity over 2^31 - 1 rather than sending it', () => {
    const rows = [
      row({ units: 2_000_000_000 }),
      row({ model: 'res.users', units: 200_000_000 }),
      row({ clientId: 'client-b' }),
    ];
    const result = marketplaceBatches(rows, options());
    expect(result.batches.flatMap((b) => b.UsageRecords.map((r) => r.CustomerAWSAccountID))).toEqual(['222222222222']);
    expect(result.left.tooLarge).toEqual([{ account: '111111111111', hour: HOUR, quantity: 2_200_000_000 }]);
  });

  it.each([
    ['an empty product code', { productCode: '' }],
    ['a dimension over 255 characters', { dimension: 'd'.repeat(256) }],
    ['a fractional settle time', { settleSeconds: 0.5 }],
  ])('refuses %s', (_what, overrides: Partial<MarketplaceOptions>) => {
    expect(() => marketplaceBatches([row()], options(overrides))).toThrow(ExportError);
  });
});
