/**
 * The equivalent of ORT's quant_pre_process: onnxruntime's 'basic' optimizations (constant
 * folding, BatchNormalization folded into Conv, redundant nodes removed) saved back as a
 * standard-domain model, so static quantization sees Conv → Relu rather than
 * Conv → BatchNormalization → Relu. 'extended'/'all' would emit contrib fused ops: never here.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ModelProto } from '../onnx/codec';
import { decodeModel, readModel } from '../onnx/read';
import type { ExternalDataReader } from '../onnx/tensor';
import type { Scratch } from './scratch';

export interface Preprocessed {
  model: ModelProto;
  /** Where its external tensors are read (a large model's weights stay in the scratch folder), or undefined when all are inline. */
  external: ExternalDataReader | undefined;
}

/**
 * `model` after onnxruntime's basic optimizations. A model too large for one protobuf message
 * is optimized from a file and saved with its weights in an external data file of `scratch`,
 * which must outlive the result.
 */
export async function preprocess(model: ModelProto, external: ExternalDataReader | undefined, scratch: Scratch): Promise<Preprocessed> {
  const path = await scratch.file('basic.onnx');
  const large = scratch.needsFiles(model);
  const session = await scratch.session(model, external, 'the model for pre-processing', {
    optimization: 'basic',
    sessionOptions: {
      optimizedModelFilePath: path,
      extra: {
        // Constant sharing would merge equal initializers (e.g. two biases) into one shared tensor.
        optimization: { disable_specified_optimizers: 'ConstantSharing' },
        ...(large
          ? {
              session: {
                optimized_model_external_initializers_file_name: `${basename(path)}.data`,
                optimized_model_external_initializers_min_size_in_bytes: '1024',
              },
            }
          : {}),
      },
    },
  });
  await session.release();
  if (!large) return { model: decodeModel(await readFile(path), 'The pre-processed model'), external: undefined };
  const loaded = await readModel(path);
  return { model: loaded.model, external: scratch.adopt(loaded.external) };
}
