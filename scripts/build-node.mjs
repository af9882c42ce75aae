// Bundles the Node-side entry points (CLI + browser host, inference worker) with esbuild.
// The Electron main/preload/renderer are built by electron-vite; these run on plain Node.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export async function buildNode({ quiet = false } = {}) {
  const started = Date.now();
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli/index.ts', worker: 'src/worker/index.ts' },
    outdir: 'out/node',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // node_modules stay external: onnxruntime-node is a native addon and the rest resolve at run time.
    packages: 'external',
    sourcemap: true,
    logLevel: quiet ? 'warning' : 'info',
    banner: {
      js:
        "import { createRequire as __inferscopeCreateRequire } from 'node:module'; const require = " +
        '__inferscopeCreateRequire(import.meta.url);',
    },
  });
  if (!quiet) console.log(`node bundles built in ${Date.now() - started} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildNode();
}
