/** @type {import('jest').Config} */
// jose is published as ES modules only (test/setup/esm-transform.js makes it loadable by jest).
const transform = { '^.+\\.ts$': 'ts-jest', 'node_modules/jose/.+\\.js$': '<rootDir>/test/setup/esm-transform.js' };
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];

module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      setupFiles: ['<rootDir>/test/setup/fast-check.ts'],
    },
    {
      // Against real components: DynamoDB Local and the API served by serverless-offline, both
      // started once for the run by the global setup (on free ports) and stopped afterwards.
      displayName: 'local-stack',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      setupFiles: ['<rootDir>/test/setup/fast-check.ts', '<rootDir>/test/setup/fetch-retry.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
