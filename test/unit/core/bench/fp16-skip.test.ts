import { describe, expect, it } from 'vitest';
import { skipIfUnrunnable } from '../../../../src/core/bench/prepare';
import { pendingConfig } from '../../../../src/core/bench/results';
import { fp16Refusal, isHalfPrecision, type HardwareProfile, type ProviderStatus } from '../../../../src/shared/domain/hardware';
import { fp16Warning } from '../../../../src/renderer/lib/logic/bench-plan';

const cpu: ProviderStatus = { name: 'cpu', displayName: 'CPU', status: 'ready', detail: 'ran', probeMs: 1 };
const swiftshader: ProviderStatus = {
  name: 'webgpu',
  displayName: 'WebGPU',
  status: 'ready',
  detail: 'ran',
  probeMs: 900,
  software: true,
  adapter: 'SwiftShader (software Vulkan)',
  fp16: false,
};
const gpuWithF16: ProviderStatus = { ...swiftshader, software: false, adapter: 'NVIDIA', fp16: true };

const hardwareWith = (providers: ProviderStatus[]) => ({ providers }) as unknown as HardwareProfile;
const config = (variant: string, ep: string) =>
  pendingConfig({ id: `${variant}/${ep}/b1/t0/c1`, variant, ep, batch: 1, threads: 0, concurrency: 1 });

describe('float16 models on a provider without float16', () => {
  it('knows which models compute in float16', () => {
    expect(isHalfPrecision({ mode: 'fp16' })).toBe(true);
    expect(isHalfPrecision({ mode: 'q4f16' })).toBe(true);
    expect(isHalfPrecision({ mode: 'int8-dynamic' })).toBe(false);
    expect(isHalfPrecision({ mode: null, precision: 'fp16' })).toBe(true);
    expect(isHalfPrecision({ mode: null, precision: 'fp32' })).toBe(false);
  });

  it('refuses only where the probe found no float16', () => {
    expect(fp16Refusal(swiftshader)).toMatch(
      /WebGPU on SwiftShader \(software Vulkan\) computes no float16 \(the adapter has no shader-f16\)/,
    );
    expect(fp16Refusal(gpuWithF16)).toBeNull();
    expect(fp16Refusal(cpu)).toBeNull(); // never probed: no claim
    expect(fp16Refusal(undefined)).toBeNull();
  });

  it('skips a float16 variant on such a provider with FP16_UNSUPPORTED before it runs, and nothing else', () => {
    const hardware = hardwareWith([cpu, swiftshader]);
    const half = config('fp16-1', 'webgpu');
    skipIfUnrunnable(half, hardware, true);
    expect(half.status).toBe('skipped');
    expect(half.error).toMatchObject({ code: 'FP16_UNSUPPORTED', message: expect.stringContaining('shader-f16') });

    const original = config('original', 'webgpu');
    skipIfUnrunnable(original, hardware, false);
    expect(original.status).toBe('pending');

    const halfOnCpu = config('fp16-1', 'cpu');
    skipIfUnrunnable(halfOnCpu, hardware, true);
    expect(halfOnCpu.status).toBe('pending');

    const halfOnGpu = config('fp16-1', 'webgpu');
    skipIfUnrunnable(halfOnGpu, hardwareWith([cpu, gpuWithF16]), true);
    expect(halfOnGpu.status).toBe('pending');
  });

  it('says so in the plan form before starting, naming the models left out', () => {
    const models = [
      { label: 'fp16', mode: 'fp16' },
      { label: 'int8 dynamic', mode: 'int8-dynamic' },
    ];
    expect(fp16Warning([cpu, swiftshader], ['cpu', 'webgpu'], models)).toMatch(/computes no float16 .* Skipped there: fp16\.$/);
    expect(fp16Warning([cpu, swiftshader], ['cpu'], models)).toBeNull();
    expect(fp16Warning([cpu, swiftshader], ['cpu', 'webgpu'], [{ label: 'int8', mode: 'int8-dynamic' }])).toBeNull();
    expect(fp16Warning([cpu, gpuWithF16], ['cpu', 'webgpu'], models)).toBeNull();
  });
});
