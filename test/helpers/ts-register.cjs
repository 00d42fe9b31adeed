/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook for child processes */
// Lets a child `node -r ./test/helpers/ts-register.cjs x.ts` run TypeScript the way jest does (swc).
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');
require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
