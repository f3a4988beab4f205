import {
  authenticateBearer,
  createClient,
  issueClientToken,
  parseBearer,
  randomToken,
  secretMatches,
  sha256Hex,
  type AuthDeps,
  type AuthStore,
  type ClientRecord,
  type TokenRecord,
} from '../../lib/auth';
import { AuthenticationRequiredError, BadRequestError, InvalidClientError } from '../../lib/errors';
import { thrown } from '../helpers/thrown';

/** The AuthStore port, in memory: what the core sees, without DynamoDB. */
class MemoryAuthStore implements AuthStore {
  readonly clients = new Map<string, ClientRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  tokenLookups = 0;

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.clients.get(clientId);
  }

  async putClient(client: ClientRecord): Promise<void> {
    this.clients.set(client.clientId, client);
  }

  async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
    this.tokenLookups++;
    return this.tokens.get(tokenHash);
  }

  async putTokens(tokens: readonly TokenRecord[]): Promise<void> {
    for (const token of tokens) this.tokens.set(token.tokenHash, token);
  }

  /** Everything stored, as one string, to look for secrets that should not be there. */
  dump(): string {
    return JSON.stringify({ clients: [...this.clients.entries()], tokens: [...this.tokens.entries()] });
  }
}

const NOW_MS = 1_700_000_000_000;
const NOW_S = 1_700_000_000;
const CLIENT_ID = 'demoClient0123456789abcdefABCDEF';
const CLIENT_SECRET = 'demoSecret0123456789abcdefABCDEF';

