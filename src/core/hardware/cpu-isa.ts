import type { InferenceFlag } from '../../shared/domain/hardware';

interface FlagSpec {
  name: string;
  /** Spellings used by Linux (/proc/cpuinfo), macOS (sysctl) and Windows for the same feature. */
  aliases: readonly string[];
  why: string;
}

const X86_FLAGS: readonly FlagSpec[] = [
  { name: 'avx2', aliases: ['avx2'], why: 'AVX2: 256-bit SIMD, the baseline fast path of ONNX Runtime CPU kernels' },
  { name: 'fma', aliases: ['fma', 'fma3'], why: 'FMA: fused multiply-add doubles fp32 matmul throughput per cycle' },
  { name: 'f16c', aliases: ['f16c'], why: 'F16C: hardware fp16↔fp32 conversion, so fp16 weights load without slow software conversion' },
  { name: 'avx512f', aliases: ['avx512f'], why: 'AVX-512: twice the AVX2 vector width for fp32 matmuls and convolutions' },
  {
    name: 'avx512_vnni',
    aliases: ['avx512_vnni', 'avx512vnni'],
    why: 'VNNI: int8 dot products in one instruction; without it int8 may not beat fp32',
  },
  { name: 'avx512_bf16', aliases: ['avx512_bf16', 'avx512bf16'], why: 'AVX-512 BF16: native bf16 dot products for bf16 models' },
  { name: 'avx_vnni', aliases: ['avx_vnni', 'avxvnni'], why: 'AVX-VNNI: int8 dot products on 256-bit vectors (CPUs without AVX-512 VNNI)' },
  { name: 'amx_tile', aliases: ['amx_tile', 'amxtile'], why: 'AMX tiles: an on-core matrix engine for large int8/bf16 matmuls' },
  { name: 'amx_int8', aliases: ['amx_int8', 'amxint8'], why: 'AMX int8: matrix multiply for quantized int8 models, several times VNNI' },
  { name: 'amx_bf16', aliases: ['amx_bf16', 'amxbf16'], why: 'AMX bf16: matrix multiply for bf16 models' },
];

const ARM_FLAGS: readonly FlagSpec[] = [
  {
    name: 'neon',
    aliases: ['asimd', 'neon', 'advsimd', 'feat_advsimd'],
    why: 'NEON (ASIMD): 128-bit SIMD, the baseline of every ARM CPU kernel',
  },
  {
    name: 'dotprod',
    aliases: ['asimddp', 'dotprod', 'feat_dotprod'],
    why: 'Dot product (SDOT/UDOT): fast int8; without it int8 may not beat fp32',
  },
  { name: 'i8mm', aliases: ['i8mm', 'feat_i8mm'], why: 'I8MM: int8 matrix multiply, about twice the int8 throughput of dotprod' },
  { name: 'sve', aliases: ['sve', 'feat_sve'], why: 'SVE: scalable vectors, wider than NEON on cores with 256-bit units' },
  { name: 'bf16', aliases: ['bf16', 'feat_bf16'], why: 'BF16: native bf16 dot products and matmul for bf16 models' },
];

/** Compares flag spellings across OSes: "avx512_vnni", "AVX512VNNI" and "avx512-vnni" are one feature. */
function canonical(flag: string): string {
  return flag.toLowerCase().replace(/[_.\-\s]/g, '');
}

export function isX86(arch: string): boolean {
  return arch === 'x64' || arch === 'ia32' || arch === 'x86_64' || arch === 'x86';
}

export function isArm(arch: string): boolean {
  return arch === 'arm64' || arch === 'arm' || arch === 'aarch64';
}

function flagSet(flags: readonly string[]): Set<string> {
  return new Set(flags.map(canonical));
}

function hasAny(set: Set<string>, aliases: readonly string[]): boolean {
  return aliases.some((alias) => set.has(canonical(alias)));
}

/** The instruction sets that matter for inference on this architecture, present or not. */
export function inferenceFlags(arch: string, flags: readonly string[]): InferenceFlag[] {
  const specs = isX86(arch) ? X86_FLAGS : isArm(arch) ? ARM_FLAGS : [];
  const set = flagSet(flags);
  return specs.map((spec) => ({ name: spec.name, present: hasAny(set, spec.aliases), why: spec.why }));
}

interface SimdWidth {
  flopsPerCycle: number;
  explanation: string;
}

/**
 * FLOPs one core can retire per cycle in fp32, from the widest SIMD the flags show.
 * Assumes two vector FMA units (the common server/desktop layout); cores with one unit reach half.
 */
/** Which x86 core design: vendor and CPUID family/model where the OS says them (null otherwise). */
export interface CpuModelId {
  vendor: string | null;
  family: number | null;
  model: number | null;
  brand?: string | null;
}

const isAmd = (id: CpuModelId | undefined): boolean => /amd|authenticamd/i.test(id?.vendor ?? '');

/**
 * The width of the FMA datapath matters as much as the instruction set: AMD Zen 4 (family 25 with AVX-512)
 * runs 512-bit instructions as two halves on 256-bit units, so it retires what AVX2 would, 32 FLOP/cycle;
 * Zen 5 desktop and server parts (family 26) have full 512-bit units, its mobile parts (Ryzen AI) do not;
 * Zen 1 (family 23, models below 0x30) splits 256-bit AVX2 over 128-bit units.
 */
