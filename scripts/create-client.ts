/**
 * Creates an OAuth client for a deployed stage (until the admin CLI of the OAuth issue exists):
 *
 *   npm run create-client -- --stage prod --region eu-west-1 --user 1 --name "Shop sync"
 *
 * Uses the AWS credentials of the environment (or DYNAMODB_ENDPOINT for a local DynamoDB).
 * Prints the client id and secret once; only the secret's SHA-256 hash is stored.
 */
import { parseArgs } from 'node:util';
import { createClient } from '../lib/auth';
import { DynamoAuthStore } from '../lib/store/auth';
import { createDocumentClient } from '../lib/store/client';

export interface CreateClientOptions {
  readonly table: string;
  readonly region: string;
  readonly userId: number;
  readonly name: string;
  readonly endpoint?: string | undefined;
}

export function parseCreateClientArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CreateClientOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: { stage: { type: 'string' }, region: { type: 'string' }, user: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const userId = Number(values.user);
  if (!values.stage || !values.name || !Number.isSafeInteger(userId) || userId <= 0) {
    throw new Error('usage: npm run create-client -- --stage STAGE --user USER_ID --name "CLIENT NAME" [--region REGION]');
  }
  return {
    table: `odoo-rest-lambda-${values.stage}-auth`,
    region: values.region ?? env.AWS_REGION ?? 'eu-west-1',
    userId,
    name: values.name,
    endpoint: env.DYNAMODB_ENDPOINT || undefined,
  };
}

export async function createClientCommand(options: CreateClientOptions): Promise<{ clientId: string; clientSecret: string }> {
  const documents = createDocumentClient({ endpoint: options.endpoint, region: options.region });
  try {
    return await createClient(new DynamoAuthStore(documents, options.table), options.userId, options.name);
  } finally {
    documents.destroy();
  }
}

if (require.main === module) {
  Promise.resolve()
    .then(() => createClientCommand(parseCreateClientArgs(process.argv.slice(2), process.env)))
    .then(({ clientId, clientSecret }) => process.stdout.write(`client_id     ${clientId}\nclient_secret ${clientSecret}\n(the secret is not stored; keep it now)\n`))
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    });
}
