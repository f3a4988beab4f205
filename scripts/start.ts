/**
 * npm start: the API on http://localhost:3000 (PORT changes it) over DynamoDB Local (in memory,
 * or files under DATA_DIR; or the DynamoDB at DYNAMODB_ENDPOINT), with demo data and a demo client.
 * Ctrl-C or SIGTERM stops everything it started.
 */
import { resolve } from 'node:path';
import { DEMO_REDIRECT_URI } from '../lib/runtime/demo';
import { startLocalStack, type LocalStack } from './local-stack';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function fetchToken(apiUrl: string, clientId: string, clientSecret: string): Promise<string | undefined> {
  const response = await fetch(`${apiUrl}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret }),
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { access_token?: string }).access_token;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT || 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port, not ${process.env.PORT}`);
  const dataDir = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined;
  const endpoint = process.env.DYNAMODB_ENDPOINT || undefined;

  const running: { stack?: LocalStack; stopRequested?: boolean } = {};
  const stop = async () => {
    if (running.stopRequested) return;
    running.stopRequested = true;
    // Still starting: the stop happens as soon as there is something to stop (below).
    if (!running.stack) return;
    say('\nStopping...');
    await running.stack.stop().catch((error: Error) => say(`while stopping: ${error.message}`));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const stack = await startLocalStack({ port, endpoint, dataDir, watch: true, say });
  running.stack = stack;
  if (running.stopRequested) {
    running.stopRequested = false;
    return stop();
  }
  const base = `http://localhost:${port}`;
  const { oauth2, oauth1, basic, password } = stack.demo;
  const token = await fetchToken(stack.apiUrl, oauth2.clientId, oauth2.clientSecret);
  say(`
Demo users (consent page sign-in): admin (user 1, every right) and demo (user 2, reads partners only),
  password ${password}

Demo OAuth 2 client (user 1, Administrator; redirect URI ${DEMO_REDIRECT_URI}):
  client_id     ${oauth2.clientId}
  client_secret ${oauth2.clientSecret}
  (also at GET ${base}/start)
Demo OAuth 1.0a consumer (user 1): key ${oauth1.clientId}  secret ${oauth1.clientSecret}
Demo Basic client (user 1):        id ${basic.clientId}  secret ${basic.clientSecret}

Get a token (valid 30 minutes):
  curl -s -X POST ${base}/restapi/1.0/common/oauth2/access_token -d client_id=${oauth2.clientId} -d client_secret=${oauth2.clientSecret}

Or use this one now:
  TOKEN=${token ?? '<could not get one>'}

Update partners 17 and 20 (the seed request), JSON then XML:
  curl -g -X PUT -H "Authorization: Bearer $TOKEN" "${base}/restapi/1.0/object/res.partner?ids=17,20&vals={'street2':'Chung%20Hsiao%20East%20Road'}"
  curl -g -X PUT -H "Authorization: Bearer $TOKEN" -H 'Accept: application/xml' "${base}/restapi/1.0/object/res.partner?ids=17,20&vals={'street2':'Chung%20Hsiao%20East%20Road'}"

The other flows (authorization code, OAuth 1.0a, Basic): see the README.

Ready. Ctrl-C stops everything npm start started.`);
}

main().catch((error: Error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  process.exit(1);
});
