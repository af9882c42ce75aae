import { feedForwardSample } from './common';

export const resnetMini = feedForwardSample({
  name: 'resnet-mini',
  title: 'ResNet mini',
  description:
    'A small residual network on 64×64 RGB images: conv + batch-norm stem, three residual blocks (16, 32, 64 channels), global ' +
    'average pooling, 10 classes. Batch normalization and skip connections, as in real ResNets.',
  task: 'image-classification',
  version: 1,
  seed: 0x7265736e,
  inputs: [{ name: 'input', type: 'float32', shape: ['batch', 3, 64, 64], description: 'RGB 64×64 images' }],
  outputs: [{ name: 'logits', type: 'float32', shape: ['batch', 10], description: 'scores for 10 classes' }],
  referenceDims: { batch: 1 },
  perItem: { kind: 'image', channels: 3, height: 64, width: 64 },
  // Global average pooling leaves features that barely change with the input: center the head.
  calibrationSamples: 8,
  layers: [
    { kind: 'conv', name: 'stem', channels: 16, kernel: 3, padding: 1, batchNorm: true, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'residual', name: 'layer1', channels: 16, stride: 1 },
    { kind: 'residual', name: 'layer2', channels: 32, stride: 2 },
    { kind: 'residual', name: 'layer3', channels: 64, stride: 2 },
    { kind: 'globalAveragePool' },
    { kind: 'flatten' },
    { kind: 'dense', name: 'fc', units: 10 },
  ],
});
