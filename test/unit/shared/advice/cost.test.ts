import { describe, expect, test } from 'vitest';
import {
  breakEven,
  costPerMillion,
  electricityPerMillion,
  energyPerInferenceJ,
  instancePrice,
  instancesFor,
  resolvePrices,
} from '../../../../src/shared/advice';
import {
  DEFAULT_CPU_MACHINE_PER_HOUR,
  DEFAULT_ELECTRICITY_PER_KWH,
  DEFAULT_GPU_MACHINE_PER_HOUR,
} from '../../../../src/shared/domain/advice';

describe('prices', () => {
  test('defaults fill what was not given and are reported as assumed', () => {
    const prices = resolvePrices({ gpuPerHour: 2.5, gpuByName: {} });
    expect(prices).toEqual({
      cpuPerHour: DEFAULT_CPU_MACHINE_PER_HOUR,
      gpuPerHour: 2.5,
      gpuByName: {},
      electricityPerKwh: DEFAULT_ELECTRICITY_PER_KWH,
      byMachine: {},
      assumed: ['cpu', 'electricity'],
    });
    expect(resolvePrices().assumed).toEqual(['cpu', 'gpu', 'electricity']);
    expect(DEFAULT_GPU_MACHINE_PER_HOUR).toBe(1.2);
  });

  test('a GPU class price applies by name, the most specific key winning', () => {
    const prices = resolvePrices({ gpuByName: { L4: 0.8, 'RTX 4090': 0.7, H100: 3 } });
    expect(instancePrice(prices, 'gpu', 'NVIDIA L4')).toMatchObject({ perHour: 0.8, assumed: false });
    expect(instancePrice(prices, 'gpu', 'NVIDIA H100 80GB HBM3')).toMatchObject({ perHour: 3 });
    expect(instancePrice(prices, 'gpu', 'NVIDIA A10G')).toMatchObject({ perHour: DEFAULT_GPU_MACHINE_PER_HOUR, assumed: true });
    expect(instancePrice(resolvePrices({ gpuByName: { A100: 2, 'A100 80GB': 3 } }), 'gpu', 'NVIDIA A100 80GB PCIe').perHour).toBe(3);
    expect(instancePrice(prices, 'cpu', null)).toMatchObject({ perHour: DEFAULT_CPU_MACHINE_PER_HOUR, label: 'CPU machine' });
  });
});

describe('cost arithmetic', () => {
  test('instances round up, and an exact divisor needs no extra machine', () => {
    expect(instancesFor(200, 180)).toBe(2);
    expect(instancesFor(200, 100)).toBe(2);
    expect(instancesFor(0.3 * 3, 0.3)).toBe(3); // 0.8999999999999999 / 0.3 must not become 4
    expect(instancesFor(50, 180)).toBe(1);
    expect(() => instancesFor(10, 0)).toThrow(RangeError);
  });

  test('cost per million inferences = instances × price / (rps × 3600) × 10⁶', () => {
    // 2 CPU machines at $0.10/h serving 200 req/s: $0.20/h over 720,000 inferences per hour.
    expect(costPerMillion(0.1, 2, 200)).toBeCloseTo((0.2 / 720_000) * 1e6, 12);
    expect(costPerMillion(0.1, 2, 200)).toBeCloseTo(0.27778, 5);
  });

  test('energy per inference from power and throughput, and its electricity cost', () => {
    expect(energyPerInferenceJ(72, 1200)).toBeCloseTo(0.06, 12);
    // 0.06 J × 10⁶ = 60 kJ = 1/60 kWh; at $0.15/kWh → $0.0025.
    expect(electricityPerMillion(0.06, 0.15)).toBeCloseTo(0.0025, 12);
  });
});

describe('breakEven', () => {
  test('fully loaded, a GPU must serve price ratio × the CPU throughput', () => {
    const numbers = breakEven({ cpuThroughputRps: 180, cpuPerHour: 0.1, gpuPerHour: 1.2, targetRps: null });
    expect(numbers.speedup).toBeCloseTo(12, 12);
    expect(numbers.requiredGpuThroughputRps).toBeCloseTo(2160, 9);
    expect(numbers.atTarget).toBeNull();
    // At exactly that throughput both cost the same per inference.
    expect(costPerMillion(1.2, 1, 2160)).toBeCloseTo(costPerMillion(0.1, 1, 180), 12);
  });

  test('at a target load, whole machines decide: a small CPU fleet cannot be undercut by one GPU', () => {
    // 200 req/s on 180 req/s CPUs: 2 machines, $0.20/h < $1.20/h for any GPU.
    const small = breakEven({ cpuThroughputRps: 180, cpuPerHour: 0.1, gpuPerHour: 1.2, targetRps: 200 });
    expect(small.atTarget).toEqual({
      targetRps: 200,
      cpuInstances: 2,
      cpuCostPerHour: 0.2,
      maxGpuInstances: 0,
      requiredGpuThroughputRps: null,
      speedup: null,
    });
    // 5000 req/s: 28 CPU machines = $2.80/h, so up to 2 GPU machines ($2.40/h) are cheaper, each serving 2500 req/s.
    const large = breakEven({ cpuThroughputRps: 180, cpuPerHour: 0.1, gpuPerHour: 1.2, targetRps: 5000 });
    expect(large.atTarget?.cpuInstances).toBe(28);
    expect(large.atTarget?.cpuCostPerHour).toBeCloseTo(2.8, 12);
    expect(large.atTarget?.maxGpuInstances).toBe(2);
    expect(large.atTarget?.requiredGpuThroughputRps).toBeCloseTo(2500, 9);
    expect(large.atTarget?.speedup).toBeCloseTo(2500 / 180, 9);
    // 24 CPU machines = $2.40/h exactly: two GPUs would only tie, so one GPU must serve everything.
    const tie = breakEven({ cpuThroughputRps: 180, cpuPerHour: 0.1, gpuPerHour: 1.2, targetRps: 24 * 180 });
    expect(tie.atTarget?.maxGpuInstances).toBe(1);
    expect(tie.atTarget?.requiredGpuThroughputRps).toBeCloseTo(4320, 9);
  });
});
