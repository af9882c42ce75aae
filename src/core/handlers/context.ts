/**
 * What the handlers of every area share: the data folder's stores, the two workers, the runner,
 * the hardware profile and how a model source becomes a file. Built once by createServices.
 */
import path from 'node:path';
import type { CoreHandlers, CoreCommandName } from '../../shared/contract';
import type { HostKind, ModelSource } from '../../shared/domain/app';
import type { WorkerSupervisor } from '../worker-host/supervisor';
import type { BenchRunner } from '../bench/runner';
import type { DataLayout } from '../store/paths';
import type { RecentStore } from '../store/recent';
import type { ProfileStore } from '../store/profiles';
import { sha256File } from '../store/files';
import { statModelFile } from '../onnx/read';
import type { InputProfile } from '../../shared/domain/profile';
import type { RunStore } from '../store/runs';
import type { UploadStore } from '../store/uploads';
import type { VariantStore } from '../quantize/variants';
import { ensureSample, getSampleInfo } from '../zoo';
import { refuseUnconverted } from '../convert/refuse';
import { convertedOrigin } from '../convert/store';
import type { ConvertedFrom } from '../../shared/domain/convert';
import type { HardwareCache } from './hardware';

export interface AppIdentity {
  host: HostKind;
  version: string;
  userDataDir: string;
  versions: { node: string; onnxruntime: string; electron: string | null; chromium: string | null };
}

export interface CoreContext {
  app: AppIdentity;
  layout: DataLayout;
  recent: RecentStore;
  profiles: ProfileStore;
  runs: RunStore;
  variants: VariantStore;
  uploads: UploadStore;
  runner: BenchRunner;
  hardware: HardwareCache;
  /** The worker quantization jobs run in (apart from the one that measures). */
  quantizeSupervisor: WorkerSupervisor;
  /** Quantization jobs running now, by job id, to cancel them. */
  quantizeJobs: Map<string, AbortController>;
}

/** The handlers of one area: exactly the commands it names, each typed by the contract. */
export type AreaHandlers<C extends CoreCommandName> = Pick<CoreHandlers, C>;

export interface ResolvedModel {
  path: string;
  /** Set when the model is one of the generated samples. */
  sample: string | null;
}

/**
 * A sample is generated on first use; a path is taken as given (made absolute). A PyTorch or
 * TensorFlow file is refused with MODEL_NEEDS_CONVERSION (what it is, and to convert it first).
 */
export async function resolveModel(layout: DataLayout, source: ModelSource): Promise<ResolvedModel> {
  if (source.kind === 'sample') return { path: await ensureSample(source.name, layout.samples), sample: source.name };
  const file = path.resolve(source.path);
  await refuseUnconverted(file);
  return { path: file, sample: null };
}

/** The PyTorch / TensorFlow file a model in the data folder's converted/ was made from; null for any other model. */
export function originOf(layout: DataLayout, file: string): Promise<ConvertedFrom | null> {
  return convertedOrigin(layout.converted, file);
}

/**
 * The model file's sha256 and its input profile: the one saved under it, else for a sample the sizes
 * the sample states (its reference dims, e.g. sequence 128), else null.
 */
export async function profileOf(
  ctx: Pick<CoreContext, 'profiles'>,
  file: string,
  sample: string | null = null,
): Promise<{ sha256: string; profile: InputProfile | null }> {
  // A coded refusal (missing, a folder, a device such as /dev/zero) before hashing reads a byte.
  await statModelFile(file);
  const sha256 = await sha256File(file);
  const saved = await ctx.profiles.get(sha256);
  if (saved || !sample) return { sha256, profile: saved };
  // The batch is the plan's to choose, not the profile's.
  const dims = Object.fromEntries(Object.entries(getSampleInfo(sample).referenceDims).filter(([name]) => name !== 'batch'));
  return { sha256, profile: Object.keys(dims).length > 0 ? { dims, values: {}, savedAt: null, origin: 'sample' } : null };
}
