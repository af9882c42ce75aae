import { feedForwardSample } from './common';

export const vggSmall = feedForwardSample({
  name: 'vgg-small',
  title: 'VGG small',
  description:
    'A VGG-style network on 128×128 RGB images: six 3×3 convolutions of 32–128 channels with max-pooling, then a 8192 → 256 → ' +
    '10 classifier. About 0.4 G multiply-accumulates per image: heavy enough that CPU and GPU timings differ meaningfully.',
  task: 'image-classification',
  version: 1,
  seed: 0x76676773,
  inputs: [{ name: 'input', type: 'float32', shape: ['batch', 3, 128, 128], description: 'RGB 128×128 images' }],
  outputs: [{ name: 'logits', type: 'float32', shape: ['batch', 10], description: 'scores for 10 classes' }],
  referenceDims: { batch: 1 },
  perItem: { kind: 'image', channels: 3, height: 128, width: 128 },
  layers: [
    { kind: 'conv', name: 'features.0', channels: 32, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'conv', name: 'features.1', channels: 64, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'conv', name: 'features.2', channels: 128, kernel: 3, padding: 1, relu: true },
    { kind: 'conv', name: 'features.3', channels: 128, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'conv', name: 'features.4', channels: 128, kernel: 3, padding: 1, relu: true },
    { kind: 'conv', name: 'features.5', channels: 128, kernel: 3, padding: 1, relu: true },
    { kind: 'maxPool', kernel: 2, stride: 2 },
    { kind: 'flatten' },
    { kind: 'dense', name: 'classifier.0', units: 256, relu: true },
    { kind: 'dense', name: 'classifier.1', units: 10 },
  ],
});
