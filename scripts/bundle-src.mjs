// Bundles a few exports of src/ on the fly with esbuild, so the benchmark scripts run the
// current sources without a build. The bundle lives under node_modules/.cache so that its
// external packages (onnxruntime-node, protobufjs, …) resolve from the repository.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the bundle called `name` is written. */
export function bundlePath(name) {
  return join(root, 'node_modules/.cache/inferscope-bench', `${name}.mjs`);
}

/** Writes a bundle re-exporting `exportLines` (e.g. "export { x } from './src/…';") and returns its path. */
export async function bundleSources(name, exportLines) {
  const outfile = bundlePath(name);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    absWorkingDir: root,
    stdin: { contents: exportLines.join('\n'), resolveDir: root, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}
