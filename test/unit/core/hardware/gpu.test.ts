import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuSchema, type Gpu } from '../../../../src/shared/domain/hardware';
import { parseRocmSmiJson } from '../../../../src/core/hardware/gpu/amd';
import { parseSystemProfilerDisplays } from '../../../../src/core/hardware/gpu/apple';
import { dedupeGpus } from '../../../../src/core/hardware/gpu';
import { nvidiaGpusFromCsv } from '../../../../src/core/hardware/gpu/nvidia';
import {
  linuxDisplayControllers,
  parseLspci,
  pciDisplayName,
  readSysfsDisplayDevices,
  sysfsDisplayVendorsSync,
} from '../../../../src/core/hardware/gpu/pci';
import { normalizeBusId, valueOrNull } from '../../../../src/core/hardware/gpu/source';
import { gpusFromSiControllers } from '../../../../src/core/hardware/gpu/systeminformation';
import { runTool } from '../../../../src/core/hardware/exec';
import { fixture } from './fixtures';

describe('PCI addresses and placeholders', () => {
  it('brings every tool’s bus id to one form', () => {
    expect(normalizeBusId('00000000:2A:00.0')).toBe('0000:2a:00.0');
    expect(normalizeBusId('0000:2a:00.0')).toBe('0000:2a:00.0');
    expect(normalizeBusId('2a:00.0')).toBe('0000:2a:00.0');
    expect(normalizeBusId('1:0.0')).toBe('0000:01:00.0');
    expect(normalizeBusId('Built-In')).toBeUndefined();
    expect(normalizeBusId(undefined)).toBeUndefined();
  });

  it('treats vendor-tool placeholders as missing', () => {
    for (const text of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '', '  ']) expect(valueOrNull(text)).toBeNull();
    expect(valueOrNull(' 9.0 ')).toBe('9.0');
  });
});

describe('lspci -D -mm -nn', () => {
  it('keeps display controllers and names cards by their marketing name', () => {
    const devices = parseLspci(fixture('lspci-gpu-server.txt'));
    expect(devices.map((device) => [device.busId, device.vendor, pciDisplayName(device)])).toEqual([
      ['0000:03:00.0', 'other', 'ASPEED Graphics Family'],
      ['0000:18:00.0', 'nvidia', 'NVIDIA H200 SXM 141GB'],
      ['0000:2a:00.0', 'nvidia', 'NVIDIA H200 SXM 141GB'],
    ]);
    expect(devices[1]).toMatchObject({ vendorId: '10de', deviceId: '2335' });
  });

  it('handles iGPU + dGPU laptops and cards newer than pci.ids', () => {
    const devices = parseLspci(fixture('lspci-laptop.txt'));
    expect(devices.map((device) => [device.vendor, pciDisplayName(device)])).toEqual([
      ['intel', 'Intel Iris Xe Graphics'],
      ['amd', 'AMD Radeon RX 7600/7600 XT/7600M XT/7600S/7700S / PRO W7600'],
      ['nvidia', 'NVIDIA PCI device 10de:2d04'],
    ]);
  });
});

