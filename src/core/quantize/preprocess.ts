/**
 * The equivalent of ORT's quant_pre_process: onnxruntime's 'basic' optimizations (constant
 * folding, BatchNormalization folded into Conv, redundant nodes removed) saved back as a
 * standard-domain model, so static quantization sees Conv → Relu rather than
 * Conv → BatchNormalization → Relu. 'extended'/'all' would emit contrib fused ops: never here.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelProto } from '../onnx/codec';
import { decodeModel } from '../onnx/read';
import type { ExternalDataReader } from '../onnx/tensor';
import { createSession } from './session';
import { sessionBytes } from './tensors';

export async function preprocess(model: ModelProto, external?: ExternalDataReader): Promise<ModelProto> {
  const dir = await mkdtemp(join(tmpdir(), 'inferscope-preprocess-'));
  try {
    const path = join(dir, 'basic.onnx');
    const session = await createSession(sessionBytes(model, external), 'the model for pre-processing', {
      optimization: 'basic',
      sessionOptions: {
        optimizedModelFilePath: path,
        // Constant sharing would merge equal initializers (e.g. two biases) into one shared tensor.
        extra: { optimization: { disable_specified_optimizers: 'ConstantSharing' } },
      },
    });
    await session.release();
    return decodeModel(await readFile(path), 'The pre-processed model');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
