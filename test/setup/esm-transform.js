/**
 * jest loads modules as CommonJS; `jose` ships only as ES modules. This turns its files into
 * CommonJS with esbuild (already a dependency: it bundles the Lambdas) when a test imports it.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { format: 'cjs', loader: 'js', target: 'node20', sourcemap: 'external', sourcefile: filename });
    return { code, map };
  },
};
