import { InferscopeError } from '../../../shared/errors';
import { buildModel, GraphBuilder } from '../../onnx/build';
import type { ModelProto } from '../../onnx/codec';
import { emitNetwork } from '../emit';
import { networkCost } from '../layers';
import { calibrateHead, initWeights } from '../weights';
import type { NetworkWeights } from '../weights';
import type { Activation, Layer } from '../layers';
import { createRng } from '../rng';
import type { Rng } from '../rng';
import type { SampleDefinition, SampleTensor } from '../types';
import { SAMPLE_METADATA_KEY } from '../synthetic';

export const SAMPLE_OPSET = 17;

type Description = Omit<SampleDefinition, 'cost' | 'build' | 'opset'>;

/** Wrap a graph into the sample's model: opset, metadata that marks it as ours, description. */
export function sampleModel(description: Description, define: (g: GraphBuilder, rng: Rng) => void): ModelProto {
  const g = new GraphBuilder(description.name, { docString: description.description });
  define(g, createRng(description.seed));
  return buildModel(g, {
    opset: SAMPLE_OPSET,
    docString: description.description,
    metadata: {
      [SAMPLE_METADATA_KEY]: description.name,
      [`${SAMPLE_METADATA_KEY}.version`]: String(description.version),
    },
  });
}

export function declareInput(g: GraphBuilder, tensor: SampleTensor): string {
  return g.input(tensor.name, tensor.type, tensor.shape);
}

export function declareOutput(g: GraphBuilder, tensor: SampleTensor): string {
  return g.output(tensor.name, tensor.type, tensor.shape);
}

/** A feed-forward network with its weights: what the model file contains, in plain arrays. */
export interface FeedForwardNetwork {
  layers: readonly Layer[];
  perItem: Activation;
  weights: NetworkWeights;
}

export interface FeedForwardSampleDefinition extends SampleDefinition {
  /** The layers and exact weights the model is built from (tests run them through `forward`). */
  network(): FeedForwardNetwork;
}

/** A sample that is one feed-forward network (CNN or MLP) from one input to one output. */
export function feedForwardSample(
  description: Description & {
    layers: readonly Layer[];
    perItem: Activation;
    /** Seeded inputs to center the classifier head on (see calibrateHead); 0 or absent: none. */
    calibrationSamples?: number;
  },
): FeedForwardSampleDefinition {
  const { layers, perItem, calibrationSamples = 0, ...rest } = description;
  const [input] = rest.inputs;
  const [output] = rest.outputs;
  if (!input || !output || rest.inputs.length !== 1 || rest.outputs.length !== 1) {
    throw new InferscopeError('INTERNAL', `${rest.name}: a feed-forward sample has exactly one input and one output`);
  }
  const batch = rest.referenceDims.batch ?? 1;
  const network = (): FeedForwardNetwork => {
    const rng = createRng(rest.seed);
    const weights = initWeights(layers, perItem, rng);
    if (calibrationSamples > 0) calibrateHead(layers, perItem, weights, rng, calibrationSamples);
    return { layers, perItem, weights };
  };
  return {
    ...rest,
    opset: SAMPLE_OPSET,
    cost() {
      const { cost } = networkCost(layers, perItem);
      return { params: cost.params, macs: cost.macs * batch };
    },
    network,
    build() {
      const { weights } = network();
      return sampleModel(rest, (g) => {
        const x = declareInput(g, input);
        emitNetwork(g, x, layers, perItem, weights, output.name);
        declareOutput(g, output);
      });
    },
  };
}
