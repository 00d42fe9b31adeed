const { transformSync } = require('@swc/core');
require.extensions['.ts'] = function (m, filename) {
  const src = require('fs').readFileSync(filename, 'utf8');
  const out = transformSync(src, { filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } });
  m._compile(out.code, filename);
};
