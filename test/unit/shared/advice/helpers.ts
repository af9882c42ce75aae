import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDocumentSchema, type RunDocument } from '../../../../src/shared/domain/run';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/runs');

/** A committed fixture, read and validated the way the CLI reads a run file. */
export function fixtureRun(name: 'cpu-only' | 'gpu-server' | 'unstable' | 'variants'): RunDocument {
  return RunDocumentSchema.parse(JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')));
}

/** n evenly spaced samples from `from` in steps of `step`: every percentile is known by hand. */
export function evenSamples(from: number, step: number, n = 100): number[] {
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toFixed(6)));
}

/** RFC 4180 reader for the test: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
