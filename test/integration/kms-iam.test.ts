/**
 * The KMS calls of the key ring (lib/store/kms.ts) against the roles of the functions that make
 * them. The local stack has no KMS (a key file stands in for the data key), so this file runs the
 * real data-key service — the SDK's KMSClient, the commands it sends — against a stand-in KMS on
 * loopback: a FAKE of AWS KMS, labelled as such, because nothing local can produce KMS. It records
 * what each call asks (the operation and key, and the function named in the User-Agent) and the
 * prod template's roles decide whether the deployed function may ask it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kmsDataKeyService } from '../../lib/store/kms';
import type { Template } from '../helpers/iam-policy';
import { callingFunction, templateRoles } from '../setup/iam-guard';

const roles = templateRoles(JSON.parse(readFileSync(process.env.TEST_TEMPLATE_FILE as string, 'utf8')) as Template);

/** The functions whose handlers wire the key ring (lib/runtime/container-auth.ts), read from handlers/. */
const keyRingFunctions = readdirSync(join(__dirname, '../../handlers'))
  .filter((file) => readFileSync(join(__dirname, '../../handlers', file), 'utf8').includes('lib/runtime/container-auth'))
  .map((file) => file.replace(/\.ts$/, ''));

interface KmsCall {
  readonly fn: string | undefined;
  readonly action: string;
  readonly keyId: string;
}

/** FAKE KMS (see the file's header): a data key is its own "ciphertext"; answers what the SDK needs. */
let fakeKms: Server;
let endpoint: string;
const calls: KmsCall[] = [];

beforeAll(async () => {
  fakeKms = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const input = JSON.parse(body) as { KeyId: string; CiphertextBlob?: string };
      const operation = String(request.headers['x-amz-target']).replace('TrentService.', '');
      calls.push({ fn: callingFunction(request.headers['user-agent'], 'local'), action: `kms:${operation}`, keyId: input.KeyId });
      const plaintext = operation === 'Decrypt' ? (input.CiphertextBlob as string) : randomBytes(32).toString('base64');
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ KeyId: input.KeyId, Plaintext: plaintext, CiphertextBlob: plaintext }));
    });
  });
  await new Promise<void>((resolve) => fakeKms.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(fakeKms.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => fakeKms.close(() => resolve())));

/** Generates and decrypts a data key as `fn` would, with the key its deployed environment names. */
async function useDataKey(fn: string): Promise<KmsCall[]> {
  const before = calls.length;
  const keyId = roles.environmentOf(fn, 'SECRETS_KMS_KEY_ID') as string;
  const service = kmsDataKeyService(keyId, { region: 'eu-west-1', endpoint, appId: `odoo-rest-lambda-local-${fn}` });
  const generated = await service.generate();
  expect(await service.decrypt(generated.ciphertext)).toStrictEqual(generated.plaintext);
  return calls.slice(before);
}

describe('KMS calls against the deployed roles', () => {
  it('finds the functions that use the key ring', () => {
    expect(keyRingFunctions.sort()).toStrictEqual(['authorize', 'authorizer', 'object', 'token']);
  });

  it.each(keyRingFunctions)('%s may make every KMS call the key ring makes, on the stage key its environment names', async (fn) => {
    const made = await useDataKey(fn);
    expect(made.map(({ fn: caller, action }) => [caller, action])).toStrictEqual([
      [fn, 'kms:GenerateDataKey'],
      [fn, 'kms:Decrypt'],
    ]);
    expect(roles.missing(fn, made.map(({ action, keyId }) => ({ action, resource: keyId })))).toStrictEqual([]);
  });

  it('a function without the key ring in its role would be refused (the check can fail)', async () => {
    const made = await useDataKey('version');
    expect(roles.missing('version', made.map(({ action, keyId }) => ({ action, resource: keyId })))).toHaveLength(2);
  });
});
