import { describe, expect, it } from 'vitest';
import { estimatePeakGflopsFp32, fp32FlopsPerCycle, inferenceFlags } from '../../../../src/core/hardware/cpu-isa';
import { ghzFromModelName, macCpuFlags, parseCacheSize, parseProcCpuinfo, parseSysctl } from '../../../../src/core/hardware/cpu';
import { fixture } from './fixtures';

function presence(arch: string, flags: string[]): Record<string, boolean> {
  return Object.fromEntries(inferenceFlags(arch, flags).map((flag) => [flag.name, flag.present]));
}

describe('/proc/cpuinfo on an x86 AVX-512 VNNI server', () => {
  const info = parseProcCpuinfo(fixture('cpuinfo-x86-xeon-avx512-vnni.txt'));

  it('reads the first processor and counts all of them', () => {
    expect(info.modelName).toBe('Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz');
    expect(info.vendorId).toBe('GenuineIntel');
    expect(info.processors).toBe(4);
    expect(info.cpuMhz).toBeCloseTo(3099.853, 3);
    expect(ghzFromModelName(info.modelName)).toBe(2.5);
  });

  it('keeps every flag, lower-case and in order', () => {
    expect(info.flags[0]).toBe('fpu');
    expect(info.flags.at(-1)).toBe('avx512_vnni');
    expect(info.flags).toHaveLength(new Set(info.flags).size);
    expect(info.flags).toHaveLength(88);
  });

  it('says which inference instruction sets are there', () => {
    expect(presence('x64', info.flags)).toEqual({
      avx2: true,
      fma: true,
      f16c: true,
      avx512f: true,
      avx512_vnni: true,
      avx512_bf16: false,
      avx_vnni: false,
      amx_tile: false,
      amx_int8: false,
      amx_bf16: false,
    });
    const vnni = inferenceFlags('x64', info.flags).find((flag) => flag.name === 'avx512_vnni');
    expect(vnni?.why).toMatch(/int8/);
  });

  it('estimates the fp32 peak from AVX-512+FMA', () => {
    const peak = estimatePeakGflopsFp32({
      arch: 'x64',
      flags: info.flags,
      physicalCores: 2,
      baseGhz: 2.5,
      maxGhz: 3.5,
      sveVectorBits: null,
    });
    expect(peak.gflops).toBe(2 * 3.5 * 64);
    expect(peak.formula).toBe(
      '2 cores × 3.5 GHz (max clock) × 64 FLOP/cycle (AVX-512+FMA: 2 FMA units × 16 lanes × 2) ≈ 448 GFLOP/s (estimate)',
    );
  });
});

describe('/proc/cpuinfo on an ARM Graviton3-like server', () => {
  const info = parseProcCpuinfo(fixture('cpuinfo-arm-graviton3.txt'));

  it('reads the Features line as flags', () => {
    expect(info.modelName).toBeNull();
    expect(info.processors).toBe(4);
    expect(info.flags).toContain('asimddp');
    expect(info.flags).toContain('svei8mm');
  });

  it('maps asimd and asimddp to neon and dotprod', () => {
    expect(presence('arm64', info.flags)).toEqual({ neon: true, dotprod: true, i8mm: true, sve: true, bf16: true });
  });

  it('a Graviton2 (Neoverse N1) has dotprod but no i8mm, sve or bf16', () => {
    const n1 = 'fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs'.split(' ');
    expect(presence('arm64', n1)).toEqual({ neon: true, dotprod: true, i8mm: false, sve: false, bf16: false });
  });

  it('uses the SVE vector length when the OS gives it, NEON width otherwise', () => {
    expect(fp32FlopsPerCycle('arm64', info.flags, 256)).toEqual({
      flopsPerCycle: 32,
      explanation: 'SVE 256-bit: 2 FMA units × 8 lanes × 2',
    });
    expect(fp32FlopsPerCycle('arm64', info.flags, null).flopsPerCycle).toBe(16);
    const peak = estimatePeakGflopsFp32({
      arch: 'arm64',
      flags: info.flags,
      physicalCores: 64,
      baseGhz: 2.6,
      maxGhz: null,
      sveVectorBits: null,
    });
    expect(peak.gflops).toBeCloseTo(64 * 2.6 * 16, 9);
    expect(peak.formula).toBe(
      '64 cores × 2.6 GHz (base clock, max unknown) × 16 FLOP/cycle (NEON: 2 FMA units × 4 lanes × 2) ≈ 2662 GFLOP/s (estimate)',
    );
  });
});

