/**
 * Standard Webhooks signing, held to the `standardwebhooks` npm package as an independent oracle: it
 * verifies what we sign and we verify what it signs. The oracle checks timestamps against the real
 * clock, so the deliveries it sees are stamped now.
 */
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import {
  newSigningSecret,
  signDelivery,
  signingKey,
  verifyDelivery,
  DEFAULT_TOLERANCE_SECONDS,
} from '../../../lib/webhooks/signature';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const body = JSON.stringify({
  type: 'record.updated',
  timestamp: '2026-11-28T10:00:00Z',
  data: { model: 'res.partner', id: 17 },
});

describe('newSigningSecret', () => {
  it('is whsec_ followed by base64 of 32 random bytes by default, different every time', () => {
    const first = newSigningSecret();
    const second = newSigningSecret();
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(signingKey(first)).toHaveLength(32);
    expect(first).not.toBe(second);
  });

  it('takes 24 to 64 bytes, as the spec bounds a secret', () => {
    expect(signingKey(newSigningSecret(24))).toHaveLength(24);
    expect(signingKey(newSigningSecret(64))).toHaveLength(64);
    expect(() => newSigningSecret(23)).toThrow(RangeError);
    expect(() => newSigningSecret(65)).toThrow(RangeError);
  });
});

describe('signingKey', () => {
  it('refuses a secret without the prefix, with bad base64 or of the wrong size, without repeating it', () => {
    const raw = Buffer.alloc(32, 7).toString('base64');
    expect(() => signingKey(raw)).toThrow("starts with 'whsec_'");
    expect(() => signingKey('whsec_not base64!')).toThrow('followed by base64');
    expect(() => signingKey(`whsec_${Buffer.alloc(8).toString('base64')}`)).toThrow('not 8');
    try {
      signingKey(`whsec_${raw}!`);
    } catch (error) {
      expect((error as Error).message).not.toContain(raw);
    }
  });
});

describe('signDelivery', () => {
  it('produces the three headers, and the standardwebhooks package verifies them', () => {
    const secret = newSigningSecret();
    const timestamp = nowSeconds();
    const headers = signDelivery(secret, { id: 'evt_2Xq9', timestamp, body });
    expect(headers['webhook-id']).toBe('evt_2Xq9');
    expect(headers['webhook-timestamp']).toBe(String(timestamp));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('signs exactly what the oracle signs, for any id, body and secret size', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 24, max: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (id, text, bytes, timestamp) => {
          const secret = newSigningSecret(bytes);
          const ours = signDelivery(secret, { id, timestamp, body: text })['webhook-signature'];
          expect(ours).toBe(new Webhook(secret).sign(id, new Date(timestamp * 1000), text));
        },
      ),
    );
  });

  it('signs the bytes given, so a Buffer body signs like the same string', () => {
    const secret = newSigningSecret();
    const delivery = { id: 'evt_1', timestamp: nowSeconds() };
    expect(signDelivery(secret, { ...delivery, body: Buffer.from(body) })).toEqual(
      signDelivery(secret, { ...delivery, body }),
    );
  });

  it('signs with every secret of a rotation, and a receiver holding either one accepts', () => {
    const [older, newer] = [newSigningSecret(), newSigningSecret()];
    const headers = signDelivery([older, newer], { id: 'evt_rot', timestamp: nowSeconds(), body });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(older).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newer).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, { ...headers })).toThrow('No matching signature');
  });

  it('refuses an id a header cannot carry, a timestamp that is not whole seconds and no secret', () => {
    const secret = newSigningSecret();
    expect(() => signDelivery(secret, { id: 'evt 1', timestamp: 1, body })).toThrow('webhook id');
    expect(() => signDelivery(secret, { id: '', timestamp: 1, body })).toThrow('webhook id');
    expect(() => signDelivery(secret, { id: 'evt_1', timestamp: 1.5, body })).toThrow('whole Unix seconds');
    expect(() => signDelivery([], { id: 'evt_1', timestamp: 1, body })).toThrow('at least one secret');
  });
});

