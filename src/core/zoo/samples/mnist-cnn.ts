import { feedForwardSample } from './common';

export const mnistCnn = feedForwardSample({
  name: 'mnist-cnn',
  title: 'MNIST CNN',
  description:
    'A small convolutional digit classifier (two 3×3 conv + ReLU + max-pool stages, one dense layer) on 28×28 grayscale images. ' +
    'Tiny and fast on any machine.',
  task: 'image-classification',
  version: 1,
  seed: 0x6d6e6973,
  inputs: [{ name: 'input', type: 'float32', shape: ['batch', 1, 28, 28], description: 'grayscale 28×28 images' }],
  outputs: [{ name: 'logits', type: 'float32', shape: ['batch', 10], description: 'scores for the digits 0–9' }],
  referenceDims: { batch: 1 },
  perItem: { kind: 'image', channels: 1, height: 28, width: 28 },
  layers: [
    { kind: 'conv', name: 'conv1', channels: 8, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'conv', name: 'conv2', channels: 16, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'flatten' },
    { kind: 'dense', name: 'fc', units: 10 },
  ],
});
