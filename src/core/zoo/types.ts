import type { ModelProto } from '../onnx/codec';

export type SampleTask = 'image-classification' | 'tabular-classification' | 'text-embedding';

export interface SampleTensor {
  name: string;
  type: 'float32' | 'int64';
  /** Numbers are fixed sizes; strings are symbolic ("batch", "sequence") and chosen at run time. */
  shape: (number | string)[];
  /** Inclusive range of meaningful values for integer inputs (token ids must stay inside the vocabulary). */
  valueRange?: { min: number; max: number };
  description: string;
}

export interface SampleInfo {
  name: string;
  title: string;
  description: string;
  task: SampleTask;
  /** Bumped whenever the builder's output changes, so files cached on disk are regenerated. */
  version: number;
  /** File name in the samples directory: `<name>-v<version>.onnx`. */
  fileName: string;
  opset: number;
  inputs: SampleTensor[];
  outputs: SampleTensor[];
  /** Values of the symbolic dimensions that `approxMacs` assumes (e.g. batch 1, sequence 128). */
  referenceDims: Record<string, number>;
  /** Float weight values stored in the file. */
  approxParams: number;
  /** Multiply-accumulates of Conv, Gemm and MatMul at `referenceDims` (elementwise ops not counted). */
  approxMacs: number;
  /** Roughly the file size: 4 bytes per parameter. */
  approxFileBytes: number;
}

/** One sample: its description, what it costs, and how to build it. */
export interface SampleDefinition {
  name: string;
  title: string;
  description: string;
  task: SampleTask;
  version: number;
  opset: number;
  seed: number;
  inputs: SampleTensor[];
  outputs: SampleTensor[];
  referenceDims: Record<string, number>;
  cost(): { params: number; macs: number };
  /** Deterministic: the same definition always gives the same model. */
  build(): ModelProto;
}
