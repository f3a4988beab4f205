import {
  clientFromItem,
  clientKey,
  clientToItem,
  MAX_CREDENTIAL_LENGTH,
  NO_SECRET_HASH,
  nowSeconds,
  randomToken,
  secretMatches,
  sha256Hex,
  TOKEN_LENGTH,
  type AuthItem,
  type ClientRecord,
} from '../../../lib/auth/credentials';

const TOKEN = /^[A-Za-z0-9]{32}$/;

describe('randomToken', () => {
  it('returns 32 characters of [A-Za-z0-9] by default', () => {
    expect(TOKEN_LENGTH).toBe(32);
    expect(randomToken()).toMatch(TOKEN);
  });

  it.each([1, 8, 43, 100])('returns %i characters of [A-Za-z0-9] when asked for them', (length) => {
    expect(randomToken(length)).toMatch(new RegExp(`^[A-Za-z0-9]{${length}}$`));
  });

  it('returns a different token on each call', () => {
    expect(new Set(Array.from({ length: 200 }, () => randomToken())).size).toBe(200);
  });

  it('draws from the whole alphabet: every one of the 62 characters shows up', () => {
    // 62 * 200 draws: the chance that a given character never appears is (61/62)^12400, about 1e-88.
    const seen = new Set(randomToken(62 * 200));
    expect(seen.size).toBe(62);
  });
});

