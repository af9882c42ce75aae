/**
 * Feed-forward networks (CNNs and MLPs) described as a list of layers, and the shape rules
 * every consumer shares: the cost count for the catalog (weights.ts, forward.ts and emit.ts
 * walk the same list), so the numbers the app shows can't drift from the model it writes.
 */
import { InferscopeError } from '../../shared/errors';

export type Layer =
  | {
      kind: 'conv';
      name: string;
      channels: number;
      kernel: number;
      stride?: number;
      padding?: number;
      /** Followed by BatchNormalization (and then without a conv bias, as trained networks do). */
      batchNorm?: boolean;
      relu?: boolean;
    }
  | { kind: 'maxPool'; kernel: number; stride: number }
  /** ResNet basic block: conv-BN-ReLU, conv-BN, plus a 1×1 conv-BN shortcut when the shape changes; add; ReLU. */
  | { kind: 'residual'; name: string; channels: number; stride: number }
  | { kind: 'globalAveragePool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; name: string; units: number; relu?: boolean };

/** What flows between layers, per batch item. */
export type Activation =
  | { kind: 'image'; channels: number; height: number; width: number }
  /** `spatial`: positions per channel when the vector is a flattened feature map (channel-major). */
  | { kind: 'vector'; features: number; spatial?: number };

/** Weight values stored (float initializer elements) and multiply-accumulates of Conv and Gemm, per batch item. */
export interface Cost {
  params: number;
  macs: number;
}

export const BN_EPSILON = 1e-5;

export interface ConvShape {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
  batchNorm: boolean;
}

export function convOutput(input: Activation, conv: ConvShape): { output: Activation; cost: Cost } {
  const image = expectImage(input, 'conv');
  const height = Math.floor((image.height + 2 * conv.padding - conv.kernel) / conv.stride) + 1;
  const width = Math.floor((image.width + 2 * conv.padding - conv.kernel) / conv.stride) + 1;
  const weights = conv.outChannels * conv.inChannels * conv.kernel * conv.kernel;
  // BatchNormalization stores scale, bias, mean and variance per channel; a plain conv has a bias.
  const extra = conv.batchNorm ? 4 * conv.outChannels : conv.outChannels;
  return {
    output: { kind: 'image', channels: conv.outChannels, height, width },
    cost: { params: weights + extra, macs: height * width * weights },
  };
}

export type ConvLayer = Extract<Layer, { kind: 'conv' }>;
export type ResidualLayer = Extract<Layer, { kind: 'residual' }>;
export type DenseLayer = Extract<Layer, { kind: 'dense' }>;

export function convShape(layer: ConvLayer, input: Activation): ConvShape {
  return {
    inChannels: expectImage(input, 'conv').channels,
    outChannels: layer.channels,
    kernel: layer.kernel,
    stride: layer.stride ?? 1,
    padding: layer.padding ?? 0,
    batchNorm: layer.batchNorm ?? false,
  };
}

/** The convolutions of a residual block, by the parameter-name suffix each one gets. */
export interface ResidualShapes {
  conv1: ConvShape;
  conv2: ConvShape;
  /** Present when the block changes the channel count or resolution, so the skip path must too. */
  downsample?: ConvShape;
}

export function residualShapes(layer: ResidualLayer, input: Activation): ResidualShapes {
  const inChannels = expectImage(input, 'residual').channels;
  const { channels, stride } = layer;
  const shapes: ResidualShapes = {
    conv1: { inChannels, outChannels: channels, kernel: 3, stride, padding: 1, batchNorm: true },
    conv2: { inChannels: channels, outChannels: channels, kernel: 3, stride: 1, padding: 1, batchNorm: true },
  };
  if (stride !== 1 || inChannels !== channels) {
    shapes.downsample = { inChannels, outChannels: channels, kernel: 1, stride, padding: 0, batchNorm: true };
  }
  return shapes;
}

export function denseInputFeatures(layer: DenseLayer, input: Activation): Extract<Activation, { kind: 'vector' }> {
  if (input.kind !== 'vector') throw internal(`dense layer ${layer.name} needs a flattened input`);
  return input;
}

/** The shape after `layer` and what the layer costs. */
export function step(layer: Layer, input: Activation): { output: Activation; cost: Cost } {
  switch (layer.kind) {
    case 'conv':
      return convOutput(input, convShape(layer, input));
    case 'residual': {
      const shapes = residualShapes(layer, input);
      const a = convOutput(input, shapes.conv1);
      const b = convOutput(a.output, shapes.conv2);
      const s = shapes.downsample ? convOutput(input, shapes.downsample).cost : { params: 0, macs: 0 };
      return { output: b.output, cost: add(add(a.cost, b.cost), s) };
    }
    case 'maxPool': {
      const image = expectImage(input, 'maxPool');
      const height = Math.floor((image.height - layer.kernel) / layer.stride) + 1;
      const width = Math.floor((image.width - layer.kernel) / layer.stride) + 1;
      return { output: { ...image, height, width }, cost: { params: 0, macs: 0 } };
    }
    case 'globalAveragePool':
      return { output: { ...expectImage(input, 'globalAveragePool'), height: 1, width: 1 }, cost: { params: 0, macs: 0 } };
    case 'flatten': {
      const image = expectImage(input, 'flatten');
      const spatial = image.height * image.width;
      return { output: { kind: 'vector', features: image.channels * spatial, spatial }, cost: { params: 0, macs: 0 } };
    }
    case 'dense': {
      const { features } = denseInputFeatures(layer, input);
      return {
        output: { kind: 'vector', features: layer.units },
        cost: { params: features * layer.units + layer.units, macs: features * layer.units },
      };
    }
  }
}

/** Shapes and cost of a whole network, without building it. */
export function networkCost(layers: readonly Layer[], input: Activation): { output: Activation; cost: Cost } {
  let current = input;
  let total: Cost = { params: 0, macs: 0 };
  for (const layer of layers) {
    const { output, cost } = step(layer, current);
    current = output;
    total = add(total, cost);
  }
  return { output: current, cost: total };
}

export function expectImage(a: Activation, layer: string): Extract<Activation, { kind: 'image' }> {
  if (a.kind !== 'image') throw internal(`${layer} layer needs an image-shaped input`);
  return a;
}

function add(a: Cost, b: Cost): Cost {
  return { params: a.params + b.params, macs: a.macs + b.macs };
}

export function internal(message: string): InferscopeError {
  return new InferscopeError('INTERNAL', `sample network: ${message}`);
}
