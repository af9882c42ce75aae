import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { energyBetweenJ, readCpuEnergy } from '../../../../src/core/hardware/power';

function powercap(zones: Record<string, { energy: number; max: number }>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'inferscope-powercap-'));
  for (const [zone, { energy, max }] of Object.entries(zones)) {
    mkdirSync(path.join(root, zone));
    writeFileSync(path.join(root, zone, 'energy_uj'), `${energy}\n`);
    writeFileSync(path.join(root, zone, 'max_energy_range_uj'), `${max}\n`);
  }
  return root;
}

describe('CPU package energy (RAPL)', () => {
  it('reads package zones only and sums their energy between two readings', () => {
    const root = powercap({
      'intel-rapl:0': { energy: 1_000_000, max: 262_143_328_850 },
      'intel-rapl:0:0': { energy: 5, max: 10 },
      'intel-rapl:1': { energy: 2_000_000, max: 262_143_328_850 },
    });
    try {
      const before = readCpuEnergy(root);
      expect(before?.zones.map((z) => z.zone)).toEqual(['intel-rapl:0', 'intel-rapl:1']);
      writeFileSync(path.join(root, 'intel-rapl:0', 'energy_uj'), '4000000\n');
      writeFileSync(path.join(root, 'intel-rapl:1', 'energy_uj'), '2500000\n');
      expect(energyBetweenJ(before, readCpuEnergy(root))).toBeCloseTo(3.5, 9);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('counts a wrap-around of the counter', () => {
    const before = { zones: [{ zone: 'intel-rapl:0', energyUj: 900, maxRangeUj: 1000 }] };
    const after = { zones: [{ zone: 'intel-rapl:0', energyUj: 100, maxRangeUj: 1000 }] };
    expect(energyBetweenJ(before, after)).toBeCloseTo(200 / 1e6, 12);
  });

  it('gives no reading where there are no counters, or they are not readable', () => {
    expect(readCpuEnergy(path.join(os.tmpdir(), 'no-such-powercap'))).toBeNull();
    const root = powercap({ 'intel-rapl:0': { energy: 1, max: 10 } });
    try {
      rmSync(path.join(root, 'intel-rapl:0', 'energy_uj'));
      expect(readCpuEnergy(root)).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(energyBetweenJ(null, null)).toBeNull();
  });
});
