/**
 * The authorize pages (the `authorize` function): the original relies on an Odoo browser login;
 * here the resource owner signs in with login and password, sees which client asks for what, and
 * approves or denies, on server-rendered pages (lib/auth/consent/pages.ts) with CSRF tokens (lib/auth/consent/csrf.ts).
 *
 *   OAuth 2: GET /restapi/1.0/common/oauth2/authorize?client_id&redirect_uri&state&response_type=code
 *            [&scope][&code_challenge&code_challenge_method=S256] -> sign in -> consent
 *            -> 303 redirect_uri?code=...&state=...   (deny: ?error=access_denied&state=...)
 *   OAuth 1: GET /restapi/1.0/common/oauth1/authorize?oauth_token -> sign in -> consent
 *            -> 303 callback?oauth_token=...&oauth_verifier=...   (no callback: JSON, as the original)
 *
 * As in the original, the user who signs in must be the client's user. Errors that must not
 * redirect (unknown client, redirect_uri mismatch) answer the original's JSON bodies.
 */
import { parseScopes } from '../../models/access';
import { clientFromItem, clientKey, nowSeconds, randomToken, type AuthStore, type ClientRecord } from '../credentials';
import { issueCsrf, parseCookies, serializeCookie, verifyCsrf } from './csrf';
import { BadRequestError, MethodNotAllowedError, OAuthError, RouteNotFoundError } from '../../errors';
import { formPairs, queryPairsOf, singleValued, type ApiRequest, type ApiResult } from '../../http';
import type { KeyRing } from '../keys';
import type { PublicOrigin } from '../oauth1/signature';
import { approveRequestToken, pendingRequestToken } from '../oauth1/flow';
import { issueAuthorizationCode, type TokenDeps } from '../oauth2';
import { renderConsentPage, renderLoginPage, renderMessagePage, type HtmlPage } from './pages';
import {
  clearFailedSignIns,
  createSession,
  sessionUser,
  signIn,
  signInAttemptAllowed,
  SESSION_VALIDITY,
  type UserRecord,
} from '../users';

export interface ConsentDeps {
  readonly store: AuthStore;
  readonly tokens: TokenDeps;
  readonly keys: () => Promise<KeyRing>;
  readonly publicOrigin: PublicOrigin | undefined;
  readonly now?: () => number;
}

const SESSION_COOKIE = 'restapi_session';
/** Binds the sign-in form's CSRF token to this browser before there is a session. */
const BROWSER_COOKIE = 'restapi_browser';
const COOKIE_PATH = '/';
const MAX_FORM_LENGTH = 16_384;

/** The parameters of one authorization request, carried through the forms as hidden fields. */
interface Flow {
  readonly kind: 'oauth1' | 'oauth2';
  readonly client: ClientRecord;
  readonly fields: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  /** Where a decision redirects (empty: OAuth 1.0a out of band). */
  readonly redirectTarget: string;
  approve(user: UserRecord): Promise<ApiResult>;
  deny(): Promise<ApiResult>;
}

function redirect(target: string, params: Readonly<Record<string, string>>): ApiResult {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) if (value !== '') url.searchParams.set(name, value);
  // 303: the browser follows a form POST's answer with a GET.
  return { status: 303, headers: { Location: url.toString(), 'Cache-Control': 'no-store' }, body: '' };
}

const OAUTH2_FIELDS = [
  'client_id',
  'redirect_uri',
  'state',
  'response_type',
  'scope',
  'code_challenge',
  'code_challenge_method',
] as const;
/** RFC 7636 §4.2: base64url of a SHA-256, 43 characters. */
const CODE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** The original's JSON answers for requests that cannot be redirected. */
class InvalidCredentialsError extends OAuthError {
  constructor() {
    super('invalid_client', 'Invalid Credentials.');
  }
}

