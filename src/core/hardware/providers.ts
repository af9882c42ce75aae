import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Gpu, ProviderAssessment, ProviderProbeResult, ProviderStatus } from '../../shared/domain/hardware';
import type { WebgpuAssessment } from './webgpu';

/** The documented way to add the CUDA and TensorRT EP libraries that onnxruntime-node does not bundle. */
export const INSTALL_GPU_PROVIDERS_COMMAND = 'npx inferscope install-gpu-providers';

export interface OrtBackend {
  name: string;
  bundled: boolean;
}

import { providerDisplayName } from '../../shared/domain/providers';

export { providerDisplayName };

/** The EPs this onnxruntime-node build knows, loaded lazily so importing this module loads no native code. */
export async function listOrtBackends(): Promise<OrtBackend[]> {
  const ort = (await import('onnxruntime-node')) as unknown as {
    listSupportedBackends?: () => OrtBackend[];
    default?: { listSupportedBackends?: () => OrtBackend[] };
  };
  const list = ort.listSupportedBackends ?? ort.default?.listSupportedBackends;
  if (!list) throw new Error('onnxruntime-node does not export listSupportedBackends()');
  return list().map((backend) => ({ name: String(backend.name), bundled: Boolean(backend.bundled) }));
}

/** Where onnxruntime-node keeps its native libraries (and where its installer puts EP libraries). */
export function ortBinFolder(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** File name of an EP's shared library as onnxruntime ships it on this OS. */
export function providerLibraryFile(provider: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `onnxruntime_providers_${provider}.dll`;
  if (platform === 'darwin') return `libonnxruntime_providers_${provider}.dylib`;
  return `libonnxruntime_providers_${provider}.so`;
}

/** Libraries that must sit next to onnxruntime_binding.node for an unbundled EP to load. */
function requiredLibraries(provider: string, platform: NodeJS.Platform): string[] {
  return [providerLibraryFile(provider, platform), providerLibraryFile('shared', platform)];
}

export interface AssessProvidersInput {
  backends: readonly OrtBackend[];
  gpus: readonly Gpu[];
  /** onnxruntime-node's bin folder; null when it cannot be found. */
  binFolder: string | null;
  webgpu: WebgpuAssessment;
}

function assessNvidia(
  name: string,
  input: AssessProvidersInput,
  missing: string[],
): Omit<ProviderAssessment, 'name' | 'displayName' | 'bundled'> {
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  if (missing.length > 0) {
    const where = input.binFolder ?? "onnxruntime-node's bin folder";
    return {
      status: 'not-installed',
      detail: `${missing.join(', ')} not found in ${where}; onnxruntime-node does not bundle the ${providerDisplayName(name)} EP`,
      ...(linuxX64 ? { installHint: INSTALL_GPU_PROVIDERS_COMMAND } : {}),
    };
  }
  const withDriver = input.gpus.filter((gpu) => gpu.vendor === 'nvidia' && gpu.source === 'nvidia-smi');
  if (withDriver.length === 0) {
    const onBus = input.gpus.filter((gpu) => gpu.vendor === 'nvidia');
    return {
      status: 'no-device',
      detail:
        onBus.length > 0
          ? `EP libraries installed, but ${onBus.map((gpu) => gpu.name).join(', ')} has no working NVIDIA driver (nvidia-smi ` +
            `did not answer)`
          : 'EP libraries installed, but no NVIDIA GPU was detected',
    };
  }
  const first = withDriver[0];
  const cuda = first?.cudaVersion ?? null;
  const needs =
    name === 'tensorrt'
      ? 'needs CUDA 12, cuDNN 9 and TensorRT 10 libraries on the library path'
      : 'needs CUDA 12 and cuDNN 9 libraries on the library path';
  const oldDriver =
    cuda !== null && Number.parseInt(cuda, 10) < 12 ? `; the driver supports only CUDA ${cuda}, so it will likely fail` : '';
  return {
    status: 'candidate',
    detail:
      `${withDriver.length} NVIDIA GPU(s) (${first?.name ?? 'NVIDIA'}, driver ${first?.driver ?? 'unknown'}, CUDA ` +
      `${cuda ?? 'unknown'}); ${needs}${oldDriver}`,
    adapter: first?.name ?? 'NVIDIA GPU',
  };
}

function assessOne(backend: OrtBackend, input: AssessProvidersInput): ProviderAssessment {
  const platform = process.platform;
  const base = { name: backend.name, displayName: providerDisplayName(backend.name), bundled: backend.bundled };
  const binFolder = input.binFolder;
  const missing = backend.bundled
    ? []
    : requiredLibraries(backend.name, platform).filter((file) => binFolder === null || !existsSync(path.join(binFolder, file)));

  switch (backend.name) {
    case 'cpu':
      return { ...base, status: 'candidate', detail: 'Bundled with onnxruntime-node; runs on every machine' };
    case 'webgpu': {
      const { environment, available, adapter } = input.webgpu;
      if (!available) return { ...base, status: 'no-device', detail: environment.note };
      return {
        ...base,
        status: 'candidate',
        detail: environment.note,
        software: environment.software,
        ...(adapter ? { adapter } : {}),
      };
    }
    case 'cuda':
    case 'tensorrt':
      return { ...base, ...assessNvidia(backend.name, input, missing) };
    case 'dml': {
      const gpus = input.gpus.filter((gpu) => gpu.vendor !== 'other');
      if (gpus.length === 0) {
        return { ...base, status: 'candidate', software: true, detail: 'No GPU detected; DirectML would run on the software WARP adapter' };
      }
      return {
        ...base,
        status: 'candidate',
        detail: `Direct3D 12 on ${gpus.map((gpu) => gpu.name).join(', ')}`,
        adapter: gpus[0]?.name ?? 'GPU',
      };
    }
    case 'coreml':
      return { ...base, status: 'candidate', detail: 'Core ML places each node on the CPU, GPU or Neural Engine itself' };
    default:
      if (missing.length > 0) {
        return {
          ...base,
          status: 'not-installed',
          detail: `${missing.join(', ')} not found in ${input.binFolder ?? "onnxruntime-node's bin folder"}`,
        };
      }
      return { ...base, status: 'candidate', detail: backend.bundled ? 'Bundled with onnxruntime-node' : 'EP libraries installed' };
  }
}

/**
 * A static look at each EP before anything runs: libraries missing ('not-installed'), nothing to
 * run on ('no-device'), or worth a probe session in the worker ('candidate').
 */
export function assessProviders(input: AssessProvidersInput): ProviderAssessment[] {
  return input.backends.map((backend) => assessOne(backend, input));
}

function settled(assessment: ProviderAssessment, status: ProviderStatus['status'], detail: string, probeMs: number | null): ProviderStatus {
  const result: ProviderStatus = { name: assessment.name, displayName: assessment.displayName, status, detail, probeMs };
  if (assessment.installHint !== undefined) result.installHint = assessment.installHint;
  if (assessment.software !== undefined) result.software = assessment.software;
  if (assessment.adapter !== undefined) result.adapter = assessment.adapter;
  return result;
}

/** Statuses that are final without a probe: EPs that are not installed or have no device. */
export function staticProviderStatuses(assessments: readonly ProviderAssessment[]): ProviderStatus[] {
  return assessments
    .filter((assessment) => assessment.status !== 'candidate')
    .map((assessment) => settled(assessment, assessment.status as ProviderStatus['status'], assessment.detail, null));
}

/** Final statuses: candidates become 'ready' or 'failed' by their probe; the rest stay as assessed. */
export function mergeProviderProbes(assessments: readonly ProviderAssessment[], probes: readonly ProviderProbeResult[]): ProviderStatus[] {
  return assessments.map((assessment) => {
    if (assessment.status !== 'candidate') return settled(assessment, assessment.status, assessment.detail, null);
    const probe = probes.find((candidate) => candidate.name === assessment.name);
    if (!probe) return settled(assessment, 'failed', `Not probed: ${assessment.detail}`, null);
    const status = settled(assessment, probe.ok ? 'ready' : 'failed', probe.detail, probe.probeMs);
    // What the probe saw (the real adapter) beats what was guessed beforehand.
    if (probe.adapter !== undefined) status.adapter = probe.adapter;
    if (probe.software !== undefined) status.software = probe.software;
    if (probe.fp16 !== undefined) status.fp16 = probe.fp16;
    return status;
  });
}
