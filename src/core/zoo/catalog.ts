import { InferscopeError } from '../../shared/errors';
import { encodeModelProto } from '../onnx/codec';
import type { ModelProto } from '../onnx/codec';
import { mlp } from './samples/mlp';
import { mnistCnn } from './samples/mnist-cnn';
import { resnetMini } from './samples/resnet-mini';
import { transformerEncoder } from './samples/transformer-encoder';
import { vggSmall } from './samples/vgg-small';
import type { SampleDefinition, SampleInfo } from './types';

/** Smallest to largest, the order the app lists them in. */
const SAMPLES: readonly SampleDefinition[] = [mnistCnn, mlp, resnetMini, transformerEncoder, vggSmall];

export function sampleFileName(definition: Pick<SampleDefinition, 'name' | 'version'>): string {
  return `${definition.name}-v${definition.version}.onnx`;
}

function describe(definition: SampleDefinition): SampleInfo {
  const { params, macs } = definition.cost();
  return {
    name: definition.name,
    title: definition.title,
    description: definition.description,
    task: definition.task,
    version: definition.version,
    fileName: sampleFileName(definition),
    opset: definition.opset,
    inputs: definition.inputs.map((t) => ({ ...t, shape: [...t.shape] })),
    outputs: definition.outputs.map((t) => ({ ...t, shape: [...t.shape] })),
    referenceDims: { ...definition.referenceDims },
    approxParams: params,
    approxMacs: macs,
    approxFileBytes: params * 4,
  };
}

export function listSamples(): SampleInfo[] {
  return SAMPLES.map(describe);
}

export function getSampleDefinition(name: string): SampleDefinition {
  const definition = SAMPLES.find((s) => s.name === name);
  if (!definition) {
    throw new InferscopeError('SAMPLE_UNKNOWN', `There is no sample model called "${name}".`, {
      detail: `known samples: ${SAMPLES.map((s) => s.name).join(', ')}`,
    });
  }
  return definition;
}

export function getSampleInfo(name: string): SampleInfo {
  return describe(getSampleDefinition(name));
}

/** The sample as an in-memory model (for tests and transformations that start from a ModelProto). */
export function buildSampleModel(name: string): ModelProto {
  return getSampleDefinition(name).build();
}

/** The sample's file contents; identical bytes on every call for the same version. */
export function buildSampleBytes(name: string): Uint8Array {
  return encodeModelProto(buildSampleModel(name));
}
