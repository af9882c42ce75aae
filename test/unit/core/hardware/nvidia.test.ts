import { describe, expect, it } from 'vitest';
import { GpuSchema, NvidiaGpuUsageSchema } from '../../../../src/shared/domain/hardware';
import {
  NVIDIA_QUERY_FIELDS,
  nvidiaGpusFromCsv,
  parseCudaVersion,
  parseNvidiaSmiCsv,
  parseNvidiaUsageCsv,
} from '../../../../src/core/hardware/gpu/nvidia';
import { fixture } from './fixtures';

const GIB = 1024 ** 3;

describe('nvidia-smi query parsing', () => {
  it('reads two H200s with every field', () => {
    const gpus = nvidiaGpusFromCsv(fixture('nvidia-smi-query-2gpu.csv'), '12.4');
    expect(gpus).toHaveLength(2);
    for (const gpu of gpus) GpuSchema.parse(gpu);
    const [first, second] = gpus;
    expect(first).toMatchObject({
      vendor: 'nvidia',
      name: 'NVIDIA H200',
      vramBytes: 143771 * 1024 * 1024,
      driver: '550.90.07',
      cudaVersion: '12.4',
      computeCapability: '9.0',
      source: 'nvidia-smi',
      uuid: 'GPU-6f1c2b7e-3a4d-4e0b-9c61-2d5f8a9b0c11',
      busId: '0000:18:00.0',
    });
    expect(first!.vramBytes! / GIB).toBeCloseTo(140.4, 1);
    expect(second!.busId).toBe('0000:2a:00.0');
    expect(second!.usage).toEqual({
      index: 1,
      uuid: 'GPU-0b8e4a12-91c3-4f55-b2d7-7e6a1c9f3d28',
      memoryUsedBytes: 52187 * 1024 * 1024,
      memoryTotalBytes: 143771 * 1024 * 1024,
      utilizationPercent: 87,
      powerDrawWatts: 512.33,
      powerLimitWatts: 700,
      temperatureC: 58,
    });
  });

  it('turns [N/A] and [Not Supported] into null instead of NaN or text', () => {
    const gpus = nvidiaGpusFromCsv(fixture('nvidia-smi-query-na.csv'), null);
    expect(gpus.map((gpu) => gpu.name)).toEqual(['NVIDIA GeForce RTX 3060 Laptop GPU', 'GRID T4-8Q']);
    const [laptop, vgpu] = gpus;
    expect(laptop!.usage).toMatchObject({ powerDrawWatts: null, powerLimitWatts: null, temperatureC: 45, utilizationPercent: 0 });
    expect(vgpu!.usage).toMatchObject({ utilizationPercent: null, powerDrawWatts: null, powerLimitWatts: null, temperatureC: null });
    expect(vgpu!.computeCapability).toBe('7.5');
    expect(vgpu!.cudaVersion).toBeNull();
    for (const gpu of gpus) GpuSchema.parse(gpu);
  });

  it('drops lines whose column count does not match the query', () => {
    const text = `${fixture('nvidia-smi-query-2gpu.csv')}Failed to initialize NVML: Driver/library version mismatch\n`;
    expect(parseNvidiaSmiCsv(text, NVIDIA_QUERY_FIELDS)).toHaveLength(2);
  });

  it('reads output of old drivers queried without compute_cap', () => {
    const fields = NVIDIA_QUERY_FIELDS.filter((field) => field !== 'compute_cap');
    const gpus = nvidiaGpusFromCsv(
      '0, Tesla V100-SXM2-16GB, GPU-aaaa, 00000000:00:1E.0, 16160, 0, 470.82.01, 0, 25.6, 300.00, 36\n',
      '11.4',
      fields,
    );
    expect(gpus[0]).toMatchObject({ name: 'Tesla V100-SXM2-16GB', computeCapability: null, driver: '470.82.01', busId: '0000:00:1e.0' });
  });
});

describe('nvidia-smi header', () => {
  it('finds the CUDA version', () => {
    expect(parseCudaVersion(fixture('nvidia-smi-header.txt'))).toBe('12.4');
    expect(parseCudaVersion('| NVIDIA-SMI 570.86.15   Driver Version: 570.86.15   CUDA Version: 12.8  |')).toBe('12.8');
  });

  it('is null when the header has none', () => {
    expect(parseCudaVersion('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.')).toBeNull();
    expect(parseCudaVersion('| NVIDIA-SMI 550.90.07  Driver Version: 550.90.07  CUDA Version: N/A |')).toBeNull();
  });
});

describe('usage sampling', () => {
  it('parses one sample per GPU', () => {
    const usage = parseNvidiaUsageCsv(fixture('nvidia-smi-usage.csv'));
    expect(usage).toHaveLength(2);
    for (const sample of usage) NvidiaGpuUsageSchema.parse(sample);
    expect(usage[0]).toMatchObject({ index: 0, memoryUsedBytes: 1024 * 1024, utilizationPercent: 0, powerDrawWatts: 72.41 });
    expect(usage[1]).toMatchObject({ index: 1, memoryUsedBytes: 52187 * 1024 * 1024, utilizationPercent: 87 });
  });
});
