/**
 * Builds the worker bundle the integration tests launch, once per test process, with
 * the options scripts/build-node.mjs uses for out/node/worker.js. Written to a temporary
 * name and renamed, so a test in another process never starts a half-written file.
 */
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const workerEntry = path.join(repoRoot, 'out/node/worker.js');

let built: Promise<string> | undefined;

export function ensureWorkerBuilt(): Promise<string> {
  built ??= buildWorker();
  return built;
}

async function buildWorker(): Promise<string> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { worker: 'src/worker/index.ts' },
    outdir: 'out/node',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
    banner: {
      js:
        "import { createRequire as __inferscopeCreateRequire } from 'node:module'; const require = " +
        '__inferscopeCreateRequire(import.meta.url);',
    },
  });
  await mkdir(path.dirname(workerEntry), { recursive: true });
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
  return workerEntry;
}
