/** ONNX nodes for a layer list, in the shapes PyTorch exports them (Conv, BatchNormalization, Gemm with transB). */
import { attr } from '../onnx/build';
import type { GraphBuilder } from '../onnx/build';
import { BN_EPSILON, convShape, denseInputFeatures, internal, residualShapes, step } from './layers';
import type { Activation, ConvShape, Layer } from './layers';
import type { NetworkWeights } from './weights';

/**
 * Emit the network reading `x` (one item shaped `input`, with a leading batch dimension);
 * the last layer's output is named `outputName`. Node names are scoped like PyTorch's
 * (`/layer1/conv1/Conv`), initializers named like its state dict (`layer1.conv1.weight`).
 */
export function emitNetwork(
  g: GraphBuilder,
  x: string,
  layers: readonly Layer[],
  input: Activation,
  weights: NetworkWeights,
  outputName: string,
): string {
  let value = x;
  let current = input;
  layers.forEach((layer, index) => {
    const named = index === layers.length - 1 ? { output: outputName } : {};
    switch (layer.kind) {
      case 'conv':
        value = g.scope(scopeOf(layer.name), () => {
          const y = emitConv(g, weights, value, layer.name, convShape(layer, current));
          return g.op(layer.relu ? 'Relu' : 'Identity', [y], {}, named);
        });
        break;
      case 'residual': {
        const shapes = residualShapes(layer, current);
        const block = value;
        value = g.scope(scopeOf(layer.name), () => {
          const first = g.scope('conv1', () => emitConv(g, weights, block, `${layer.name}.conv1`, shapes.conv1));
          const activated = g.op('Relu', [first]);
          const main = g.scope('conv2', () => emitConv(g, weights, activated, `${layer.name}.conv2`, shapes.conv2));
          const { downsample } = shapes;
          const skip = downsample
            ? g.scope('downsample', () => emitConv(g, weights, block, `${layer.name}.downsample`, downsample))
            : block;
          return g.op('Relu', [g.op('Add', [main, skip])], {}, named);
        });
        break;
      }
      case 'maxPool':
        value = g.op('MaxPool', [value], { kernel_shape: [layer.kernel, layer.kernel], strides: [layer.stride, layer.stride] }, named);
        break;
      case 'globalAveragePool':
        value = g.op('GlobalAveragePool', [value], {}, named);
        break;
      case 'flatten':
        value = g.op('Flatten', [value], { axis: 1 }, named);
        break;
      case 'dense': {
        const { features } = denseInputFeatures(layer, current);
        const w = weights.get(layer.name);
        if (!w?.bias) throw internal(`no weights for ${layer.name}`);
        value = g.scope(scopeOf(layer.name), () => {
          const weight = g.initializer(`${layer.name}.weight`, w.weight, [layer.units, features]);
          const bias = g.initializer(`${layer.name}.bias`, w.bias as Float32Array, [layer.units]);
          const gemm = { alpha: attr.float(1), beta: attr.float(1), transB: 1 };
          if (!layer.relu) return g.op('Gemm', [value, weight, bias], gemm, named);
          return g.op('Relu', [g.op('Gemm', [value, weight, bias], gemm)], {}, named);
        });
        break;
      }
    }
    current = step(layer, current).output;
  });
  return value;
}

function emitConv(g: GraphBuilder, weights: NetworkWeights, x: string, name: string, shape: ConvShape): string {
  const w = weights.get(name);
  if (!w) throw internal(`no weights for ${name}`);
  const { inChannels, outChannels: c, kernel: k, stride, padding: p } = shape;
  const inputs = [x, g.initializer(`${name}.weight`, w.weight, [c, inChannels, k, k])];
  if (w.bias) inputs.push(g.initializer(`${name}.bias`, w.bias, [c]));
  const y = g.op('Conv', inputs, { kernel_shape: [k, k], strides: [stride, stride], pads: [p, p, p, p] });
  const bn = w.batchNorm;
  if (!bn) return y;
  return g.op(
    'BatchNormalization',
    [
      y,
      g.initializer(`${name}.bn.weight`, bn.scale, [c]),
      g.initializer(`${name}.bn.bias`, bn.bias, [c]),
      g.initializer(`${name}.bn.running_mean`, bn.mean, [c]),
      g.initializer(`${name}.bn.running_var`, bn.variance, [c]),
    ],
    { epsilon: attr.float(BN_EPSILON) },
  );
}

function scopeOf(name: string): string {
  return name.replaceAll('.', '/');
}
