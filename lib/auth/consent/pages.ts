/**
 * Server-rendered HTML for the OAuth login and consent pages, and for errors shown to a browser.
 * Pure functions, no framework and no JavaScript in the pages: every interpolated value goes
 * through escapeHtml, and the headers forbid scripts, framing and foreign form targets, so a
 * hostile client name or request parameter can neither run nor restyle the form.
 */
import { createHash } from 'node:crypto';

/** A page as a route's answer (lib/http's ApiResult with a body already made). */
export interface HtmlPage {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface PageHeaderOptions {
  /**
   * URLs a form on the page may end up at besides this origin. Browsers apply CSP form-action to
   * the redirects that follow a form POST too, so the consent page must allow the client's
   * callback, where approving or denying redirects.
   */
  readonly formActionTargets?: readonly string[];
}

export interface LoginPageOptions {
  /** Where the form posts; on this origin. */
  readonly action: string;
  /** The OAuth request parameters to carry through the sign-in. */
  readonly hiddenFields: Readonly<Record<string, string>>;
  readonly csrfToken: string;
  readonly clientName: string;
  /** Why the previous attempt failed, shown above the form. */
  readonly error?: string;
  /** The login typed in the previous attempt, to keep in the field. */
  readonly login?: string;
}

export interface ConsentPageOptions {
  readonly action: string;
  readonly hiddenFields: Readonly<Record<string, string>>;
  readonly csrfToken: string;
  readonly clientName: string;
  readonly userName: string;
  /** What the client asks for; none means everything the user can do. */
  readonly scopes: readonly string[];
  /** The client's callback, where the decision redirects; allowed as a form target (see PageHeaderOptions). */
  readonly redirectTarget?: string;
}

/** The names the forms use themselves; a hidden field must not shadow them. */
const RESERVED_FIELDS = new Set(['csrf_token', 'login', 'password', 'decision']);

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);
}

const CSS = [
  'body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1f2328}',
  'main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  'label{display:block;margin:.8rem 0 .2rem;font-weight:600}',
  'input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8c959f;border-radius:4px}',
  '.actions{display:flex;gap:.6rem;margin-top:1.4rem}',
  'button{padding:.5rem 1.2rem;font:inherit;border:1px solid #8c959f;border-radius:4px;background:#fff;cursor:pointer}',
  'button.primary{background:#714b67;border-color:#714b67;color:#fff}',
  '.error{padding:.6rem;border-radius:4px;background:#ffebe9;color:#82071e}',
  'ul{padding-left:1.2rem}',
].join('');

/** The inline style's hash, so the CSP allows exactly this stylesheet and no injected one. */
const CSS_SOURCE = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`;

const HTTP_ORIGIN = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
/** RFC 8252 §7.1: a native app's private-use scheme is a reverse domain name, so it has a dot. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+:$/;

/**
 * The CSP source expression allowing a form to reach `target`. The URL parser lets `;` and `,`
 * through into an origin, and either would end the directive, so the result is matched strictly.
 * @throws TypeError for a URL that is neither http(s) nor a private-use scheme.
 */
function formActionSource(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TypeError(`Cannot allow ${JSON.stringify(target)} as a form target: not a URL`);
  }
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    if (HTTP_ORIGIN.test(url.origin)) return url.origin;
  } else if (PRIVATE_USE_SCHEME.test(url.protocol)) {
    return url.protocol;
  }
  throw new TypeError(`Cannot allow ${JSON.stringify(target)} as a form target`);
}

/** The headers of every page: HTML, never cached, no scripts, no framing, no referrer. */
export function pageHeaders(options: PageHeaderOptions = {}): Record<string, string> {
  const formActions = ["'self'", ...new Set((options.formActionTargets ?? []).map(formActionSource))];
  const csp = [
    "default-src 'none'",
    `style-src ${CSS_SOURCE}`,
    `form-action ${formActions.join(' ')}`,
    // default-src does not cover these two: an injected <base> could retarget the relative action.
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

function htmlDocument(title: string, content: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    content,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function hiddenInputs(fields: Readonly<Record<string, string>>, csrfToken: string): string {
  const inputs: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    // A programming error, not a request problem: the form's own fields would be ambiguous.
    if (RESERVED_FIELDS.has(name)) throw new TypeError(`Hidden field '${name}' would shadow a form field`);
    inputs.push(`<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`);
  }
  inputs.push(`<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">`);
  return inputs.join('\n');
}

/** The sign-in form: login and password, posted with the OAuth parameters and the CSRF token. */
export function renderLoginPage(options: LoginPageOptions): HtmlPage {
  const client = escapeHtml(options.clientName);
  const content = [
    '<h1>Sign in</h1>',
    `<p><strong>${client}</strong> wants to access your data. Sign in to continue.</p>`,
    options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error)}</p>`,
    `<form method="post" action="${escapeHtml(options.action)}">`,
    hiddenInputs(options.hiddenFields, options.csrfToken),
    '<label for="login">Login</label>',
    `<input type="text" id="login" name="login" value="${escapeHtml(options.login ?? '')}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>`,
    '<label for="password">Password</label>',
    // The same bound lib/auth/password.ts enforces, so the browser says so before the server refuses.
    '<input type="password" id="password" name="password" autocomplete="current-password" maxlength="1024" required>',
    '<div class="actions"><button type="submit" id="login-submit" class="primary">Sign in</button></div>',
    '</form>',
  ].join('\n');
  return { status: 200, headers: pageHeaders(), body: htmlDocument(`Sign in - ${options.clientName}`, content) };
}

/** The consent form: who asks, for whom, for what; approve or deny in one form. */
export function renderConsentPage(options: ConsentPageOptions): HtmlPage {
  const client = escapeHtml(options.clientName);
  const user = escapeHtml(options.userName);
  const access =
    options.scopes.length === 0
      ? '<p>It asks for <strong>full access to your data as your user</strong>: it will be able to read and change everything you can.</p>'
      : `<p>It asks for:</p>\n<ul>\n${options.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('\n')}\n</ul>`;
  const content = [
    '<h1>Allow access?</h1>',
    `<p>You are signed in as <strong>${user}</strong>. <strong>${client}</strong> asks for access to your data on your behalf.</p>`,
    access,
    `<form method="post" action="${escapeHtml(options.action)}">`,
    hiddenInputs(options.hiddenFields, options.csrfToken),
    '<div class="actions">',
    '<button type="submit" name="decision" value="approve" id="approve" class="primary">Allow</button>',
    '<button type="submit" name="decision" value="deny" id="deny">Deny</button>',
    '</div>',
    '</form>',
  ].join('\n');
  const headers = pageHeaders(
    options.redirectTarget === undefined ? {} : { formActionTargets: [options.redirectTarget] },
  );
  return { status: 200, headers, body: htmlDocument(`Allow ${options.clientName}?`, content) };
}

/** A page that only says something, e.g. an OAuth error that must not redirect ("redirect uri mismatch."). */
export function renderMessagePage(title: string, message: string, status: number): HtmlPage {
  const content = `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`;
  return { status, headers: pageHeaders(), body: htmlDocument(title, content) };
}
