// Types of scripts/corpus.mjs for the tests and scripts that read the corpus manifest.
export interface CorpusModel {
  /** File name in the cache (`<id>.onnx`) and the key of its inputs in test/corpus/inputs.ts. */
  id: string;
  /** Path of the .onnx file inside the npm tarball. */
  path: string;
  sha256: string;
  bytes: number;
  description: string;
  traits: readonly string[];
}

export interface CorpusPackage {
  package: string;
  version: string;
  /** npm's `dist.integrity` of the tarball. */
  integrity: string;
  models: readonly CorpusModel[];
}

export const CORPUS: readonly CorpusPackage[];
export function corpusDir(): string;
export function corpusModels(): (CorpusModel & { package: string; version: string })[];
export function modelFile(id: string, dir?: string): string;
export function isCached(model: CorpusModel, dir?: string): boolean;
export function fetchCorpus(options?: { dir?: string; log?: (line: string) => void }): Promise<string[]>;
