import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/hardware');

export function fixture(name: string): string {
  return readFileSync(path.join(dir, name), 'utf8');
}

export const FIXTURE_DIR = dir;
