/**
 * vitest globalSetup for the integration project: builds the Node bundles once before
 * any test starts. While the CLI entry does not exist yet, only the worker is built.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureWorkerBuilt, repoRoot } from './build';

export default async function setup(): Promise<void> {
  if (existsSync(path.join(repoRoot, 'src/cli/index.ts'))) {
    // @ts-expect-error -- plain .mjs build script without type declarations
    const { buildNode } = (await import('../../scripts/build-node.mjs')) as { buildNode: (o: { quiet: boolean }) => Promise<void> };
    await buildNode({ quiet: true });
  } else {
    await ensureWorkerBuilt();
  }
}
