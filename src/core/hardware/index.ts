import type {
  CpuInfo,
  Gpu,
  HardwareProfile,
  MemoryInfo,
  OsInfo,
  ProviderAssessment,
  ProviderProbeResult,
  ProviderStatus,
  WebgpuEnvironment,
} from '../../shared/domain/hardware';
import { detectCpu } from './cpu';
import { SLOW_TOOL_TIMEOUT_MS, TOOL_TIMEOUT_MS } from './exec';
import { detectGpus } from './gpu';
import { detectMemory } from './memory';
import { detectOs } from './os';
import { assessProviders, listOrtBackends, mergeProviderProbes, type OrtBackend, ortBinFolder, staticProviderStatuses } from './providers';
import { assessWebgpu } from './webgpu';

export { queryNvidiaUsage } from './gpu/nvidia';
export {
  assessProviders,
  INSTALL_GPU_PROVIDERS_COMMAND,
  listOrtBackends,
  mergeProviderProbes,
  type OrtBackend,
  ortBinFolder,
  providerDisplayName,
  staticProviderStatuses,
} from './providers';
export { SWIFTSHADER_ICD, webgpuEnvironment } from './webgpu';

export interface DetectHardwareOptions {
  /** Limit for each external tool; defaults to 1.5 s (2.5 s for nvidia-smi and system_profiler). */
  toolTimeoutMs?: number;
  /** EPs as reported elsewhere (e.g. by the worker), so this process need not load onnxruntime-node. */
  backends?: readonly OrtBackend[];
  /**
   * Runs a tiny session on each candidate EP (in the worker) and reports back; without it,
   * `providers` holds only the EPs ruled out statically.
   */
  probeProviders?: (candidates: ProviderAssessment[], webgpu: WebgpuEnvironment) => Promise<ProviderProbeResult[]>;
}

async function part<T>(what: string, notes: string[], work: () => Promise<T>, fallback: () => T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    notes.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return fallback();
  }
}

const UNKNOWN_CPU: CpuInfo = {
  brand: 'unknown CPU',
  vendor: 'unknown',
  arch: process.arch,
  physicalCores: 0,
  logicalCores: 0,
  baseGhz: null,
  maxGhz: null,
  caches: { l1d: null, l1i: null, l2: null, l3: null },
  flags: [],
  inferenceFlags: [],
  peakGflopsFp32: null,
  peakGflopsFormula: 'CPU could not be detected',
};

/**
 * Describes this machine for the "do I need a GPU?" question. Never throws and never waits on a
 * hung tool: whatever cannot be found is left empty and explained in `notes`.
 */
export async function detectHardware(options: DetectHardwareOptions = {}): Promise<HardwareProfile> {
  const started = performance.now();
  const detectedAt = new Date().toISOString();
  const notes: string[] = [];
  const timeoutMs = options.toolTimeoutMs ?? TOOL_TIMEOUT_MS;
  const slowTimeoutMs = options.toolTimeoutMs ?? SLOW_TOOL_TIMEOUT_MS;

  const [cpu, memory, os, gpus] = await Promise.all([
    part<CpuInfo>(
      'CPU',
      notes,
      () => detectCpu(notes, timeoutMs),
      () => UNKNOWN_CPU,
    ),
    part<MemoryInfo>(
      'Memory',
      notes,
      () => detectMemory(notes, timeoutMs),
      () => ({ totalBytes: 0, availableBytes: 0 }),
    ),
    part<OsInfo>(
      'OS',
      notes,
      () => detectOs(notes, timeoutMs),
      () => ({
        platform: process.platform,
        distro: '',
        release: '',
        arch: process.arch,
        kernel: '',
        hostname: '',
      }),
    ),
    part<Gpu[]>(
      'GPU',
      notes,
      () => detectGpus({ timeoutMs, slowTimeoutMs, notes }),
      () => [],
    ),
  ]);

  const webgpu = assessWebgpu({ gpuVendors: gpus.map((gpu) => gpu.vendor) });
  const backends = await part<readonly OrtBackend[]>(
    'Execution providers',
    notes,
    async () => options.backends ?? (await listOrtBackends()),
    () => [{ name: 'cpu', bundled: true }],
  );
  const providerAssessments = assessProviders({ backends, gpus, binFolder: ortBinFolder(), webgpu });

  let providers: ProviderStatus[] = staticProviderStatuses(providerAssessments);
  const probe = options.probeProviders;
  if (probe) {
    const candidates = providerAssessments.filter((assessment) => assessment.status === 'candidate');
    const probes = await part<ProviderProbeResult[]>(
      'Provider probes',
      notes,
      () => probe(candidates, webgpu.environment),
      () => [],
    );
    providers = mergeProviderProbes(providerAssessments, probes);
  }

  return {
    cpu,
    memory,
    os,
    gpus,
    providerAssessments,
    providers,
    webgpu: webgpu.environment,
    notes,
    detectedAt,
    durationMs: Math.round(performance.now() - started),
  };
}
