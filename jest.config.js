/** Unit specs live beside the code; HTTP e2e specs in test/ run against a real PostgreSQL. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
/**
 * Node 20.19 loads ESM-only dependencies with require(); Jest's module system cannot, so those few
 * (content-disposition 3, under @fastify/static) are compiled to CommonJS for the tests.
 */
const transformation = {
  transform: {
    '^.+\\.ts$': tsJest,
    '^.+/node_modules/content-disposition/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
};

module.exports = {
  testTimeout: 90_000,
  // A failed test may leave a child process or a socket open; without this the run would then
  // never end (in band, as on 2 cores) and CI would stop at its time limit with nothing reported.
  forceExit: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      ...transformation,
      setupFiles: ['reflect-metadata'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      ...transformation,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
      // Every exchange of every e2e test is judged against openapi.json (test/support/conformance).
      setupFilesAfterEnv: ['<rootDir>/test/support/conformance/setup.ts'],
    },
    {
      // `npm run test:faults`: real service processes under crashes, outages and hostile input.
      displayName: 'faults',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      ...transformation,
      globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/faults/support/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
    },
  ],
};
