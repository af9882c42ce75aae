/**
 * Seeded weights for a layer list. Initialization follows what keeps random networks well
 * behaved (He-normal before ReLU, Xavier-normal otherwise, BatchNormalization statistics like
 * a trained network's), plus two corrections so a random classifier's answers depend on its
 * input (see centerGroups and calibrateHead): sample models are used to compare precisions,
 * and top-1 agreement means nothing if every input gets the same class.
 */
import { forward } from './forward';
import { convShape, denseInputFeatures, internal, residualShapes, step } from './layers';
import type { Activation, ConvShape, Layer } from './layers';
import { normalArray, uniformArray } from './rng';
import type { Rng } from './rng';

export interface LayerWeights {
  /** Conv: [out, in, k, k]; dense: [out, in] (PyTorch's Linear layout). */
  weight: Float32Array;
  bias?: Float32Array;
  batchNorm?: { scale: Float32Array; bias: Float32Array; mean: Float32Array; variance: Float32Array };
}

/** By parameter name: a conv or dense layer's name; a residual block's `<name>.conv1`, `.conv2`, `.downsample`. */
export type NetworkWeights = Map<string, LayerWeights>;

export function initWeights(layers: readonly Layer[], input: Activation, rng: Rng): NetworkWeights {
  const weights: NetworkWeights = new Map();
  let current = input;
  for (const layer of layers) {
    switch (layer.kind) {
      case 'conv':
        weights.set(layer.name, convWeights(rng, convShape(layer, current), layer.relu ?? false));
        break;
      case 'residual': {
        const shapes = residualShapes(layer, current);
        weights.set(`${layer.name}.conv1`, convWeights(rng, shapes.conv1, true));
        weights.set(`${layer.name}.conv2`, convWeights(rng, shapes.conv2, false));
        if (shapes.downsample) weights.set(`${layer.name}.downsample`, convWeights(rng, shapes.downsample, false));
        break;
      }
      case 'dense': {
        const { features, spatial = 1 } = denseInputFeatures(layer, current);
        const std = layer.relu ? Math.sqrt(2 / features) : Math.sqrt(2 / (features + layer.units));
        const weight = centerGroups(normalArray(rng, layer.units * features, std), spatial > 1 ? spatial : features);
        weights.set(layer.name, { weight, bias: normalArray(rng, layer.units, 0.02) });
        break;
      }
      case 'maxPool':
      case 'globalAveragePool':
      case 'flatten':
        break;
    }
    current = step(layer, current).output;
  }
  return weights;
}

function convWeights(rng: Rng, shape: ConvShape, beforeRelu: boolean): LayerWeights {
  const fanIn = shape.inChannels * shape.kernel * shape.kernel;
  const fanOut = shape.outChannels * shape.kernel * shape.kernel;
  const std = beforeRelu ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
  const weight = normalArray(rng, shape.outChannels * fanIn, std);
  const c = shape.outChannels;
  if (!shape.batchNorm) return { weight, bias: normalArray(rng, c, 0.02) };
  return {
    weight,
    batchNorm: {
      scale: normalArray(rng, c, 0.1, 1),
      bias: normalArray(rng, c, 0.1),
      mean: normalArray(rng, c, 0.1),
      variance: uniformArray(rng, c, 0.5, 1.5),
    },
  };
}

/**
 * Make each consecutive group of `groupLength` weights sum to zero: a whole row, or one
 * channel's spatial positions of a flattened feature map. Features after random ReLU layers
 * carry a large mean that is the same for every input (per channel, at every position);
 * weights summing to zero over it cancel it, leaving the part that follows the input.
 */
function centerGroups(weights: Float32Array, groupLength: number): Float32Array {
  for (let start = 0; start < weights.length; start += groupLength) {
    const group = weights.subarray(start, start + groupLength);
    let sum = 0;
    for (const v of group) sum += v;
    const mean = sum / groupLength;
    for (let i = 0; i < group.length; i++) group[i] = (group[i] as number) - mean;
  }
  return weights;
}

/** Spread of the calibrated logits: softmax confident on some inputs, never one-hot everywhere. */
const CALIBRATED_LOGIT_STD = 1.5;

/**
 * For heads after global average pooling, where centering cannot help (each feature is one
 * channel's average, nearly the same for every input): run the network on `samples` seeded
 * standard-normal inputs, subtract the mean logits through the bias and scale the head so the
 * logits spread by CALIBRATED_LOGIT_STD. A trained network's head is centered the same way by
 * its training data. Mutates the last (dense, no ReLU) layer's weights.
 */
export function calibrateHead(layers: readonly Layer[], input: Activation, weights: NetworkWeights, rng: Rng, samples: number): void {
  const head = layers[layers.length - 1];
  if (head?.kind !== 'dense' || head.relu) throw internal('calibration needs a final dense layer without ReLU');
  const headWeights = weights.get(head.name);
  if (!headWeights?.bias) throw internal(`no weights for ${head.name}`);
  const body = layers.slice(0, -1);
  const inputSize = input.kind === 'image' ? input.channels * input.height * input.width : input.features;

  const logits: Float64Array[] = [];
  for (let k = 0; k < samples; k++) {
    const features = forward(body, input, weights, normalArray(rng, inputSize, 1));
    logits.push(dense(headWeights.weight, features, head.units));
  }
  const meanLogits = new Float64Array(head.units);
  for (const row of logits) row.forEach((v, o) => (meanLogits[o] = (meanLogits[o] as number) + v / samples));
  let squares = 0;
  for (const row of logits) row.forEach((v, o) => (squares += (v - (meanLogits[o] as number)) ** 2));
  const spread = Math.sqrt(squares / (samples * head.units));
  const scale = spread > 0 ? CALIBRATED_LOGIT_STD / spread : 1;
  const { weight, bias } = headWeights;
  for (let i = 0; i < weight.length; i++) weight[i] = (weight[i] as number) * scale;
  for (let o = 0; o < head.units; o++) bias[o] = ((bias[o] as number) - (meanLogits[o] as number)) * scale;
}

function dense(weight: Float32Array, x: Float32Array, units: number): Float64Array {
  const inFeatures = x.length;
  const y = new Float64Array(units);
  for (let o = 0; o < units; o++) {
    let sum = 0;
    for (let i = 0; i < inFeatures; i++) sum += (weight[o * inFeatures + i] as number) * (x[i] as number);
    y[o] = sum;
  }
  return y;
}