describe('sysfs PCI scan', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'inferscope-pci-'));
  const drivers = mkdtempSync(path.join(os.tmpdir(), 'inferscope-drivers-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(drivers, { recursive: true, force: true });
  });
  const device = (slot: string, cls: string, vendor: string, id: string, extra: Record<string, string> = {}, driver?: string): void => {
    const dir = path.join(root, slot);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'class'), `${cls}\n`);
    writeFileSync(path.join(dir, 'vendor'), `${vendor}\n`);
    writeFileSync(path.join(dir, 'device'), `${id}\n`);
    for (const [file, content] of Object.entries(extra)) writeFileSync(path.join(dir, file), content);
    if (driver) {
      mkdirSync(path.join(drivers, driver), { recursive: true });
      symlinkSync(path.join(drivers, driver), path.join(dir, 'driver'));
    }
  };
  device('0000:00:00.0', '0x060000', '0x8086', '0x0d57');
  device('0000:00:02.0', '0x030000', '0x8086', '0x46a6', {}, 'i915');
  device('0000:03:00.0', '0x038000', '0x1002', '0x74a1', { mem_info_vram_total: '206141652992\n' }, 'amdgpu');
  device('0000:18:00.0', '0x030200', '0x10de', '0x2335');

  it('finds display controllers by class, with numeric ids only', async () => {
    const devices = await readSysfsDisplayDevices(root);
    expect(devices.map((d) => [d.busId, d.vendor, pciDisplayName(d)])).toEqual([
      ['0000:00:02.0', 'intel', 'Intel PCI device 8086:46a6'],
      ['0000:03:00.0', 'amd', 'AMD PCI device 1002:74a1'],
      ['0000:18:00.0', 'nvidia', 'NVIDIA PCI device 10de:2335'],
    ]);
    expect(sysfsDisplayVendorsSync(root).sort()).toEqual(['amd', 'intel', 'nvidia']);
  });

  it('adds the bound driver and AMD VRAM, and explains the fallback when lspci is missing', async () => {
    // An empty PATH makes lspci missing even where pciutils is installed.
    const savedPath = process.env['PATH'];
    process.env['PATH'] = '';
    const notes: string[] = [];
    let gpus: Gpu[];
    try {
      expect((await runTool('lspci', ['--version'], 1500)).ok).toBe(false);
      gpus = await linuxDisplayControllers(1500, notes, root);
    } finally {
      process.env['PATH'] = savedPath;
    }
    for (const gpu of gpus) GpuSchema.parse(gpu);
    expect(gpus.map((gpu) => [gpu.busId, gpu.driver, gpu.vramBytes, gpu.source])).toEqual([
      ['0000:00:02.0', 'i915', null, 'sysfs'],
      ['0000:03:00.0', 'amdgpu', 206141652992, 'sysfs'],
      ['0000:18:00.0', null, null, 'sysfs'],
    ]);
    expect(notes.join('\n')).toMatch(/lspci not found.*3 display controller/);
  });

  it('an unreadable root means no devices, not an error', async () => {
    expect(await readSysfsDisplayDevices(path.join(root, 'missing'))).toEqual([]);
    expect(sysfsDisplayVendorsSync(path.join(root, 'missing'))).toEqual([]);
  });
});

describe('rocm-smi --json', () => {
  it('reads MI300X cards after a warning line', () => {
    const gpus = parseRocmSmiJson(fixture('rocm-smi.json'));
    expect(gpus).toHaveLength(2);
    for (const gpu of gpus) GpuSchema.parse(gpu);
    expect(gpus[0]).toEqual({
      vendor: 'amd',
      name: 'AMD Instinct MI300X OAM',
      vramBytes: 206141652992,
      driver: '6.8.5',
      cudaVersion: null,
      computeCapability: null,
      source: 'rocm-smi',
      busId: '0000:0c:00.0',
    });
    expect(gpus[1]!.busId).toBe('0000:22:00.0');
  });

  it('accepts the older lower-case key spelling and garbage', () => {
    expect(parseRocmSmiJson('{"card0": {"Card series": "Navi 31 [Radeon RX 7900 XT/7900 XTX]"}}')[0]!.name).toBe(
      'AMD Navi 31 [Radeon RX 7900 XT/7900 XTX]',
    );
    expect(parseRocmSmiJson('ERROR: GPU[0] : Unable to read')).toEqual([]);
  });
});

describe('system_profiler SPDisplaysDataType -json', () => {
  it('lists an Apple silicon GPU without a VRAM figure (unified memory)', () => {
    const gpus = parseSystemProfilerDisplays(fixture('system_profiler-apple-silicon.json'));
    expect(gpus).toEqual([
      {
        vendor: 'apple',
        name: 'Apple M2 Pro',
        vramBytes: null,
        driver: null,
        cudaVersion: null,
        computeCapability: null,
        source: 'system_profiler',
      },
    ]);
  });

  it('lists both GPUs of an Intel MacBook Pro, VRAM only for the dedicated one', () => {
    const gpus = parseSystemProfilerDisplays(fixture('system_profiler-intel-mac.json'));
    expect(gpus.map((gpu) => [gpu.vendor, gpu.name, gpu.vramBytes])).toEqual([
      ['intel', 'Intel UHD Graphics 630', null],
      ['amd', 'AMD Radeon Pro 5500M', 8 * 1024 ** 3],
    ]);
  });
});

