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
import type { RunStore } from '../store/runs';
import type { UploadStore } from '../store/uploads';
import type { VariantStore } from '../quantize/variants';
import { ensureSample } from '../zoo';
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

/** A sample is generated on first use; a path is taken as given (made absolute). */
export async function resolveModel(layout: DataLayout, source: ModelSource): Promise<ResolvedModel> {
  if (source.kind === 'sample') return { path: await ensureSample(source.name, layout.samples), sample: source.name };
  return { path: path.resolve(source.path), sample: null };
}
