import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { escapeHtml, pageHeaders, renderConsentPage, renderLoginPage, renderMessagePage, type HtmlPage } from '../../../lib/auth/consent/pages';
import { thrown } from '../../helpers/thrown';

const HOSTILE = `<script>alert("x")</script>' onmouseover='alert(1)`;
const CSRF = '1700003600.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const HIDDEN = { oauth_token: 'req-token', state: '"><script>alert(2)</script>' };

/** The <input> tags of a page, each as a map of its attributes (the pages quote every value). */
function inputs(body: string): Map<string, string>[] {
  return [...body.matchAll(/<input\b([^>]*)>/g)].map((match) => new Map([...(match[1] as string).matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map((attr) => [attr[1] as string, attr[2] ?? ''])));
}

function inputNamed(body: string, name: string): Map<string, string> | undefined {
  return inputs(body).find((attrs) => attrs.get('name') === name);
}

function expectNoMarkupFrom(page: HtmlPage): void {
  expect(page.body).not.toMatch(/<script/i);
  expect(page.body).not.toContain("' onmouseover='");
  expect(page.body).not.toMatch(/"><(script|x)/);
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    expect(escapeHtml('plain text é')).toBe('plain text é');
  });

  it('leaves no markup character from its input, and loses nothing', () => {
    const unescape = (text: string) =>
      text.replace(/&(lt|gt|quot|#39|amp);/g, (_m, entity: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[entity] as string);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeHtml(text);
        expect(escaped).not.toMatch(/[<>"']/);
        expect(unescape(escaped)).toBe(text);
      }),
    );
  });
});

