/**
 * The singletons only the credential functions (authorizer, token, authorize) need: the key ring
 * (with its KMS client) and the OAuth dependencies. Apart from lib/runtime/container.ts so the object
 * function's bundle carries no KMS client.
 */
import { getAuthStore, getConfig, once } from './container';
import { lazyKeyRing, type KeyRing } from '../auth/keys';
import { parsePublicBaseUrl, type PublicOrigin } from '../auth/oauth1/signature';
import type { OAuth1Deps } from '../auth/oauth1/flow';
import type { TokenDeps } from '../auth/oauth2';
import { kmsDataKeyService } from '../store/kms';

export const getKeyRing = once<() => Promise<KeyRing>>(() => {
  const { secretsKeyFile, secretsKmsKeyId, region } = getConfig();
  return lazyKeyRing({
    keyFile: secretsKeyFile,
    kms: secretsKmsKeyId ? () => kmsDataKeyService(secretsKmsKeyId, { region }) : undefined,
    store: getAuthStore(),
  });
});

const getPublicOrigin = once<PublicOrigin | undefined>(() => {
  const { publicBaseUrl } = getConfig();
  return publicBaseUrl ? parsePublicBaseUrl(publicBaseUrl) : undefined;
});

export const getTokenDeps = once<TokenDeps>(() => ({
  store: getAuthStore(),
  accessTokenValidity: getConfig().accessTokenValidity,
  accessTokenFormat: getConfig().accessTokenFormat,
  keys: getKeyRing(),
}));

export const getOAuth1Deps = once<OAuth1Deps>(() => ({
  store: getAuthStore(),
  keys: getKeyRing(),
  publicOrigin: getPublicOrigin(),
  trustedProxy: getConfig().trustedProxy,
  gatewayEmulated: getConfig().gatewayEmulated,
  timestampWindow: getConfig().oauth1TimestampWindow,
}));
