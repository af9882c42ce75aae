import { z } from 'zod';

/** Bytes, or null when the OS does not say. */
const bytesOrNull = z.number().int().nonnegative().nullable();

export const CpuCachesSchema = z.object({
  /** Size of one cache instance in bytes (what one core sees; L3 is usually shared by many cores). */
  l1d: bytesOrNull,
  l1i: bytesOrNull,
  l2: bytesOrNull,
  l3: bytesOrNull,
});
export type CpuCaches = z.infer<typeof CpuCachesSchema>;

/** An instruction set that changes how fast (or whether) inference kernels run. */
export const InferenceFlagSchema = z.object({
  name: z.string(),
  present: z.boolean(),
  why: z.string(),
});
export type InferenceFlag = z.infer<typeof InferenceFlagSchema>;

export const CpuInfoSchema = z.object({
  brand: z.string(),
  vendor: z.string(),
  /** Node's name for the architecture: 'x64', 'arm64', … */
  arch: z.string(),
  physicalCores: z.number().int().nonnegative(),
  logicalCores: z.number().int().nonnegative(),
  baseGhz: z.number().positive().nullable(),
  maxGhz: z.number().positive().nullable(),
  caches: CpuCachesSchema,
  /** Every feature flag the OS reports, lower-case, in the OS's order. */
  flags: z.array(z.string()),
  inferenceFlags: z.array(InferenceFlagSchema),
  /** Theoretical fp32 peak (an estimate from core count, clock and ISA), null when the clock is unknown. */
  peakGflopsFp32: z.number().nonnegative().nullable(),
  /** How the peak was computed, e.g. "2 cores × 3.0 GHz × 32 FLOP/cycle (…) ≈ 192 GFLOP/s (estimate)". */
  peakGflopsFormula: z.string(),
});
export type CpuInfo = z.infer<typeof CpuInfoSchema>;

export const MemoryInfoSchema = z.object({
  totalBytes: z.number().int().nonnegative(),
  availableBytes: z.number().int().nonnegative(),
});
export type MemoryInfo = z.infer<typeof MemoryInfoSchema>;

export const OsInfoSchema = z.object({
  platform: z.string(),
  distro: z.string(),
  release: z.string(),
  arch: z.string(),
  kernel: z.string(),
  hostname: z.string(),
});
export type OsInfo = z.infer<typeof OsInfoSchema>;

export const GpuVendorSchema = z.enum(['nvidia', 'amd', 'intel', 'apple', 'other']);
export type GpuVendor = z.infer<typeof GpuVendorSchema>;

/** Which tool reported a GPU. Vendor tools (nvidia-smi, rocm-smi) mean a working driver. */
export const GpuSourceKindSchema = z.enum(['nvidia-smi', 'rocm-smi', 'systeminformation', 'lspci', 'sysfs', 'system_profiler']);
export type GpuSourceKind = z.infer<typeof GpuSourceKindSchema>;

/** One NVIDIA GPU at one moment, as nvidia-smi reports it; null where it says N/A or Not Supported. */
export const NvidiaGpuUsageSchema = z.object({
  index: z.number().int().nonnegative(),
  uuid: z.string().nullable(),
  memoryUsedBytes: bytesOrNull,
  memoryTotalBytes: bytesOrNull,
  utilizationPercent: z.number().nonnegative().nullable(),
  powerDrawWatts: z.number().nonnegative().nullable(),
  powerLimitWatts: z.number().nonnegative().nullable(),
  temperatureC: z.number().nullable(),
});
export type NvidiaGpuUsage = z.infer<typeof NvidiaGpuUsageSchema>;

export const GpuSchema = z.object({
  vendor: GpuVendorSchema,
  name: z.string(),
  vramBytes: bytesOrNull,
  /** Driver version (nvidia-smi) or kernel driver name (PCI scan); null when no driver is bound. */
  driver: z.string().nullable(),
  /** Highest CUDA version the NVIDIA driver supports (nvidia-smi header). */
  cudaVersion: z.string().nullable(),
  computeCapability: z.string().nullable(),
  source: GpuSourceKindSchema,
  uuid: z.string().optional(),
  /** PCI address as domain:bus:device.function, lower-case, e.g. "0000:18:00.0". */
  busId: z.string().optional(),
  /** Load at detection time (NVIDIA only): a busy GPU makes benchmarks noisy. */
  usage: NvidiaGpuUsageSchema.optional(),
});
export type Gpu = z.infer<typeof GpuSchema>;