describe('peak GFLOP/s arithmetic', () => {
  it('follows the ISA ladder on x86', () => {
    const cycles = (flags: string[]): number => fp32FlopsPerCycle('x64', flags, null).flopsPerCycle;
    expect(cycles(['avx512f', 'avx2', 'fma'])).toBe(64);
    expect(cycles(['avx512f', 'avx2'])).toBe(16); // AVX-512 without FMA is not the FMA fast path
    expect(cycles(['avx', 'avx2', 'fma'])).toBe(32);
    expect(cycles(['avx'])).toBe(16);
    expect(cycles(['sse', 'sse2'])).toBe(8);
    expect(cycles([])).toBe(8);
  });

  it('counts the FMA datapath of the core design, not only the instruction set', () => {
    const avx512 = ['avx', 'avx2', 'fma', 'avx512f'];
    const cycles = (id: { vendor: string; family: number; model: number; brand?: string }, flags = avx512): number =>
      fp32FlopsPerCycle('x64', flags, null, id).flopsPerCycle;
    // Zen 4 (family 25): AVX-512 on 256-bit units.
    expect(cycles({ vendor: 'AMD', family: 25, model: 17, brand: 'EPYC 9654' })).toBe(32);
    expect(fp32FlopsPerCycle('x64', avx512, null, { vendor: 'AuthenticAMD', family: 25, model: 97 }).explanation).toMatch(/Zen 4/);
    // Zen 5 (family 26): full 512-bit units on desktop and server, 256-bit on mobile.
    expect(cycles({ vendor: 'AMD', family: 26, model: 2, brand: 'EPYC' })).toBe(64);
    expect(cycles({ vendor: 'AMD', family: 26, model: 36, brand: 'Ryzen AI 9 HX 370' })).toBe(32);
    // Zen 1 (family 23, model < 0x30): AVX2 on 128-bit units; Zen 2 (model 0x31) is full width.
    expect(cycles({ vendor: 'AMD', family: 23, model: 1 }, ['avx', 'avx2', 'fma'])).toBe(16);
    expect(cycles({ vendor: 'AMD', family: 23, model: 49 }, ['avx', 'avx2', 'fma'])).toBe(32);
    // Intel with AVX-512: two 512-bit FMA units.
    expect(cycles({ vendor: 'GenuineIntel', family: 6, model: 143 })).toBe(64);
    // The formula names the design.
    const peak = estimatePeakGflopsFp32({
      arch: 'x64',
      flags: avx512,
      physicalCores: 4,
      baseGhz: 2,
      maxGhz: 3.5,
      sveVectorBits: null,
      id: { vendor: 'AMD', family: 25, model: 17 },
    });
    expect(peak.gflops).toBe(4 * 3.5 * 32);
    expect(peak.formula).toContain('AVX-512 on Zen 4');
  });

  it('matches the example in the brief: 2 cores × 3.0 GHz × 32 = 192', () => {
    const peak = estimatePeakGflopsFp32({
      arch: 'x64',
      flags: ['avx', 'avx2', 'fma'],
      physicalCores: 2,
      baseGhz: 3,
      maxGhz: null,
      sveVectorBits: null,
    });
    expect(peak.gflops).toBe(192);
    expect(peak.formula).toBe(
      '2 cores × 3.0 GHz (base clock, max unknown) × 32 FLOP/cycle (AVX2+FMA: 2 FMA units × 8 lanes × 2) ≈ 192 GFLOP/s (estimate)',
    );
  });

  it('prefers the max clock over the base clock', () => {
    const peak = estimatePeakGflopsFp32({
      arch: 'x64',
      flags: ['avx2', 'fma'],
      physicalCores: 8,
      baseGhz: 2,
      maxGhz: 4.5,
      sveVectorBits: null,
    });
    expect(peak.gflops).toBe(8 * 4.5 * 32);
  });

  it('gives no number without a clock', () => {
    const peak = estimatePeakGflopsFp32({
      arch: 'x64',
      flags: ['avx2', 'fma'],
      physicalCores: 4,
      baseGhz: null,
      maxGhz: null,
      sveVectorBits: null,
    });
    expect(peak.gflops).toBeNull();
    expect(peak.formula).toMatch(/unknown clock/);
  });
});

describe('macOS sysctl flags', () => {
  it('turns Apple silicon hw.optional switches into flags the ARM table understands', () => {
    const flags = macCpuFlags(parseSysctl(fixture('sysctl-mac-arm64.txt')));
    expect(flags).toContain('feat_dotprod');
    expect(flags).toContain('neon');
    expect(flags).not.toContain('feat_pauth2'); // reported as 0
    expect(flags).not.toContain('watchpoint'); // a count, not a switch
    expect(presence('arm64', flags)).toEqual({ neon: true, dotprod: true, i8mm: true, sve: false, bf16: true });
  });

  it('reads Intel Mac feature lists, including the AVX1.0 spelling', () => {
    const flags = macCpuFlags(parseSysctl(fixture('sysctl-mac-x86.txt')));
    expect(flags).toContain('avx1.0');
    expect(flags).toContain('sse4.2');
    expect(presence('x64', flags)).toMatchObject({ avx2: true, fma: true, f16c: true, avx512f: false, avx512_vnni: false });
    expect(fp32FlopsPerCycle('x64', flags, null).flopsPerCycle).toBe(32);
  });
});

describe('cache sizes', () => {
  it('parses sysfs sizes', () => {
    expect(parseCacheSize('48K\n')).toBe(48 * 1024);
    expect(parseCacheSize('2048K')).toBe(2 * 1024 * 1024);
    expect(parseCacheSize('32M')).toBe(32 * 1024 * 1024);
    expect(parseCacheSize('')).toBeNull();
  });
});
