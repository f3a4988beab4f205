/**
 * The sign-in and consent pages in a real browser: Debian's Chromium driven by playwright-core.
 * The client's redirect URI is a small HTTP server of the test's own on loopback, so the whole
 * authorization code flow runs: authorize -> sign in -> approve or deny -> the client's callback
 * -> the code exchanged for a token that then works on the object API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClient } from '../../lib/auth/admin';
import { apiUrl, demoOAuth1Client, demoPassword, servedAuthStore } from '../helpers/local';

const served = servedAuthStore();
let browser: Browser;
let client: { clientId: string; clientSecret: string };
/** What the client's callback server received, in order. */
const callbacks: URL[] = [];
let callbackServer: Server;
let CALLBACK = '';

beforeAll(async () => {
  callbackServer = createServer((request, response) => {
    const url = new URL(request.url ?? '/', CALLBACK);
    // Only the redirects: a browser also asks the client's origin for its favicon.
    if (url.pathname === '/callback') callbacks.push(url);
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('the client got the answer');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  CALLBACK = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The closed network of these machines: no background connections, no sandbox as root.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A hostile name: it must show as text, never run.
  client = await createClient(served.store, undefined, { userId: 1, name: '<script>alert("x")</script> Shop', accessType: 'oauth2', redirectUris: [CALLBACK] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => callbackServer.close(resolve));
  served.close();
});

/** A fresh browser page, with the callbacks recorded so far forgotten; dialogs (a script that ran) recorded. */
async function clientPage(): Promise<{ page: Page; callbacks: URL[]; dialogs: string[] }> {
  callbacks.length = 0;
  const page = await (await browser.newContext()).newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, callbacks, dialogs };
}

const atCallback = () => (url: URL) => url.href.startsWith(CALLBACK);

const authorizeUrl = () =>
  `${apiUrl()}/restapi/1.0/common/oauth2/authorize?${new URLSearchParams({ client_id: client.clientId, redirect_uri: CALLBACK, response_type: 'code', state: 's-42' })}`;

async function signIn(page: Page, password = demoPassword()): Promise<void> {
  await page.goto(authorizeUrl());
  await page.fill('#login', 'admin');
  await page.fill('#password', password);
  await page.click('#login-submit');
}

describe('the consent page in Chromium', () => {
  it('approve: the client gets a code and the state, and the code gives a working token', async () => {
    const { page, callbacks, dialogs } = await clientPage();
    await signIn(page);
    await page.waitForSelector('#approve');
    expect(await page.textContent('main')).toContain('<script>alert("x")</script> Shop');
    await Promise.all([page.waitForURL(atCallback()), page.click('#approve')]);
    expect(callbacks).toHaveLength(1);
    const callback = callbacks[0] as URL;
    expect(callback.searchParams.get('state')).toBe('s-42');
    const code = callback.searchParams.get('code') as string;
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(dialogs).toStrictEqual([]);

    const exchange = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: client.clientId, client_secret: client.clientSecret }),
    });
    const { access_token: token } = (await exchange.json()) as { access_token: string };
    const read = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner/17?fields=['name']`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await read.json()).toStrictEqual({ Partner: { id: 17, name: 'Edward Foster' } });
  });

  it('deny: the client gets error=access_denied and the state, and no code', async () => {
    const { page, callbacks } = await clientPage();
    await signIn(page);
    await page.waitForSelector('#deny');
    await Promise.all([page.waitForURL(atCallback()), page.click('#deny')]);
    const callback = callbacks[0] as URL;
    expect([callback.searchParams.get('error'), callback.searchParams.get('state'), callback.searchParams.has('code')]).toStrictEqual(['access_denied', 's-42', false]);
  });

  it('a wrong password shows the sign-in form again with an error, and nothing reaches the client', async () => {
    const { page, callbacks } = await clientPage();
    await signIn(page, 'wrong password');
    await page.waitForSelector('.error');
    expect(await page.textContent('.error')).toBe('Wrong login or password.');
    expect(await page.$('#approve')).toBeNull();
    expect(callbacks).toStrictEqual([]);
  });

  it('OAuth 1.0a: approving sends the browser to the callback with the verifier', async () => {
    const { page, callbacks } = await clientPage();
    // A request token for the demo consumer, as leg 1 leaves it, with this test's callback registered.
    const { getClient } = await import('../../lib/auth/admin');
    const { clientToItem } = await import('../../lib/auth/credentials');
    const consumer = await getClient(served.store, demoOAuth1Client().clientId);
    await served.store.put({ kind: 'CLIENT', id: consumer.clientId }, clientToItem({ ...consumer, redirectUris: [...consumer.redirectUris, CALLBACK] }));
    await served.store.put({ kind: 'O1REQ', id: 'BrowserRequestToken0123456789abc' }, { clientId: consumer.clientId, sealedSecret: 'unused-here', callback: CALLBACK, expiresAt: Math.floor(Date.now() / 1000) + 600 });
    await page.goto(`${apiUrl()}/restapi/1.0/common/oauth1/authorize?oauth_token=BrowserRequestToken0123456789abc`);
    await page.fill('#login', 'admin');
    await page.fill('#password', demoPassword());
    await page.click('#login-submit');
    await page.waitForSelector('#approve');
    await Promise.all([page.waitForURL(atCallback()), page.click('#approve')]);
    const callback = callbacks[0] as URL;
    expect(callback.searchParams.get('oauth_token')).toBe('BrowserRequestToken0123456789abc');
    expect(callback.searchParams.get('oauth_verifier')).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});
