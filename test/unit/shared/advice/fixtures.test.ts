import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { buildFixtures, fixtureText } from '../../../fixtures/runs/generate';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/runs');

describe('committed run fixtures', () => {
  test('are exactly what generate.ts makes (regenerate them after changing the run format)', () => {
    const built = buildFixtures();
    expect(Object.keys(built).sort()).toEqual(['cpu-only', 'gpu-server', 'unstable', 'variants']);
    for (const [name, doc] of Object.entries(built)) {
      expect(readFileSync(path.join(dir, `${name}.json`), 'utf8'), name).toBe(fixtureText(doc));
    }
  });
});
