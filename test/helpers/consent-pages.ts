/**
 * The sign-in and consent pages driven over HTTP as a browser would (a cookie jar, the forms'
 * hidden fields, form posts): for the tests that take an OAuth flow through them without Chromium.
 */
import { apiUrl } from './local';

/** A browser's cookie jar, reduced to what the sign-in and consent pages set. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, equals), pair.slice(equals + 1));
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

const unescapeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields and the action of the page's form. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in:\n${html}`);
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[unescapeHtml(match[1] as string)] = unescapeHtml(match[2] as string);
  return { action: unescapeHtml(action), fields };
}

/** POSTs a page's form (its action is a path on the API), keeping the cookies it sets. */
export async function postForm(jar: CookieJar, action: string, fields: Record<string, string>): Promise<Response> {
  const response = await fetch(new URL(action, apiUrl()), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header() },
    body: new URLSearchParams(fields),
  });
  jar.take(response);
  return response;
}
