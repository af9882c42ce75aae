/** What every synthetic data generator of the sample models looks like. */

export type SyntheticTensorData = Float32Array | BigInt64Array;

/**
 * Realistic inputs for one sample model, made by code with fixed seeds: the same seed always
 * gives the same data, on every machine.
 */
export interface SyntheticData {
  /** What the data is, for notes: "handwritten digits". */
  kind: string;
  /** The inputs it makes and their element types; the model's other inputs are generated as usual. */
  inputs: Readonly<Record<string, 'float32' | 'int64'>>;
  /** One sample for these shapes (batch included), from a seed. */
  sample(shapes: Readonly<Record<string, readonly number[]>>, seed: number): Record<string, SyntheticTensorData>;
}