/** The OAuth 2 request's flow, or the redirect that sends a bad request back to the client. */
async function oauth2Flow(deps: ConsentDeps, params: ReadonlyMap<string, string>): Promise<Flow | ApiResult> {
  const clientId = params.get('client_id') ?? '';
  const client =
    clientId && clientId.length <= 512 ? clientFromItem(await deps.store.get(clientKey(clientId))) : undefined;
  if (!client || client.accessType !== 'oauth2') throw new InvalidCredentialsError();
  const redirectUri = params.get('redirect_uri') ?? '';
  // Exact match with a registered URI, before anything is sent there (RFC 6749 §3.1.2.4).
  if (!client.redirectUris.includes(redirectUri)) throw new OAuthError('invalid_request', 'redirect uri mismatch.');
  const state = params.get('state') ?? '';
  const fields: Record<string, string> = {};
  for (const name of OAUTH2_FIELDS) {
    const value = params.get(name);
    if (value !== undefined) fields[name] = value;
  }
  // Past the redirect check, a bad request is sent back to the client (RFC 6749 §4.1.2.1).
  const failTo = (error: string, description: string) =>
    redirect(redirectUri, { error, error_description: description, state });
  if ((params.get('response_type') ?? 'code') !== 'code')
    return failTo('unsupported_response_type', 'Only response_type=code is supported');
  const scopes = parseScopes(params.get('scope') ?? '');
  if (!scopes) return failTo('invalid_scope', 'Malformed scope');
  const challenge = params.get('code_challenge') ?? '';
  const method = params.get('code_challenge_method') ?? (challenge ? 'plain' : '');
  if (challenge && (method !== 'S256' || !CODE_CHALLENGE.test(challenge)))
    return failTo('invalid_request', 'Only an S256 code_challenge is supported');
  if (!challenge && method) return failTo('invalid_request', 'code_challenge_method without code_challenge');
  return {
    kind: 'oauth2',
    client,
    fields,
    scopes,
    redirectTarget: redirectUri,
    async approve(user) {
      const code = await issueAuthorizationCode(deps.tokens, {
        clientId: client.clientId,
        userId: user.userId,
        redirectUri,
        scopes: scopes.join(' '),
        codeChallenge: challenge,
      });
      return redirect(redirectUri, { code, state });
    },
    async deny() {
      return redirect(redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state });
    },
  };
}

async function oauth1Flow(deps: ConsentDeps, params: ReadonlyMap<string, string>): Promise<Flow> {
  const pending = await pendingRequestToken(deps.store, params.get('oauth_token'), deps.now);
  return {
    kind: 'oauth1',
    client: pending.client,
    fields: { oauth_token: pending.token },
    scopes: [],
    redirectTarget: pending.callback,
    async approve(user) {
      const verifier = await approveRequestToken(deps.store, pending.token, user.userId);
      if (pending.callback) return redirect(pending.callback, { oauth_token: pending.token, oauth_verifier: verifier });
      // Out of band: the original answers JSON for the consumer to read.
      return {
        status: 200,
        payload: new Map([
          ['oauth_verifier', verifier],
          ['oauth_token', pending.token],
        ]),
        headers: { 'Cache-Control': 'no-store' },
      };
    },
    async deny() {
      await deps.store.delete({ kind: 'O1REQ', id: pending.token });
      if (pending.callback)
        return redirect(pending.callback, { oauth_token: pending.token, oauth_problem: 'permission_denied' });
      return page(renderMessagePage('Access denied', `You denied ${pending.client.name} access to your data.`, 200));
    },
  };
}

function page(html: HtmlPage, cookies: readonly string[] = []): ApiResult {
  return { ...html, cookies };
}

/** Whether the browser reached us over https (cookies are then Secure). */
function isHttps(deps: ConsentDeps, request: ApiRequest): boolean {
  if (deps.publicOrigin) return deps.publicOrigin.scheme === 'https';
  return (request.headers.get('x-forwarded-proto') ?? '').split(',')[0]?.trim().toLowerCase() === 'https';
}

function cookie(deps: ConsentDeps, request: ApiRequest, name: string, value: string, maxAge: number): string {
  return serializeCookie(name, value, { path: COOKIE_PATH, secure: isHttps(deps, request), sameSite: 'Lax', maxAge });
}

/** The form's fields: a POST's form body (its query is not read, so nothing can be smuggled in beside it). */
function formParams(request: ApiRequest): Map<string, string> {
  const pairs = (request.body ?? '').length <= MAX_FORM_LENGTH ? formPairs(request) : undefined;
  if (!pairs) throw new BadRequestError('Expected the form of this page');
  return singleValued(pairs);
}

async function renderLogin(
  deps: ConsentDeps,
  request: ApiRequest,
  flow: Flow,
  error?: string,
  login?: string,
  status = 401,
): Promise<ApiResult> {
  const keys = await deps.keys();
  const existing = parseCookies(request.headers.get('cookie')).get(BROWSER_COOKIE);
  const binding = existing ?? randomToken(43);
  const html = renderLoginPage({
    action: request.calledPath,
    hiddenFields: flow.fields,
    csrfToken: issueCsrf(keys.csrfKey, binding, nowSeconds(deps.now), 'login'),
    clientName: flow.client.name,
    ...(error === undefined ? {} : { error }),
    ...(login === undefined ? {} : { login }),
  });
  return page(
    error === undefined ? html : { ...html, status },
    existing ? [] : [cookie(deps, request, BROWSER_COOKIE, binding, SESSION_VALIDITY)],
  );
}

