/**
 * The Lambda bundles as a deploy builds them: serverless.yml's custom.esbuild options, as osls
 * resolves them, applied to one handler at a time (package individually). Used by the bench and
 * by the test that runs the built bundle.
 */
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const ROOT = join(__dirname, '..');

/** custom.esbuild from serverless.yml with sourcemaps off (a linked map is not read at load). */
export function lambdaEsbuildOptions(): BuildOptions {
  const printed = execFileSync(process.execPath, [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'print', '--stage', 'prod', '--format', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
  });
  const { bundle, minify, target, platform, format, mainFields, alias } = JSON.parse(printed.slice(printed.indexOf('{'))).custom.esbuild as BuildOptions;
  return { absWorkingDir: ROOT, bundle, minify, target, platform, format, mainFields, alias, sourcemap: false, logLevel: 'silent' };
}

/** Builds `entry` (e.g. handlers/object.ts) into `outdir`; returns the bundle's path. */
export async function buildLambda(entry: string, outdir: string, options: BuildOptions = lambdaEsbuildOptions()): Promise<string> {
  const outfile = join(outdir, `${basename(entry, '.ts')}.js`);
  await build({ ...options, entryPoints: [entry], outfile });
  return outfile;
}