async function setup(validity = 3600): Promise<{ store: MemoryAuthStore; deps: AuthDeps; clock: { ms: number } }> {
  const store = new MemoryAuthStore();
  await store.putClient({ clientId: CLIENT_ID, secretHash: sha256Hex(CLIENT_SECRET), userId: 2, name: 'Demo', accessType: 'oauth2' });
  const clock = { ms: NOW_MS };
  return { store, deps: { store, accessTokenValidity: validity, now: () => clock.ms }, clock };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const TOKEN = /^[A-Za-z0-9]{32}$/;

describe('auth', () => {
  describe('randomToken', () => {
    it('returns 32 characters of [A-Za-z0-9] by default', () => {
      expect(randomToken()).toMatch(TOKEN);
    });

    it('returns the requested length', () => {
      expect(randomToken(8)).toMatch(/^[A-Za-z0-9]{8}$/);
      expect(randomToken(100)).toMatch(/^[A-Za-z0-9]{100}$/);
    });

    it('returns a different token each call', () => {
      const tokens = new Set(Array.from({ length: 50 }, () => randomToken()));
      expect(tokens.size).toBe(50);
    });
  });

  describe('sha256Hex', () => {
    it.each<[string, string]>([
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ])('returns the FIPS 180-2 digest of %j in lower-case hex', (text, digest) => {
      expect(sha256Hex(text)).toBe(digest);
    });

    it('returns the digest of the UTF-8 bytes of non-ASCII text', () => {
      // sha256 of the bytes C3 A9
      expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    });
  });

  describe('secretMatches', () => {
    it('returns true for the secret whose hash is stored', () => {
      expect(secretMatches('s3cret', sha256Hex('s3cret'))).toBe(true);
    });

    it.each<[string, string]>([
      ['another secret', sha256Hex('other')],
      ['a prefix of the hash', sha256Hex('s3cret').slice(0, 32)],
      ['an empty hash', ''],
      ['a hash that is not hex', 'z'.repeat(64)],
      ['the raw secret stored instead of its hash', 's3cret'],
    ])('returns false for %s', (_label, storedHash) => {
      expect(secretMatches('s3cret', storedHash)).toBe(false);
    });
  });

  describe('createClient', () => {
    it('returns new credentials and stores only the secret hash', async () => {
      const store = new MemoryAuthStore();
      const { clientId, clientSecret } = await createClient(store, 7, 'Shop sync');
      expect(clientId).toMatch(TOKEN);
      expect(clientSecret).toMatch(TOKEN);
      expect([...store.clients.values()]).toStrictEqual([
        { clientId, secretHash: sha256Hex(clientSecret), userId: 7, name: 'Shop sync', accessType: 'oauth2' },
      ]);
      expect(store.dump()).not.toContain(clientSecret);
    });
  });

  describe('parseBearer', () => {
    it.each<[string, string]>([
      ['Bearer abc', 'abc'],
      ['bearer tok', 'tok'],
      ['BEARER tok', 'tok'],
      ['Bearer  tok', 'tok'],
      ['Bearer tok ', 'tok'],
      ['Bearer abcDEF0123456789abcDEF0123456789', 'abcDEF0123456789abcDEF0123456789'],
      ['Bearer a-b.c_d~e+f/g', 'a-b.c_d~e+f/g'],
      ['Bearer abc==', 'abc=='],
    ])('returns the token of %j', (header, token) => {
      expect(parseBearer(header)).toBe(token);
    });

    it.each<[string, string | undefined]>([
      ['no header', undefined],
      ['an empty header', ''],
      ['the scheme only', 'Bearer'],
      ['the scheme and one space', 'Bearer '],
      ['the scheme and two spaces', 'Bearer  '],
      ['the Basic scheme', 'Basic x'],
      ['the OAuth scheme', 'OAuth oauth_token="x"'],
      ['a token without a scheme', 'abcdef'],
      ['a quoted token', 'Bearer "abc"'],
      ['a single-quoted token', "Bearer 'abc'"],
      ['two tokens', 'Bearer abc def'],
      ['a tab instead of a space', 'Bearer\tabc'],
      ['a NUL in the token', 'Bearer ab\u0000c'],
      ['a line feed after the token', 'Bearer abc\n'],
      ['a CR LF and a second header', 'Bearer abc\r\nX-Evil: 1'],
      ['an escape character', 'Bearer abc\u001b[31m'],
      ['a non-ASCII token', 'Bearer tökén'],
      ['padding in the middle', 'Bearer ab=c'],
      ['a scheme glued to the token', 'Bearerabc'],
      ['a comma-separated list of credentials', 'Bearer abc, Bearer def'],
      ['a huge header', `Bearer ${'a'.repeat(100_000)}`],
    ])('throws AuthenticationRequiredError with the generic message for %s', (_label, header) => {
      const error = thrown(() => parseBearer(header));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
      expect((error as AuthenticationRequiredError).status).toBe(401);
      expect((error as AuthenticationRequiredError).message).toBe('Authentication required');
    });
  });

  describe('issueClientToken', () => {
    it('returns a Bearer token with the validity from the deps and a refresh token', async () => {
      const { deps } = await setup(3600);
      const response = await issueClientToken(deps, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: undefined });
      expect(response).toStrictEqual({
        access_token: expect.stringMatching(TOKEN),
        access_token_validity: 3600,
        token_type: 'Bearer',
        refresh_token: expect.stringMatching(TOKEN),
      });
      expect(response.access_token).not.toBe(response.refresh_token);
    });

    it('returns a token for the client_credentials grant and for an empty grant_type', async () => {
      const { deps } = await setup();
      for (const grantType of ['client_credentials', '']) {
        const response = await issueClientToken(deps, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType });
        expect(response.token_type).toBe('Bearer');
      }
    });

    it('stores the tokens only as sha256 hashes, with their expiry from the injected clock', async () => {
      const { store, deps } = await setup(1800);
      const { access_token: access, refresh_token: refresh } = await issueClientToken(deps, {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        grantType: undefined,
      });
      expect(store.tokens.get(sha256Hex(access))).toStrictEqual({
        tokenHash: sha256Hex(access),
        kind: 'access',
        clientId: CLIENT_ID,
        userId: 2,
        expiresAt: NOW_S + 1800,
        scopes: '',
      });
      expect(store.tokens.get(sha256Hex(refresh))).toMatchObject({ kind: 'refresh', clientId: CLIENT_ID, userId: 2 });
      expect((store.tokens.get(sha256Hex(refresh)) as TokenRecord).expiresAt).toBeGreaterThan(NOW_S + 1800);
      expect(store.tokens.size).toBe(2);
      const dump = store.dump();
      expect(dump).not.toContain(access);
      expect(dump).not.toContain(refresh);
      expect(dump).not.toContain(CLIENT_SECRET);
    });

    it.each<[string, string, string]>([
      ['the secret is wrong', CLIENT_ID, 'wrongSecret0123456789abcdefABCDE'],
      ['the secret differs only in case', CLIENT_ID, CLIENT_SECRET.toLowerCase()],
      ['the secret is the stored hash', CLIENT_ID, sha256Hex(CLIENT_SECRET)],
      ['the client is unknown', 'unknownClient0123456789abcdefABC', CLIENT_SECRET],
      ['the client id is huge', 'a'.repeat(10_000), CLIENT_SECRET],
    ])('throws InvalidClientError (401, no hint which part was wrong) when %s', async (_label, clientId, clientSecret) => {
      const { store, deps } = await setup();
      const error = await rejection(issueClientToken(deps, { clientId, clientSecret, grantType: undefined }));
      expect(error).toBeInstanceOf(InvalidClientError);
      expect((error as InvalidClientError).status).toBe(401);
      expect((error as InvalidClientError).message).toBe('Invalid Credentials.');
      expect(store.tokens.size).toBe(0);
    });

    it.each<[string, string | undefined, string | undefined]>([
      ['client_id is missing', undefined, CLIENT_SECRET],
      ['client_secret is missing', CLIENT_ID, undefined],
      ['client_id is empty', '', CLIENT_SECRET],
      ['client_secret is empty', CLIENT_ID, ''],
      ['both are missing', undefined, undefined],
    ])('throws BadRequestError (400) when %s', async (_label, clientId, clientSecret) => {
      const { store, deps } = await setup();
      const error = await rejection(issueClientToken(deps, { clientId, clientSecret, grantType: undefined }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).status).toBe(400);
      expect(store.tokens.size).toBe(0);
    });

    it.each(['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS'])(
      'throws BadRequestError naming the grant_type when it is the unsupported %j',
      async (grantType) => {
        const { store, deps } = await setup();
        const error = await rejection(issueClientToken(deps, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType }));
        expect(error).toBeInstanceOf(BadRequestError);
        expect((error as BadRequestError).message).toContain(grantType);
        expect(store.tokens.size).toBe(0);
      },
    );
  });

  describe('authenticateBearer', () => {
    async function issued(validity = 1800) {
      const context = await setup(validity);
      const tokens = await issueClientToken(context.deps, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: undefined });
      return { ...context, tokens };
    }

    it('returns the principal of a valid access token', async () => {
      const { deps, tokens } = await issued();
      await expect(authenticateBearer(deps, `Bearer ${tokens.access_token}`)).resolves.toStrictEqual({
        userId: 2,
        clientId: CLIENT_ID,
        scheme: 'oauth2',
        scopes: '',
      });
    });

    it('returns the principal with a lower-case scheme', async () => {
      const { deps, tokens } = await issued();
      await expect(authenticateBearer(deps, `bearer ${tokens.access_token}`)).resolves.toMatchObject({ userId: 2 });
    });

    it('returns the principal one second before the token expires', async () => {
      const { deps, tokens, clock } = await issued(1800);
      clock.ms = NOW_MS + 1799 * 1000;
      await expect(authenticateBearer(deps, `Bearer ${tokens.access_token}`)).resolves.toMatchObject({ userId: 2 });
    });

    it.each<[string, number]>([
      ['at the moment it expires', 1800 * 1000],
      ['an hour after it expired', (1800 + 3600) * 1000],
    ])('throws AuthenticationRequiredError for an expired token (%s)', async (_label, elapsedMs) => {
      const { deps, tokens, clock } = await issued(1800);
      clock.ms = NOW_MS + elapsedMs;
      const error = await rejection(authenticateBearer(deps, `Bearer ${tokens.access_token}`));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
      expect((error as Error).message).toBe('Authentication required');
    });

    it('throws AuthenticationRequiredError for an unknown token', async () => {
      const { deps } = await issued();
      const error = await rejection(authenticateBearer(deps, `Bearer ${randomToken()}`));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
    });

    it('throws AuthenticationRequiredError for a refresh token used as an access token', async () => {
      const { deps, tokens } = await issued();
      const error = await rejection(authenticateBearer(deps, `Bearer ${tokens.refresh_token}`));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
    });

    it('throws AuthenticationRequiredError for the hash of a valid token presented as the token', async () => {
      const { deps, tokens } = await issued();
      const error = await rejection(authenticateBearer(deps, `Bearer ${sha256Hex(tokens.access_token)}`));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
    });

    it('throws AuthenticationRequiredError for the client secret presented as a token', async () => {
      const { deps } = await issued();
      const error = await rejection(authenticateBearer(deps, `Bearer ${CLIENT_SECRET}`));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
    });

    it.each<[string, string | undefined]>([
      ['no header', undefined],
      ['a Basic header', 'Basic dXNlcjpwYXNz'],
      ['a quoted token', 'Bearer "x"'],
    ])('throws AuthenticationRequiredError without a store lookup for %s', async (_label, header) => {
      const { deps, store } = await issued();
      const error = await rejection(authenticateBearer(deps, header));
      expect(error).toBeInstanceOf(AuthenticationRequiredError);
      expect(store.tokenLookups).toBe(0);
    });

    it('rejects with the store failure when the store fails (not a 401 that hides an outage)', async () => {
      const { deps, tokens } = await issued();
      class FailingStore extends MemoryAuthStore {
        override async getToken(): Promise<TokenRecord | undefined> {
          throw new Error('store down');
        }
      }
      const failing: AuthDeps = { ...deps, store: new FailingStore() };
      await expect(authenticateBearer(failing, `Bearer ${tokens.access_token}`)).rejects.toThrow('store down');
    });
  });
});
