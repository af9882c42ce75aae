/**
 * Sessions the quantizer runs on models it holds in memory (pre-processing, calibration). A
 * small model loads from bytes. A larger one goes through a scratch folder: written there with
 * its large weights in an external data file (streamed, never encoded whole) and loaded by
 * path; pre-processing leaves its result's weights there too, read one at a time when
 * quantized. That is the only way past protobuf's 2 GiB, and it halves the peak memory of
 * static int8 on a 100 MB model (6.0× → 3.3× the model, `npm run bench:quantize`). The folder
 * goes when the transformation is done.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { ModelProto, TensorProto } from '../onnx/codec';
import { encodeModel, writeModel } from '../onnx/write';
import { ioError } from '../store/atomic';
import { externalDataRef, tensorByteSize, type ExternalDataReader } from '../onnx/tensor';
import { allGraphs } from './graph';
import { createSession, type OptimizationLevel } from './session';
import { sessionBytes } from './tensors';

/** Models whose tensors add up to more than this load through files: below it, bytes in memory are quicker and small. */
export const SCRATCH_ABOVE_BYTES = 16 * 1024 * 1024;
/** Initializers of at least this many bytes go to a scratch model's external data file. */
const EXTERNAL_TENSOR_BYTES = 1024;

/** Bytes the model's tensors take, inline or in external data. */
export function tensorBytes(model: ModelProto): number {
  let total = 0;
  for (const { graph } of allGraphs(model)) {
    for (const tensor of graph.initializer ?? []) total += storedBytes(tensor);
  }
  return total;
}

function storedBytes(tensor: TensorProto): number {
  const ref = externalDataRef(tensor);
  if (ref) return ref.length ?? tensorByteSize(tensor) ?? 0;
  return tensor.raw_data?.byteLength ?? tensorByteSize(tensor) ?? 0;
}

export interface ScratchSessionOptions {
  optimization?: OptimizationLevel;
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export class Scratch {
  private dir: string | null = null;
  private count = 0;
  /** Reads the external data of models onnxruntime wrote into the folder. */
  private local: ExternalDataReader | null = null;

  constructor(
    /** Models with more tensor bytes than this go through files (lower only to test that path). */
    private readonly aboveBytes = SCRATCH_ABOVE_BYTES,
  ) {}

  /** Whether sessions of this model go through the folder. */
  needsFiles(model: ModelProto): boolean {
    return tensorBytes(model) > this.aboveBytes;
  }

  /** A fresh path in the folder. */
  async file(name: string): Promise<string> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'inferscope-quantize-')).catch((error: unknown) => {
      throw ioError(error, `a scratch folder in ${tmpdir()}`);
    });
    return join(this.dir, `${++this.count}-${name}`);
  }

  /** The reader of a model written into the folder (readModel's), so session() knows its tensors are here already. */
  adopt(reader: ExternalDataReader): ExternalDataReader {
    this.local = reader;
    return reader;
  }

  /**
   * A CPU session of `model`. Its external tensors are read through `external`; a large model
   * is written to the folder with its big weights in an external data file, except when they
   * already are in the folder's own files (then only the graph is written, beside them).
   */
  async session(
    model: ModelProto,
    external: ExternalDataReader | undefined,
    what: string,
    options: ScratchSessionOptions = {},
  ): Promise<ort.InferenceSession> {
    if (!this.needsFiles(model)) return createSession(sessionBytes(model, external), what, options);
    const file = await this.file('model.onnx');
    if (external !== undefined && external === this.local) {
      await writeFile(file, encodeModel(model)).catch((error: unknown) => {
        throw ioError(error, file);
      });
    } else {
      await writeModel(file, model, {
        externalDataThresholdBytes: EXTERNAL_TENSOR_BYTES,
        externalDataLocation: `${basename(file)}.data`,
        ...(external ? { externalDataSource: external } : {}),
      });
    }
    return createSession(file, what, options);
  }

  async dispose(): Promise<void> {
    const dir = this.dir;
    this.dir = null;
    this.local = null;
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