describe('systeminformation controllers (Windows)', () => {
  it('classifies by PCI vendor id and ignores shared iGPU memory', () => {
    const gpus = gpusFromSiControllers([
      {
        vendor: 'NVIDIA',
        model: 'NVIDIA GeForce RTX 4090',
        bus: 'PCI',
        vram: 24564,
        vramDynamic: false,
        driverVersion: '32.0.15.6094',
        pciID: 'PCI\\VEN_10DE&DEV_2684&SUBSYS_16F310DE&REV_A1',
      },
      {
        vendor: 'Intel Corporation',
        model: 'Intel(R) UHD Graphics 770',
        bus: 'PCI',
        vram: 1024,
        vramDynamic: true,
        driverVersion: '31.0.101.4502',
        pciID: 'PCI\\VEN_8086&DEV_A780',
      },
      { vendor: 'Microsoft', model: 'Microsoft Basic Display Adapter', bus: '', vram: null, vramDynamic: false },
    ]);
    expect(gpus.map((gpu) => [gpu.vendor, gpu.name, gpu.vramBytes, gpu.source])).toEqual([
      ['nvidia', 'NVIDIA GeForce RTX 4090', 24564 * 1024 * 1024, 'systeminformation'],
      ['intel', 'Intel(R) UHD Graphics 770', null, 'systeminformation'],
      ['other', 'Microsoft Basic Display Adapter', null, 'systeminformation'],
    ]);
  });
});

describe('dedupe', () => {
  const smi = nvidiaGpusFromCsv(fixture('nvidia-smi-query-2gpu.csv'), '12.4');
  const bus: Gpu[] = parseLspci(fixture('lspci-gpu-server.txt')).map((device) => ({
    vendor: device.vendor,
    name: pciDisplayName(device),
    vramBytes: null,
    driver: 'nvidia',
    cudaVersion: null,
    computeCapability: null,
    source: 'lspci',
    busId: device.busId,
  }));

  it('keeps nvidia-smi’s entry for a card also on the PCI listing, and the BMC graphics', () => {
    const gpus = dedupeGpus([...smi, ...bus]);
    expect(gpus.map((gpu) => [gpu.source, gpu.name, gpu.busId])).toEqual([
      ['nvidia-smi', 'NVIDIA H200', '0000:18:00.0'],
      ['nvidia-smi', 'NVIDIA H200', '0000:2a:00.0'],
      ['lspci', 'ASPEED Graphics Family', '0000:03:00.0'],
    ]);
  });

  it('keeps a card that nvidia-smi does not see (e.g. fallen off the bus)', () => {
    const gpus = dedupeGpus([smi[0]!, ...bus]);
    expect(gpus.filter((gpu) => gpu.vendor === 'nvidia').map((gpu) => [gpu.source, gpu.busId])).toEqual([
      ['nvidia-smi', '0000:18:00.0'],
      ['lspci', '0000:2a:00.0'],
    ]);
  });

  it('matches by name when one side has no bus id, one listing entry per card', () => {
    const windows = gpusFromSiControllers([
      { vendor: 'NVIDIA', model: 'NVIDIA H200', bus: 'PCI', vram: 143771, vramDynamic: false },
      { vendor: 'NVIDIA', model: 'NVIDIA H200', bus: 'PCI', vram: 143771, vramDynamic: false },
      { vendor: 'NVIDIA', model: 'NVIDIA H200', bus: 'PCI', vram: 143771, vramDynamic: false },
    ]);
    const gpus = dedupeGpus([...smi.map(({ busId: _busId, ...gpu }) => gpu), ...windows]);
    expect(gpus.map((gpu) => gpu.source)).toEqual(['nvidia-smi', 'nvidia-smi', 'systeminformation']);
  });
});
