/** KMS for the key ring (lib/auth/keys.ts): one data key per stage, envelope-encrypted under a KMS key. */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyService } from '../auth/keys';

/** Binds every ciphertext to its purpose: KMS refuses to decrypt it with another context. */
const ENCRYPTION_CONTEXT = { purpose: 'odoo-rest-lambda data key' };

export interface KmsConnection {
  readonly region: string;
  /** Another KMS than the region's (a test's stand-in). */
  readonly endpoint?: string;
  /** The caller's name in the SDK's User-Agent, as lib/store/dynamodb/client.ts takes it. */
  readonly appId?: string;
}

export function kmsDataKeyService(keyId: string, { region, endpoint, appId }: KmsConnection): DataKeyService {
  const client = new KMSClient({
    region,
    ...(appId ? { userAgentAppId: appId } : {}),
    // A stand-in endpoint accepts any credentials: fixed ones keep a developer's real keys out of it.
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return {
    async generate() {
      const result = await client.send(
        new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ENCRYPTION_CONTEXT }),
      );
      if (!result.Plaintext || !result.CiphertextBlob) throw new Error('KMS returned no data key');
      return {
        plaintext: Buffer.from(result.Plaintext),
        ciphertext: Buffer.from(result.CiphertextBlob).toString('base64'),
      };
    },
    async decrypt(ciphertext) {
      const result = await client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: Buffer.from(ciphertext, 'base64'),
          EncryptionContext: ENCRYPTION_CONTEXT,
        }),
      );
      if (!result.Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(result.Plaintext);
    },
  };
}