export const ProviderPreStatusSchema = z.enum(['not-installed', 'no-device', 'candidate']);
export type ProviderPreStatus = z.infer<typeof ProviderPreStatusSchema>;

/**
 * What can be said about an execution provider before trying it: its libraries are
 * missing, there is no device for it, or it is worth a probe session ('candidate').
 */
export const ProviderAssessmentSchema = z.object({
  name: z.string(),
  displayName: z.string(),
  bundled: z.boolean(),
  status: ProviderPreStatusSchema,
  detail: z.string(),
  installHint: z.string().optional(),
  /** True when the only device is a software emulation (e.g. WebGPU on SwiftShader). */
  software: z.boolean().optional(),
  adapter: z.string().optional(),
});
export type ProviderAssessment = z.infer<typeof ProviderAssessmentSchema>;

/** The outcome of creating and running a tiny session on one execution provider in the worker. */
export const ProviderProbeResultSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
  probeMs: z.number().nonnegative(),
  adapter: z.string().optional(),
  software: z.boolean().optional(),
  /** Whether a float16 test session ran on the provider itself (WebGPU: the adapter has shader-f16); absent where not tried. */
  fp16: z.boolean().optional(),
});
export type ProviderProbeResult = z.infer<typeof ProviderProbeResultSchema>;

export const ProviderStateSchema = z.enum(['ready', 'not-installed', 'no-device', 'failed']);
export type ProviderState = z.infer<typeof ProviderStateSchema>;

export const ProviderStatusSchema = z.object({
  name: z.string(),
  displayName: z.string(),
  status: ProviderStateSchema,
  detail: z.string(),
  probeMs: z.number().nonnegative().nullable(),
  installHint: z.string().optional(),
  /** e.g. WebGPU on a software adapter like SwiftShader: a fallback, never a GPU. */
  software: z.boolean().optional(),
  adapter: z.string().optional(),
  /** Whether float16 models run on it (WebGPU: the adapter's shader-f16), from the probe; absent where not tried. */
  fp16: z.boolean().optional(),
});
export type ProviderStatus = z.infer<typeof ProviderStatusSchema>;

/** A model computing in float16: an fp16 or q4f16 variant, or a model given in fp16. */
export function isHalfPrecision(model: { mode: string | null; precision?: string | null }): boolean {
  return model.mode === 'fp16' || model.mode === 'q4f16' || (model.mode === null && model.precision === 'fp16');
}

/** Why a float16 model cannot run on this provider (its probe found no float16), or null when it can or was not tried. */
export function fp16Refusal(provider: Pick<ProviderStatus, 'displayName' | 'fp16' | 'adapter'> | undefined): string | null {
  if (!provider || provider.fp16 !== false) return null;
  return (
    `${provider.displayName}${provider.adapter ? ` on ${provider.adapter}` : ''} computes no float16 (the adapter has no ` +
    'shader-f16): float16 models cannot run on it. Measure them on the CPU, or on a GPU whose adapter has shader-f16.'
  );
}

/** What the inference worker needs in its environment for WebGPU to find an adapter. */
export const WebgpuEnvironmentSchema = z.object({
  env: z.record(z.string(), z.string()),
  software: z.boolean(),
  note: z.string(),
});
export type WebgpuEnvironment = z.infer<typeof WebgpuEnvironmentSchema>;

export const HardwareProfileSchema = z.object({
  cpu: CpuInfoSchema,
  memory: MemoryInfoSchema,
  os: OsInfoSchema,
  gpus: z.array(GpuSchema),
  /** Every execution provider onnxruntime-node knows, assessed without running anything. */
  providerAssessments: z.array(ProviderAssessmentSchema),
  /**
   * Final statuses. Providers ruled out statically are here from the start; candidates
   * appear once probed (all of them when detection was given a probe function).
   */
  providers: z.array(ProviderStatusSchema),
  webgpu: WebgpuEnvironmentSchema,
  /** What could not be detected and why (missing tools, timeouts). */
  notes: z.array(z.string()),
  detectedAt: z.string(),
  durationMs: z.number().nonnegative(),
});
export type HardwareProfile = z.infer<typeof HardwareProfileSchema>;