async function renderConsent(
  deps: ConsentDeps,
  request: ApiRequest,
  flow: Flow,
  user: UserRecord,
  sessionId: string,
  cookies: readonly string[] = [],
): Promise<ApiResult> {
  // As the original: only the client's own user may authorize it.
  if (user.userId !== flow.client.userId)
    return page(
      renderMessagePage('Invalid User.', `${flow.client.name} acts for another user; sign in as that user.`, 401),
      cookies,
    );
  const keys = await deps.keys();
  const html = renderConsentPage({
    action: request.calledPath,
    hiddenFields: flow.fields,
    csrfToken: issueCsrf(keys.csrfKey, sessionId, nowSeconds(deps.now), 'consent'),
    clientName: flow.client.name,
    userName: user.name,
    scopes: flow.scopes,
    ...(flow.redirectTarget ? { redirectTarget: flow.redirectTarget } : {}),
  });
  return page(html, cookies);
}

async function handle(deps: ConsentDeps, request: ApiRequest, kind: 'oauth1' | 'oauth2'): Promise<ApiResult> {
  if (request.method !== 'GET' && request.method !== 'POST')
    throw new MethodNotAllowedError(request.method, ['GET', 'POST']);
  const params = request.method === 'POST' ? formParams(request) : singleValued(queryPairsOf(request));
  const flow = kind === 'oauth2' ? await oauth2Flow(deps, params) : await oauth1Flow(deps, params);
  if ('status' in flow) return flow;
  const cookies = parseCookies(request.headers.get('cookie'));
  const sessionId = cookies.get(SESSION_COOKIE);
  const user = await sessionUser(deps.store, sessionId, deps.now);
  const keys = await deps.keys();
  const now = nowSeconds(deps.now);

  if (request.method === 'GET')
    return user && sessionId ? renderConsent(deps, request, flow, user, sessionId) : renderLogin(deps, request, flow);

  if (params.has('login')) {
    const binding = cookies.get(BROWSER_COOKIE);
    if (!binding || !verifyCsrf(keys.csrfKey, binding, params.get('csrf_token'), now, 'login')) {
      return page(
        renderMessagePage(
          'Form expired',
          'This form has expired or did not come from this site. Go back and start again.',
          403,
        ),
      );
    }
    const login = params.get('login') ?? '';
    // Counted before the check (one atomic increment): concurrent guesses cannot pass the limit.
    if (!(await signInAttemptAllowed(deps.store, login, deps.now))) {
      return renderLogin(
        deps,
        request,
        flow,
        'Too many failed sign-ins for this login: try again in 15 minutes.',
        login,
        429,
      );
    }
    const signedIn = await signIn(deps.store, login, params.get('password') ?? '');
    if (!signedIn) return renderLogin(deps, request, flow, 'Wrong login or password.', login);
    await clearFailedSignIns(deps.store, login);
    const newSession = await createSession(deps.store, signedIn.userId, deps.now);
    return renderConsent(deps, request, flow, signedIn, newSession, [
      cookie(deps, request, SESSION_COOKIE, newSession, SESSION_VALIDITY),
    ]);
  }

  const decision = params.get('decision');
  if (!user || !sessionId) return renderLogin(deps, request, flow);
  if (!verifyCsrf(keys.csrfKey, sessionId, params.get('csrf_token'), now, 'consent')) {
    return page(
      renderMessagePage(
        'Form expired',
        'This form has expired or did not come from this site. Go back and start again.',
        403,
      ),
    );
  }
  if (user.userId !== flow.client.userId) return renderConsent(deps, request, flow, user, sessionId);
  if (decision === 'approve') return flow.approve(user);
  if (decision === 'deny') return flow.deny();
  throw new BadRequestError("Expected decision 'approve' or 'deny'");
}

const ROUTES: Readonly<Record<string, 'oauth1' | 'oauth2'>> = {
  '/restapi/1.0/common/oauth1/authorize': 'oauth1',
  '/restapi/1.0/common/oauth2/authorize': 'oauth2',
};

/**
 * The pages' route. Errors answer in the original's JSON shapes ("Invalid Credentials.",
 * "redirect uri mismatch.", ...): the handler runs it with lib/http's jsonOnly.
 */
export async function authorizePages(deps: ConsentDeps, request: ApiRequest): Promise<ApiResult> {
  const start = request.path.indexOf('/restapi/');
  const kind = start < 0 ? undefined : ROUTES[request.path.slice(start).replace(/\/+$/, '')];
  if (!kind) throw new RouteNotFoundError(request.method, request.path);
  return handle(deps, request, kind);
}