describe('renderLoginPage', () => {
  const page = renderLoginPage({ action: '/oauth/authorize?a=1&b=2', hiddenFields: HIDDEN, csrfToken: CSRF, clientName: HOSTILE, error: '<b>Wrong login or password</b>', login: 'admin"><x' });

  it('escapes the client name, the error and every carried value', () => {
    expectNoMarkupFrom(page);
    expect(page.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;alert(1)');
    expect(page.body).toContain('&lt;b&gt;Wrong login or password&lt;/b&gt;');
    expect(page.body).not.toContain('<b>');
  });

  it('posts login and password to the action, with the CSRF token and the OAuth parameters', () => {
    expect(page.body).toContain('<form method="post" action="/oauth/authorize?a=1&amp;b=2">');
    expect(inputNamed(page.body, 'login')?.get('id')).toBe('login');
    expect(inputNamed(page.body, 'login')?.get('value')).toBe('admin&quot;&gt;&lt;x');
    expect(inputNamed(page.body, 'password')?.get('type')).toBe('password');
    expect(inputNamed(page.body, 'password')?.get('id')).toBe('password');
    expect(inputNamed(page.body, 'password')?.has('value')).toBe(false);
    expect(inputNamed(page.body, 'csrf_token')?.get('value')).toBe(CSRF);
    expect(inputNamed(page.body, 'csrf_token')?.get('type')).toBe('hidden');
    expect(inputNamed(page.body, 'oauth_token')?.get('value')).toBe('req-token');
    expect(inputNamed(page.body, 'state')?.get('value')).toBe('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page.body).toMatch(/<button type="submit" id="login-submit"[^>]*>/);
  });

  it('shows no error box on a first visit', () => {
    const first = renderLoginPage({ action: '/a', hiddenFields: {}, csrfToken: CSRF, clientName: 'Demo' });
    expect(first.body).not.toContain('class="error"');
    expect(first.status).toBe(200);
    expect(first.headers).toEqual(pageHeaders());
  });

  it('refuses hidden fields that would shadow the form own fields', () => {
    for (const name of ['csrf_token', 'password', 'login', 'decision']) {
      expect(thrown(() => renderLoginPage({ action: '/a', hiddenFields: { [name]: 'x' }, csrfToken: CSRF, clientName: 'Demo' }))).toBeInstanceOf(TypeError);
    }
  });

  it('escapes hostile hidden field names too', () => {
    const hostile = renderLoginPage({ action: '/a', hiddenFields: { '"><script>x</script>': 'v' }, csrfToken: CSRF, clientName: 'Demo' });
    expectNoMarkupFrom(hostile);
  });
});

describe('renderConsentPage', () => {
  const options = { action: '/oauth/authorize', hiddenFields: HIDDEN, csrfToken: CSRF, clientName: HOSTILE, userName: '<i>Mitchell Admin</i>' };

  it('says who asks for whom, escaped, and lists the scopes', () => {
    const page = renderConsentPage({ ...options, scopes: ['read:res.partner', '<img src=x>'] });
    expectNoMarkupFrom(page);
    expect(page.body).toContain('&lt;i&gt;Mitchell Admin&lt;/i&gt;');
    expect(page.body).toContain('&lt;script&gt;alert(&quot;x&quot;)');
    expect(page.body).toContain('<li>read:res.partner</li>');
    expect(page.body).toContain('<li>&lt;img src=x&gt;</li>');
    expect(page.body).not.toContain('full access');
  });

  it('asks for full access when there are no scopes', () => {
    const page = renderConsentPage({ ...options, scopes: [] });
    expect(page.body).toContain('full access to your data as your user');
    expect(page.body).not.toContain('<li>');
  });

  it('has one form with approve and deny buttons, the CSRF token and the OAuth parameters', () => {
    const page = renderConsentPage({ ...options, scopes: [] });
    expect(page.body.match(/<form /g)).toHaveLength(1);
    expect(page.body).toContain('<form method="post" action="/oauth/authorize">');
    expect(page.body).toMatch(/<button type="submit" name="decision" value="approve" id="approve"[^>]*>/);
    expect(page.body).toMatch(/<button type="submit" name="decision" value="deny" id="deny"[^>]*>/);
    expect(inputNamed(page.body, 'csrf_token')?.get('value')).toBe(CSRF);
    expect(inputNamed(page.body, 'oauth_token')?.get('value')).toBe('req-token');
    expect(inputNamed(page.body, 'password')).toBeUndefined();
  });

  it('allows the client callback as a form target, since the decision redirects there', () => {
    const page = renderConsentPage({ ...options, scopes: [], redirectTarget: 'https://client.example:8443/cb?x=1' });
    expect(page.headers['Content-Security-Policy']).toContain("form-action 'self' https://client.example:8443;");
    const plain = renderConsentPage({ ...options, scopes: [] });
    expect(plain.headers['Content-Security-Policy']).toContain("form-action 'self';");
  });
});

describe('renderMessagePage', () => {
  it('carries the status and escapes title and message', () => {
    const page = renderMessagePage('Bad <request>', 'redirect uri mismatch. <script>', 400);
    expect(page.status).toBe(400);
    expect(page.body).toContain('<title>Bad &lt;request&gt;</title>');
    expect(page.body).toContain('redirect uri mismatch. &lt;script&gt;');
    expectNoMarkupFrom(page);
    expect(page.body).not.toMatch(/<form/);
  });
});

describe('pageHeaders', () => {
  it('serves uncached HTML that may not run scripts, be framed or leak a referrer', () => {
    const headers = pageHeaders();
    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(headers['Cache-Control']).toBe('no-store');
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['Referrer-Policy']).toBe('no-referrer');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    const csp = (headers['Content-Security-Policy'] as string).split('; ');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp.join(';')).not.toContain('script-src');
    expect(csp.join(';')).not.toContain('unsafe-inline');
  });

  it('allows exactly the inline stylesheet the pages carry', () => {
    const page = renderMessagePage('t', 'm', 200);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)?.[1] as string;
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(page.headers['Content-Security-Policy']).toContain(`style-src 'sha256-${hash}'`);
    expect(page.body.match(/<style>/g)).toHaveLength(1);
  });

  it('turns form targets into origins, and refuses ones that could inject directives', () => {
    expect(pageHeaders({ formActionTargets: ['https://a.example/cb', 'https://a.example/other', 'com.example.app:/cb'] })['Content-Security-Policy']).toContain(
      "form-action 'self' https://a.example com.example.app:;",
    );
    for (const target of ['https://a;script-src *;b/cb', 'https://a,b/', 'javascript:alert(1)', 'data:text/html,x', 'not a url']) {
      expect(thrown(() => pageHeaders({ formActionTargets: [target] }))).toBeInstanceOf(TypeError);
    }
  });
});
