/**
 * IAM for the local stack. DynamoDB Local enforces no IAM, so a call the deployed role would refuse
 * (AccessDenied -> a 500 in production) passes every test. This proxy stands between the functions
 * and DynamoDB Local: each request that comes from a function — its SDK names it in the User-Agent
 * as `app/<service>-<stage>-<function>`, from the AWS_SDK_UA_APP_ID that serverless.yml gives every
 * function — is checked against that function's role in the prod stage's packaged template
 * (test/helpers/iam-policy.ts), each action of a TransactWriteItems included. A call the role does
 * not allow is answered as AWS answers it (AccessDeniedException) and recorded; the run's teardown
 * fails with every refused call, naming the function, the action and the resource.
 *
 * Requests without a function's name (the tests' own setup and assertions, the demo-data loader)
 * are passed through unchecked: they stand for an administrator, not for a function.
 */
import { execFile } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dynamoPermissions, TemplateRoles, type Permission, type Template } from '../helpers/iam-policy';

const ROOT = join(__dirname, '..', '..');
const SERVICE = 'odoo-rest-lambda';
const REGION = 'eu-west-1';
/** The stage whose template is the truth (what `npm run deploy` deploys). */
export const TEMPLATE_STAGE = 'prod';

export interface Violation extends Permission {
  readonly fn: string;
  readonly operation: string;
}

export interface IamGuard {
  /** Where the functions and the tests send their DynamoDB requests. */
  readonly endpoint: string;
  /** The calls refused so far. */
  violations(): readonly Violation[];
  stop(): Promise<void>;
}

/** The prod stage's template, as `osls package` writes it (packaged into a folder of its own). */
export async function packagedTemplate(): Promise<Template> {
  const folder = await mkdtemp(join(tmpdir(), 'odoo-rest-template-'));
  try {
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package', '--stage', TEMPLATE_STAGE, '--package', folder],
      {
        cwd: ROOT,
        env: { ...process.env, ESBUILD_WORK_FOLDER: join(folder, '.esbuild'), SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(await readFile(join(folder, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The function a request comes from (`app/odoo-rest-lambda-local-object` -> `object`), if any. */
export function callingFunction(userAgent: string | undefined, stage: string): string | undefined {
  const appId = /(?:^| )app\/(\S+)/.exec(userAgent ?? '')?.[1];
  const prefix = `${SERVICE}-${stage}-`;
  return appId?.startsWith(prefix) ? appId.slice(prefix.length) : appId;
}

/** What one request needs that its function's role lacks (empty: allowed, or not a function's). */
export function refusedPermissions(roles: TemplateRoles, localStage: string, fn: string | undefined, target: string, body: string): Violation[] {
  if (fn === undefined) return [];
  const operation = target.replace(/^DynamoDB_\d+\./, '');
  const tableArn = (table: string) =>
    roles.tableArn(templateTableName(table, localStage)) ?? `arn:aws:dynamodb:${REGION}:unknown:table/${table}`;
  const needed = dynamoPermissions(operation, JSON.parse(body || '{}') as Record<string, unknown>, tableArn);
  return roles.missing(fn, needed).map((permission) => ({ ...permission, fn, operation }));
}

/**
 * The template's name for a table the tests use: the served stage's tables
 * (`odoo-rest-lambda-local-records`), and the fresh ones a test file makes for itself
 * (`test-records-1a2b3c4d`, test/helpers/local.ts), stand for the stage's records, auth and usage tables.
 */
function templateTableName(table: string, localStage: string): string {
  const own = new RegExp(`^(?:${SERVICE}-${localStage}|test)-(records|auth|usage)(?:-[0-9a-f]{8})?$`).exec(table);
  return own ? `${SERVICE}-${TEMPLATE_STAGE}-${own[1] as string}` : table;
}

export function describeViolations(violations: readonly Violation[]): string {
  const lines = [...new Set(violations.map(({ fn, operation, action, resource }) => `- function ${fn}: ${action} on ${resource} (in ${operation})`))];
  return `The deployed roles (serverless.yml, stage ${TEMPLATE_STAGE}) would refuse ${violations.length} call(s) the tests made:\n${lines.join('\n')}`;
}

/** Starts the proxy in front of DynamoDB Local at `target` (an http URL). */
export async function startIamGuard(target: string, roles: TemplateRoles, localStage = 'local'): Promise<IamGuard> {
  const upstream = new URL(target);
  const violations: Violation[] = [];
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const fn = callingFunction(incoming.headers['user-agent'], localStage);
      let refused: Violation[];
      try {
        refused = refusedPermissions(roles, localStage, fn, String(incoming.headers['x-amz-target'] ?? ''), body.toString('utf8'));
      } catch (error) {
        refused = [{ fn: fn ?? '?', operation: String(incoming.headers['x-amz-target']), action: 'unreadable request', resource: String(error) }];
      }
      if (refused.length > 0) {
        violations.push(...refused);
        const [first] = refused as [Violation];
        outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'iam-guard' });
        outgoing.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
            message: `User: ${fn} role is not authorized to perform: ${first.action} on resource: ${first.resource} (test/setup/iam-guard.ts)`,
          }),
        );
        return;
      }
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => {
        outgoing.destroy();
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    violations: () => violations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The roles of a packaged prod template. */
export function templateRoles(template: Template): TemplateRoles {
  return new TemplateRoles(template, `${SERVICE}-${TEMPLATE_STAGE}-`, REGION);
}
