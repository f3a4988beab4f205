/** Which changes a subscription wants, and which subscriptions can no longer be used. */
import { buildRegistry } from '../../../lib/models/registry';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import { matches, parseFieldList, readSubscription, readSubscriptions, type Subscription } from '../../../lib/webhooks/subscription';
import { shippedModels } from '../../../models';
import { change } from './memory-webhook-store';

const registry = buildRegistry(shippedModels);

function hook(values: Record<string, StoredValue>, id = 3): StoredRecord {
  return { model: 'ir.webhook', id, version: 1, values: { name: 'h', url: 'https://x.example.com/', active: true, model: 'res.partner', ...values } };
}

function usable(values: Record<string, StoredValue>): Subscription {
  const reading = readSubscription(hook(values), registry);
  if (!reading.usable) throw new Error(`unusable: ${reading.reason}`);
  return reading.subscription;
}

describe('readSubscription', () => {
  it('reads the model, url, the field list (trimmed) and no domain for an empty one', () => {
    expect(usable({ fields: ' email , phone,,', domain: '' })).toStrictEqual({
      id: 3,
      name: 'h',
      model: 'res.partner',
      url: 'https://x.example.com/',
      fields: ['email', 'phone'],
      domain: undefined,
      active: true,
    });
    expect(usable({ domain: '[]', fields: null }).domain).toBeUndefined();
  });

  it('parses the domain against the model, Python or JSON spelling', () => {
    expect(usable({ domain: "[('is_company', '=', True)]" }).domain).toMatchObject({ kind: 'leaf', operator: '=', value: true });
    expect(usable({ domain: '[["is_company", "=", true]]' }).domain).toMatchObject({ kind: 'leaf', operator: '=' });
  });

  it.each([
    [{ model: 'x.gone' }, 'the model "x.gone" does not exist (any more)'],
    [{ fields: 'email,nope' }, 'res.partner has no field "nope"'],
    [{ domain: "[('nope', '=', 1)]" }, 'its domain is not valid for res.partner'],
    [{ domain: "[('name', '=',"}, 'its domain is not valid for res.partner'],
    [{ domain: "[('country_id.code', '=', 'BE')]" }, 'its domain needs records of other models'],
  ])('reports %j as unusable instead of throwing', (values, reason) => {
    const reading = readSubscription(hook(values as Record<string, StoredValue>), registry);
    expect(reading.usable).toBe(false);
    expect(reading.usable ? '' : reading.reason).toContain(reason);
  });

  it('splits a list into usable and unusable subscriptions, keeping the usable ones', () => {
    const { usable: ok, unusable } = readSubscriptions([hook({}, 1), hook({ model: 'x.gone' }, 2), hook({ fields: 'email' }, 4)], registry);
    expect(ok.map((s) => s.id)).toStrictEqual([1, 4]);
    expect(unusable).toStrictEqual([{ id: 2, reason: 'the model "x.gone" does not exist (any more)' }]);
  });

  it('parses comma-separated field lists', () => {
    expect(parseFieldList('')).toStrictEqual([]);
    expect(parseFieldList(' a,b ,, c ')).toStrictEqual(['a', 'b', 'c']);
  });
});

describe('matches', () => {
  it('wants changes of its own model only, and only while active', () => {
    const subscription = usable({});
    expect(matches(subscription, change({}))).toBe(true);
    expect(matches(subscription, change({ model: 'res.country' }))).toBe(false);
    expect(matches({ ...subscription, active: false }, change({}))).toBe(false);
  });

  it('sends an update only when it touches one of the fields; creates and deletes always pass that filter', () => {
    const subscription = usable({ fields: 'email,phone' });
    expect(matches(subscription, change({ changed: ['name', 'phone'] }))).toBe(true);
    expect(matches(subscription, change({ changed: ['name'] }))).toBe(false);
    expect(matches(subscription, change({ type: 'record.created', changed: ['name'] }))).toBe(true);
    expect(matches(subscription, change({ type: 'record.deleted', changed: ['name'] }))).toBe(true);
    expect(matches(usable({}), change({ changed: ['name'] }))).toBe(true);
  });

  it("evaluates the domain on the change's state (a delete's: the values it had)", () => {
    const companies = usable({ domain: "[('is_company', '=', True), ('name', 'ilike', 'acme')]" });
    expect(matches(companies, change({ values: { is_company: true, name: 'ACME Corp' } }))).toBe(true);
    expect(matches(companies, change({ values: { is_company: false, name: 'ACME Corp' } }))).toBe(false);
    expect(matches(companies, change({ values: { is_company: true, name: 'Other' } }))).toBe(false);
    expect(matches(companies, change({ type: 'record.deleted', values: { is_company: true, name: 'acme' } }))).toBe(true);
  });
});
