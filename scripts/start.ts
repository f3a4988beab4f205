/**
 * npm start: the API on http://localhost:3000 (PORT changes it) over DynamoDB Local (in memory,
 * or files under DATA_DIR; or the DynamoDB at DYNAMODB_ENDPOINT), with demo data and a demo client.
 * It prints the demo credentials, then pasteable `export` lines for the names the README's examples
 * use, and records where the stack runs for the admin CLI (scripts/admin.ts). Ctrl-C or SIGTERM
 * stops everything it started and removes what it wrote to the temporary folder.
 */
import { resolve } from 'node:path';
import { DEMO_REDIRECT_URI } from '../lib/runtime/demo';
import { LOCAL_REGION, LOCAL_TABLES, startLocalStack, writeStackRecord, type LocalStack } from './local-stack';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function fetchToken(apiUrl: string, clientId: string, clientSecret: string): Promise<{ token: string; validity: number } | undefined> {
  const response = await fetch(`${apiUrl}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret }),
  });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { access_token?: string; expires_in?: number };
  return body.access_token ? { token: body.access_token, validity: body.expires_in ?? 0 } : undefined;
}

/** `export NAME='value'`, quoted for any POSIX shell whatever the value holds. */
function exportLine(name: string, value: string): string {
  return `export ${name}='${value.replaceAll("'", `'\\''`)}'`;
}

function lifetime(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT || 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port, not ${process.env.PORT}`);
  const dataDir = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined;
  const keyFile = process.env.SECRETS_KEY_FILE ? resolve(process.env.SECRETS_KEY_FILE) : undefined;
  const endpoint = process.env.DYNAMODB_ENDPOINT || undefined;

  const running: { stack?: LocalStack; stopRequested?: boolean; forget?: () => void } = {};
  const stop = async () => {
    if (running.stopRequested) return;
    running.stopRequested = true;
    // Still starting: the stop happens as soon as there is something to stop (below).
    if (!running.stack) return;
    say('\nStopping...');
    // First, so that the admin CLI no longer finds a stack that is going away.
    running.forget?.();
    await running.stack.stop().catch((error: Error) => say(`while stopping: ${error.message}`));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const stack = await startLocalStack({ port, endpoint, dataDir, keyFile, watch: true, say });
  running.stack = stack;
  if (running.stopRequested) {
    running.stopRequested = false;
    return stop();
  }
  const base = `http://localhost:${port}`;
  running.forget = writeStackRecord({
    pid: process.pid,
    port,
    apiUrl: base,
    dynamodbEndpoint: stack.dynamo.endpoint,
    keyFile: stack.keyFile,
    region: LOCAL_REGION,
    tables: LOCAL_TABLES,
  });
  const { oauth2, oauth1, basic, password } = stack.demo;
  const token = await fetchToken(stack.apiUrl, oauth2.clientId, oauth2.clientSecret);
  const exports = [
    exportLine('API', base),
    exportLine('CLIENT_ID', oauth2.clientId),
    exportLine('CLIENT_SECRET', oauth2.clientSecret),
    exportLine('CONSUMER_KEY', oauth1.clientId),
    exportLine('CONSUMER_SECRET', oauth1.clientSecret),
    exportLine('BASIC_ID', basic.clientId),
    exportLine('BASIC_SECRET', basic.clientSecret),
    token ? exportLine('TOKEN', token.token) : '# (no TOKEN: the token endpoint refused the demo client; see API_LOGS=1 npm start)',
  ];
  say(`
Demo users (consent page sign-in): admin (user 1, every right) and demo (user 2, reads partners only),
  password ${password}

Demo OAuth 2 client (user 1, Administrator; redirect URI ${DEMO_REDIRECT_URI}):
  client_id     ${oauth2.clientId}
  client_secret ${oauth2.clientSecret}
  (also at GET ${base}/start)
Demo OAuth 1.0a consumer (user 1): key ${oauth1.clientId}  secret ${oauth1.clientSecret}
Demo Basic client (user 1):        id ${basic.clientId}  secret ${basic.clientSecret}

The commands below and the README's examples use the variables of the export lines further down:
paste those into your shell first.

Get a token (valid ${lifetime(token?.validity || Number(process.env.ACCESS_TOKEN_VALIDITY) || 1800)}):
  curl -s -X POST "$API/restapi/1.0/common/oauth2/access_token" -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET"

Update partners 17 and 20 (the seed request) with the token in $TOKEN, JSON then XML:
  curl -g -X PUT -H "Authorization: Bearer $TOKEN" "$API/restapi/1.0/object/res.partner?ids=17,20&vals={'street2':'Chung%20Hsiao%20East%20Road'}"
  curl -g -X PUT -H "Authorization: Bearer $TOKEN" -H 'Accept: application/xml' "$API/restapi/1.0/object/res.partner?ids=17,20&vals={'street2':'Chung%20Hsiao%20East%20Road'}"

The other flows (authorization code, OAuth 1.0a, Basic): see the README.
Users and clients: npm run admin -- list-clients (the admin CLI finds this stack while it runs).
Data key file (seals OAuth 1.0a secrets): ${stack.keyFile}${keyFile || dataDir ? '' : ' (removed when npm start stops)'}

${exports.join('\n')}

Ready. Ctrl-C stops everything npm start started.`);
}

main().catch((error: Error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  process.exit(1);
});
