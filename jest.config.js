/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: {
    "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }],
  },
  moduleNameMapper: {
    "^@agentcore-runtime/client$": "<rootDir>/packages/client/src/index.ts",
    "^@agentcore-runtime/client/sigv4$": "<rootDir>/packages/client/src/sigv4/index.ts",
    "^@agentcore-runtime/emulator$": "<rootDir>/packages/emulator/src/index.ts",
  },
  testTimeout: 30000,
  // a worker whose heap grew past this after a file (the suites that stream hundreds of MiB) is replaced before
  // the next file: otherwise every full GC there is slow, and the tests that wait for a collection time out
  workerIdleMemoryLimit: "512MB",
};
