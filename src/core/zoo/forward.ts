/**
 * A plain JavaScript forward pass over a layer list, one batch item at a time. Slow (no SIMD,
 * no threads) but obviously right: the zoo uses it to calibrate classifier heads, and tests use
 * it as an independent reference for what onnxruntime computes from the emitted graph.
 */
import { BN_EPSILON, convOutput, convShape, denseInputFeatures, expectImage, internal, residualShapes, step } from './layers';
import type { Activation, ConvShape, Layer } from './layers';
import type { LayerWeights, NetworkWeights } from './weights';

/** Run `layers` on one item `x` (laid out as `input`, channel-major for images). */
export function forward(layers: readonly Layer[], input: Activation, weights: NetworkWeights, x: Float32Array): Float32Array {
  let value = x;
  let current = input;
  for (const layer of layers) {
    switch (layer.kind) {
      case 'conv': {
        value = conv(value, current, convShape(layer, current), weightsFor(weights, layer.name));
        if (layer.relu) value = relu(value);
        break;
      }
      case 'residual': {
        const shapes = residualShapes(layer, current);
        const mid = relu(conv(value, current, shapes.conv1, weightsFor(weights, `${layer.name}.conv1`)));
        const midShape = convOutput(current, shapes.conv1).output;
        const main = conv(mid, midShape, shapes.conv2, weightsFor(weights, `${layer.name}.conv2`));
        const skip = shapes.downsample ? conv(value, current, shapes.downsample, weightsFor(weights, `${layer.name}.downsample`)) : value;
        value = relu(main.map((v, i) => v + (skip[i] as number)));
        break;
      }
      case 'maxPool':
        value = maxPool(value, current, layer.kernel, layer.stride);
        break;
      case 'globalAveragePool': {
        const { channels, height, width } = expectImage(current, 'globalAveragePool');
        const area = height * width;
        const pooled = new Float32Array(channels);
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let i = 0; i < area; i++) sum += value[c * area + i] as number;
          pooled[c] = sum / area;
        }
        value = pooled;
        break;
      }
      case 'flatten':
        break;
      case 'dense': {
        const { features } = denseInputFeatures(layer, current);
        const { weight, bias } = weightsFor(weights, layer.name);
        const y = new Float32Array(layer.units);
        for (let o = 0; o < layer.units; o++) {
          let sum = bias ? (bias[o] as number) : 0;
          for (let i = 0; i < features; i++) sum += (weight[o * features + i] as number) * (value[i] as number);
          y[o] = sum;
        }
        value = layer.relu ? relu(y) : y;
        break;
      }
    }
    current = step(layer, current).output;
  }
  return value;
}

function weightsFor(weights: NetworkWeights, name: string): LayerWeights {
  const found = weights.get(name);
  if (!found) throw internal(`no weights for ${name}`);
  return found;
}

/** Conv (and BatchNormalization when the shape has one), NCHW, zero padding. */
function conv(x: Float32Array, input: Activation, shape: ConvShape, w: LayerWeights): Float32Array {
  const { height, width } = expectImage(input, 'conv');
  const out = convOutput(input, shape).output;
  const { height: outHeight, width: outWidth } = expectImage(out, 'conv');
  const { inChannels, outChannels, kernel, stride, padding } = shape;
  const y = new Float32Array(outChannels * outHeight * outWidth);
  const acc = new Float64Array(outHeight * outWidth);
  for (let o = 0; o < outChannels; o++) {
    acc.fill(w.bias ? (w.bias[o] as number) : 0);
    for (let c = 0; c < inChannels; c++) {
      for (let ky = 0; ky < kernel; ky++) {
        for (let kx = 0; kx < kernel; kx++) {
          const wv = w.weight[((o * inChannels + c) * kernel + ky) * kernel + kx] as number;
          for (let oy = 0; oy < outHeight; oy++) {
            const iy = oy * stride - padding + ky;
            if (iy < 0 || iy >= height) continue;
            const row = (c * height + iy) * width;
            for (let ox = 0; ox < outWidth; ox++) {
              const ix = ox * stride - padding + kx;
              if (ix < 0 || ix >= width) continue;
              acc[oy * outWidth + ox] = (acc[oy * outWidth + ox] as number) + wv * (x[row + ix] as number);
            }
          }
        }
      }
    }
    let scale = 1;
    let shift = 0;
    if (w.batchNorm) {
      const bn = w.batchNorm;
      scale = (bn.scale[o] as number) / Math.sqrt((bn.variance[o] as number) + BN_EPSILON);
      shift = (bn.bias[o] as number) - (bn.mean[o] as number) * scale;
    }
    const base = o * outHeight * outWidth;
    for (let i = 0; i < acc.length; i++) y[base + i] = (acc[i] as number) * scale + shift;
  }
  return y;
}

function maxPool(x: Float32Array, input: Activation, kernel: number, stride: number): Float32Array {
  const { channels, height, width } = expectImage(input, 'maxPool');
  const outHeight = Math.floor((height - kernel) / stride) + 1;
  const outWidth = Math.floor((width - kernel) / stride) + 1;
  const y = new Float32Array(channels * outHeight * outWidth);
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        let best = -Infinity;
        for (let ky = 0; ky < kernel; ky++) {
          for (let kx = 0; kx < kernel; kx++) {
            best = Math.max(best, x[(c * height + oy * stride + ky) * width + ox * stride + kx] as number);
          }
        }
        y[(c * outHeight + oy) * outWidth + ox] = best;
      }
    }
  }
  return y;
}

function relu(x: Float32Array): Float32Array {
  return x.map((v) => (v > 0 ? v : 0));
}
