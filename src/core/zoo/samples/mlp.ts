import { feedForwardSample } from './common';

export const mlp = feedForwardSample({
  name: 'mlp',
  title: 'MLP',
  description:
    'A three-layer perceptron (256 → 512 → 256 → 10 with ReLU) over feature vectors, like a tabular classifier. Pure Gemm: ' +
    'shows what matrix multiply alone costs.',
  task: 'tabular-classification',
  version: 1,
  seed: 0x6d6c70,
  inputs: [{ name: 'features', type: 'float32', shape: ['batch', 256], description: '256 features per row' }],
  outputs: [{ name: 'logits', type: 'float32', shape: ['batch', 10], description: 'scores for 10 classes' }],
  referenceDims: { batch: 1 },
  perItem: { kind: 'vector', features: 256 },
  layers: [
    { kind: 'dense', name: 'fc1', units: 512, relu: true },
    { kind: 'dense', name: 'fc2', units: 256, relu: true },
    { kind: 'dense', name: 'fc3', units: 10 },
  ],
});
