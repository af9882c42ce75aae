/**
 * Calibration: run the float model, with the tensors to calibrate added as outputs (values inside
 * If branches carried out to the main graph, subgraph-calibration.ts), over the user's input batches
 * and reduce what flows through each tensor to a range (MinMax, Percentile or Entropy;
 * docs/quantization.md#int8-static-qdq).
 */
import type * as ort from 'onnxruntime-node';
import type { CalibrationMethod } from '../../shared/domain/quantize';
import { InferscopeError } from '../../shared/errors';
import type { ModelProto } from '../onnx/codec';
import { Histogram, MinMaxCollector, MovingAverageMinMaxCollector, type TensorRange } from './histogram';
import { Scratch } from './scratch';
import { iterate, runSession } from './session';
import type { InputSource, ProgressCallback } from './types';
import type { ExternalDataReader } from '../onnx/tensor';
import { exposeTensors } from './subgraph-calibration';

export const DEFAULT_HISTOGRAM_BINS = 2048;
export const DEFAULT_PERCENTILE = 99.999;
/** ORT's num_quantized_bins: the resolution an 8-bit tensor keeps on each side. */
export const ENTROPY_QUANTIZED_BINS = 128;

export interface CalibrationSettings {
  method: CalibrationMethod;
  /** minmax: average the batches' ranges instead of taking the extremes. */
  movingAverage: boolean;
  bins: number;
  percentile: number;
}

export interface CalibrationResult {
  ranges: Map<string, TensorRange>;
  batches: number;
  /**
   * Tensors of which at least one value was seen. A value in an If branch that no input took, or
   * in a Loop or Scan body, is never seen: its range says nothing.
   */
  observed: Set<string>;
}

interface Collector {
  add(values: ArrayLike<number>): void;
  range(): TensorRange;
}

function collectorFor(settings: CalibrationSettings): Collector {
  switch (settings.method) {
    case 'minmax':
      return settings.movingAverage ? new MovingAverageMinMaxCollector() : new MinMaxCollector();
    case 'percentile': {
      // ORT's percentile calibration is symmetric by default: a histogram of |x|.
      const histogram = new Histogram(settings.bins, true);
      return { add: (v) => histogram.add(v), range: () => histogram.percentileRange(settings.percentile) };
    }
    case 'entropy': {
      const histogram = new Histogram(settings.bins, false);
      return { add: (v) => histogram.add(v), range: () => histogram.entropyRange(ENTROPY_QUANTIZED_BINS) };
    }
  }
}

function floatValues(tensor: ort.Tensor | undefined): ArrayLike<number> | undefined {
  if (!tensor || tensor.type !== 'float32') return undefined;
  return tensor.data as Float32Array;
}

/**
 * Ranges of `tensors` (names of float values of any graph, graph inputs allowed) over every batch
 * of `data`. The model runs with optimizations off so every tensor exists.
 */
export async function calibrate(
  model: ModelProto,
  tensors: readonly string[],
  data: InputSource,
  settings: CalibrationSettings,
  options: { external?: ExternalDataReader | undefined; onProgress?: ProgressCallback | undefined; scratch?: Scratch } = {},
): Promise<CalibrationResult> {
  const graph = model.graph;
  if (!graph) throw new InferscopeError('MODEL_UNSUPPORTED', 'The model has no graph.');
  const inputNames = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const exposed = exposeTensors(
    model,
    tensors.filter((n) => !inputNames.has(n)),
  );
  const collectors = new Map(tensors.map((n) => [n, collectorFor(settings)]));
  const observed = new Set<string>();
  const scratch = options.scratch ?? new Scratch();
  let batches = 0;
  try {
    const session = await scratch.session(exposed.model, options.external, 'the model for calibration', { optimization: 'disabled' });
    try {
      const run = { tensors, outputFor: exposed.outputFor, inputNames, collectors, observed };
      batches = await runBatches(session, data, run, options.onProgress);
    } finally {
      await session.release();
    }
  } finally {
    if (!options.scratch) await scratch.dispose();
  }
  if (batches === 0) throw new InferscopeError('INPUT_INVALID', 'Calibration needs at least one batch of inputs; none were given.');
  const ranges = new Map<string, TensorRange>();
  for (const [name, collector] of collectors) ranges.set(name, collector.range());
  return { ranges, batches, observed };
}

interface CalibrationRun {
  tensors: readonly string[];
  /** The output each tensor's values come from (graph inputs come from the feed). */
  outputFor: ReadonlyMap<string, string>;
  inputNames: ReadonlySet<string>;
  collectors: ReadonlyMap<string, Collector>;
  observed: Set<string>;
}

async function runBatches(
  session: ort.InferenceSession,
  data: InputSource,
  run: CalibrationRun,
  onProgress: ProgressCallback | undefined,
): Promise<number> {
  const fetched = [...new Set(run.outputFor.values())];
  let batches = 0;
  for await (const record of iterate(data)) {
    const results = fetched.length > 0 ? await runSession(session, record, 'calibration', fetched) : {};
    for (const name of run.tensors) {
      const output = run.outputFor.get(name);
      const values = run.inputNames.has(name) ? floatInput(record[name]) : output ? floatValues(results[output]) : undefined;
      // An If branch that did not run hands out an empty tensor.
      if (!values || values.length === 0) continue;
      run.collectors.get(name)?.add(values);
      run.observed.add(name);
    }
    batches++;
    onProgress?.({ stage: 'calibrate', message: `batch ${batches}` });
  }
  return batches;
}

function floatInput(tensor: { type: string; data: unknown } | undefined): ArrayLike<number> | undefined {
  if (!tensor || tensor.type !== 'float32') return undefined;
  return tensor.data as ArrayLike<number>;
}