describe('verifyDelivery', () => {
  const secret = newSigningSecret();
  const now = new Date();
  const signed = (over: { id?: string; timestamp?: number; with?: string } = {}) =>
    new Webhook(over.with ?? secret).sign(over.id ?? 'msg_1', new Date((over.timestamp ?? nowSeconds()) * 1000), body);
  const headersOf = (timestamp = Math.floor(now.getTime() / 1000), signature = signed({ timestamp })) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });

  it('accepts what the standardwebhooks package signs, and says which delivery it is', () => {
    const headers = headersOf();
    expect(verifyDelivery([secret], headers, body, now)).toEqual({
      ok: true,
      id: 'msg_1',
      timestamp: Number(headers['webhook-timestamp']),
    });
  });

  it('finds the headers whatever their case, and takes the body as bytes too', () => {
    const headers = headersOf();
    const shouted = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(verifyDelivery([secret], shouted, Buffer.from(body), now)).toMatchObject({ ok: true });
  });

  it('refuses a tampered body, id or timestamp', () => {
    const headers = headersOf();
    expect(verifyDelivery([secret], headers, body.replace('17', '18'), now)).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
    expect(verifyDelivery([secret], { ...headers, 'webhook-id': 'msg_2' }, body, now)).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
    const shifted = String(Number(headers['webhook-timestamp']) + 1);
    expect(verifyDelivery([secret], { ...headers, 'webhook-timestamp': shifted }, body, now)).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
  });

  it('refuses a signature made with another secret, and accepts it once that secret is among the rotation', () => {
    const other = newSigningSecret();
    const timestamp = Math.floor(now.getTime() / 1000);
    const headers = headersOf(timestamp, signed({ timestamp, with: other }));
    expect(verifyDelivery([secret], headers, body, now)).toEqual({ ok: false, reason: 'no signature matches' });
    expect(verifyDelivery([secret, other], headers, body, now)).toMatchObject({ ok: true });
  });

  it('accepts any of several space-separated signatures, ignoring other versions', () => {
    const timestamp = Math.floor(now.getTime() / 1000);
    const foreign = signed({ timestamp, with: newSigningSecret() });
    const signature = `v1a,${Buffer.alloc(64).toString('base64')} ${foreign} ${signed({ timestamp })}`;
    expect(verifyDelivery([secret], headersOf(timestamp, signature), body, now)).toMatchObject({ ok: true });
    expect(
      verifyDelivery([secret], headersOf(timestamp, `v1a,${Buffer.alloc(64).toString('base64')}`), body, now),
    ).toEqual({
      ok: false,
      reason: 'no v1 signature in webhook-signature',
    });
  });

  it('refuses a stale or future timestamp beyond the tolerance, and accepts one at its edge', () => {
    const at = Math.floor(now.getTime() / 1000);
    const edgeOld = at - DEFAULT_TOLERANCE_SECONDS;
    expect(verifyDelivery([secret], headersOf(edgeOld, signed({ timestamp: edgeOld })), body, now)).toMatchObject({
      ok: true,
    });
    const stale = edgeOld - 1;
    expect(verifyDelivery([secret], headersOf(stale, signed({ timestamp: stale })), body, now)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is too old',
    });
    const future = at + DEFAULT_TOLERANCE_SECONDS + 1;
    expect(verifyDelivery([secret], headersOf(future, signed({ timestamp: future })), body, now)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is in the future',
    });
    expect(verifyDelivery([secret], headersOf(future, signed({ timestamp: future })), body, now, 3600)).toMatchObject({
      ok: true,
    });
  });

  it('refuses missing headers and a timestamp that is not Unix seconds', () => {
    const headers = headersOf();
    const { 'webhook-signature': _, ...unsigned } = headers;
    expect(verifyDelivery([secret], unsigned, body, now)).toEqual({
      ok: false,
      reason: 'missing webhook-id, webhook-timestamp or webhook-signature header',
    });
    expect(verifyDelivery([secret], { ...headers, 'webhook-timestamp': '1e9' }, body, now)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is not Unix seconds',
    });
  });

  it('lets the standardwebhooks package refuse what it should, so the oracle is not a rubber stamp', () => {
    const headers = signDelivery(secret, { id: 'evt_1', timestamp: nowSeconds(), body });
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow('No matching signature');
  });
});