function x86Datapath(id: CpuModelId | undefined, avx512: boolean): SimdWidth | null {
  if (!isAmd(id) || id?.family === null || id?.family === undefined) return null;
  if (avx512 && id.family === 25) {
    return { flopsPerCycle: 32, explanation: 'AVX-512 on Zen 4: 512-bit ops on 2 × 256-bit FMA units, 2 FMA units × 8 lanes × 2' };
  }
  if (avx512 && id.family === 26 && /ryzen ai/i.test(id.brand ?? '')) {
    return { flopsPerCycle: 32, explanation: 'AVX-512 on mobile Zen 5: 256-bit FMA units, 2 FMA units × 8 lanes × 2' };
  }
  if (avx512 && id.family === 26) return { flopsPerCycle: 64, explanation: 'AVX-512 on Zen 5: 2 × 512-bit FMA units × 16 lanes × 2' };
  if (!avx512 && id.family === 23 && id.model !== null && id.model < 0x30) {
    return { flopsPerCycle: 16, explanation: 'AVX2 on Zen 1: 256-bit ops on 2 × 128-bit FMA units, 2 FMA units × 4 lanes × 2' };
  }
  return null;
}

export function fp32FlopsPerCycle(arch: string, flags: readonly string[], sveVectorBits: number | null, id?: CpuModelId): SimdWidth {
  const set = flagSet(flags);
  const has = (...aliases: string[]): boolean => hasAny(set, aliases);
  if (isX86(arch)) {
    if (has('avx512f') && has('fma')) {
      return x86Datapath(id, true) ?? { flopsPerCycle: 64, explanation: 'AVX-512+FMA: 2 FMA units × 16 lanes × 2' };
    }
    if (has('avx2') && has('fma')) {
      return x86Datapath(id, false) ?? { flopsPerCycle: 32, explanation: 'AVX2+FMA: 2 FMA units × 8 lanes × 2' };
    }
    // AVX2 and AVX-512 imply AVX even where a flag list omits it.
    if (has('avx', 'avx1.0', 'avx2', 'avx512f')) return { flopsPerCycle: 16, explanation: 'AVX: 1 add + 1 multiply unit × 8 lanes' };
    // SSE2 is part of x86-64 itself, so it is there even when the flag list is empty.
    return { flopsPerCycle: 8, explanation: 'SSE: 1 add + 1 multiply unit × 4 lanes' };
  }
  if (isArm(arch)) {
    if (has('sve', 'feat_sve') && sveVectorBits !== null && sveVectorBits >= 128) {
      const lanes = sveVectorBits / 32;
      return { flopsPerCycle: 2 * lanes * 2, explanation: `SVE ${sveVectorBits}-bit: 2 FMA units × ${lanes} lanes × 2` };
    }
    // AArch64 always has NEON; 32-bit ARM only when it says so.
    if (arch === 'arm64' || arch === 'aarch64' || has('neon', 'asimd')) {
      return { flopsPerCycle: 16, explanation: 'NEON: 2 FMA units × 4 lanes × 2' };
    }
    return { flopsPerCycle: 2, explanation: 'scalar: 1 FMA × 2' };
  }
  return { flopsPerCycle: 2, explanation: 'scalar: 1 FMA × 2 (unknown architecture)' };
}

export interface PeakInput {
  arch: string;
  flags: readonly string[];
  physicalCores: number;
  baseGhz: number | null;
  maxGhz: number | null;
  /** SVE vector length if the OS says it; null otherwise. */
  sveVectorBits: number | null;
  /** The core design, for its FMA datapath width (x86). */
  id?: CpuModelId;
}

function formatGhz(ghz: number): string {
  return ghz.toFixed(2).replace(/0$/, '');
}

function formatGflops(gflops: number): string {
  return gflops >= 100 ? Math.round(gflops).toString() : gflops.toFixed(1);
}

/** Theoretical fp32 peak: physical cores × clock (max, else base) × FLOPs per cycle. An upper bound, never a measurement. */
export function estimatePeakGflopsFp32(input: PeakInput): { gflops: number | null; formula: string } {
  const simd = fp32FlopsPerCycle(input.arch, input.flags, input.sveVectorBits, input.id);
  const clock = input.maxGhz ?? input.baseGhz;
  const clockLabel = input.maxGhz !== null ? 'max clock' : 'base clock, max unknown';
  const cores = `${input.physicalCores} ${input.physicalCores === 1 ? 'core' : 'cores'}`;
  const perCycle = `${simd.flopsPerCycle} FLOP/cycle (${simd.explanation})`;
  if (clock === null || input.physicalCores <= 0) {
    return { gflops: null, formula: `${cores} × unknown clock × ${perCycle}: no estimate without a clock speed` };
  }
  const gflops = input.physicalCores * clock * simd.flopsPerCycle;
  return {
    gflops,
    formula: `${cores} × ${formatGhz(clock)} GHz (${clockLabel}) × ${perCycle} ≈ ${formatGflops(gflops)} GFLOP/s (estimate)`,
  };
}
