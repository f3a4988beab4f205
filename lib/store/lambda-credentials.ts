/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (serverless.yml's
 * custom.esbuild.alias). In Lambda the credentials are always in the environment, so the SDK's
 * default chain (SSO, ini files, process, web identity, container, IMDS, and the STS/SSO clients
 * they need) is dead weight: a third of the bundle and ~20 ms of every cold start (npm run bench).
 * Tests and scripts run unbundled and keep the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