describe('sha256Hex', () => {
  it.each<[string, string]>([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('returns the FIPS 180-2 digest of %j in lower-case hex', (text, digest) => {
    expect(sha256Hex(text)).toBe(digest);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    // SHA-256 of the two bytes C3 A9.
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});

describe('secretMatches', () => {
  it('returns true for the secret whose hash is stored', () => {
    expect(secretMatches('s3cret', sha256Hex('s3cret'))).toBe(true);
  });

  it('returns true for a stored hash in upper-case hex (hex is case-insensitive)', () => {
    expect(secretMatches('s3cret', sha256Hex('s3cret').toUpperCase())).toBe(true);
  });

  it.each<[string, string]>([
    ['the hash of another secret', sha256Hex('other')],
    ['the hash of the secret in another case', sha256Hex('S3CRET')],
    ['half of the hash', sha256Hex('s3cret').slice(0, 32)],
    ['the hash with one more byte', `${sha256Hex('s3cret')}00`],
    ['an empty hash', ''],
    ['64 characters that are not hex', 'z'.repeat(64)],
    ['the secret itself stored instead of its hash', 's3cret'],
    ['the hash no secret has', NO_SECRET_HASH],
  ])('returns false against %s', (_label, storedHash) => {
    expect(secretMatches('s3cret', storedHash)).toBe(false);
  });

  it('returns false when the presented secret is the stored hash', () => {
    const hash = sha256Hex('s3cret');
    expect(secretMatches(hash, hash)).toBe(false);
  });

  it('NO_SECRET_HASH is 64 hex digits that no short secret matches', () => {
    expect(NO_SECRET_HASH).toMatch(/^[0-9a-f]{64}$/);
    for (const secret of ['', '0', 'a', randomToken()]) expect(secretMatches(secret, NO_SECRET_HASH)).toBe(false);
  });
});

describe('clientFromItem', () => {
  const complete: ClientRecord = {
    clientId: 'client0123456789abcdefABCDEF0123',
    name: 'Shop sync',
    userId: 7,
    accessType: 'oauth2',
    secretHash: sha256Hex('secret'),
    sealedSecret: '',
    redirectUris: ['https://app.example/cb'],
    createdAt: 1_700_000_000,
  };

  it('returns the record of a complete item', () => {
    expect(clientFromItem(clientToItem(complete))).toStrictEqual(complete);
  });

  it.each(['oauth1', 'oauth2', 'basic'] as const)('accepts the access type %s', (accessType) => {
    expect(clientFromItem({ ...clientToItem(complete), accessType })?.accessType).toBe(accessType);
  });

  it('fills the optional attributes with empty values when they are missing', () => {
    expect(clientFromItem({ clientId: 'c', userId: 3, accessType: 'basic' })).toStrictEqual({
      clientId: 'c',
      name: '',
      userId: 3,
      accessType: 'basic',
      secretHash: '',
      sealedSecret: '',
      redirectUris: [],
      createdAt: 0,
    });
  });

  it('ignores optional attributes of the wrong type', () => {
    const item: AuthItem = { clientId: 'c', userId: 3, accessType: 'oauth2', name: 5, secretHash: true, sealedSecret: 1, redirectUris: 'https://a.example', createdAt: '1' };
    expect(clientFromItem(item)).toStrictEqual({
      clientId: 'c',
      name: '',
      userId: 3,
      accessType: 'oauth2',
      secretHash: '',
      sealedSecret: '',
      redirectUris: [],
      createdAt: 0,
    });
  });

  it('keeps a plan through its item (JSON text) and drops one that is not a plan', () => {
    const planned: ClientRecord = { ...complete, plan: { rate: { perSecond: 5, burst: 10 }, quotaDay: 100, perRecord: true } };
    const item = clientToItem(planned);
    expect(typeof item.plan).toBe('string');
    expect(clientFromItem(item)).toStrictEqual(planned);
    expect(clientFromItem({ ...item, plan: '{"quotaDay": -1}' })).toStrictEqual(complete);
    expect(clientFromItem({ ...item, plan: 'not json' })).toStrictEqual(complete);
  });

  it('keeps persistentRefreshTokens of an OAuth 2 client only, and only when it is exactly true', () => {
    const persistent: ClientRecord = { ...complete, persistentRefreshTokens: true };
    expect(clientFromItem(clientToItem(persistent))).toStrictEqual(persistent);
    expect(clientFromItem({ ...clientToItem(complete), persistentRefreshTokens: 'true' })).toStrictEqual(complete);
    expect(clientFromItem({ ...clientToItem(complete), persistentRefreshTokens: false })).toStrictEqual(complete);
    expect(clientFromItem({ ...clientToItem(complete), accessType: 'basic', persistentRefreshTokens: true })).not.toHaveProperty('persistentRefreshTokens');
  });

  it.each<[string, AuthItem | undefined]>([
    ['no item', undefined],
    ['an empty item', {}],
    ['an item without accessType', { clientId: 'c', userId: 3 }],
    ['an unknown accessType', { clientId: 'c', userId: 3, accessType: 'jwt' }],
    ['an accessType in another case', { clientId: 'c', userId: 3, accessType: 'OAuth2' }],
    ['an accessType that is a list', { clientId: 'c', userId: 3, accessType: ['oauth2'] }],
    ['no clientId', { userId: 3, accessType: 'oauth2' }],
    ['a numeric clientId', { clientId: 12, userId: 3, accessType: 'oauth2' }],
    ['no userId', { clientId: 'c', accessType: 'oauth2' }],
    ['a userId given as a string', { clientId: 'c', userId: '3', accessType: 'oauth2' }],
    ['a token item', { kind: 'access', scheme: 'oauth2', clientId: 'c', userId: 3, scopes: '', expiresAt: 1 }],
    ['a user item', { userId: 3, login: 'jane', name: 'Jane', groups: ['base.group_user'], active: true }],
  ])('returns undefined for %s', (_label, item) => {
    expect(clientFromItem(item)).toBeUndefined();
  });
});

describe('keys and clocks', () => {
  it('clientKey is the CLIENT item of the id', () => {
    expect(clientKey('abc')).toStrictEqual({ kind: 'CLIENT', id: 'abc' });
  });

  it('nowSeconds floors the injected clock to whole seconds', () => {
    expect(nowSeconds(() => 1_700_000_000_999)).toBe(1_700_000_000);
    expect(nowSeconds(() => 1_700_000_001_000)).toBe(1_700_000_001);
  });

  it('MAX_CREDENTIAL_LENGTH leaves room for every credential issued', () => {
    expect(MAX_CREDENTIAL_LENGTH).toBeGreaterThanOrEqual(TOKEN_LENGTH);
    expect(randomToken().length).toBeLessThanOrEqual(MAX_CREDENTIAL_LENGTH);
  });
});
