/**
 * CPU package energy from Linux powercap (RAPL) counters, for energy per inference on the CPU
 * (docs/measurement.md#resources). Intel and recent AMD kernels expose /sys/class/powercap/intel-rapl:N
 * per package. Newer kernels make energy_uj readable by root only; then, and on other systems,
 * there is simply no reading (null) — never an error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const POWERCAP_ROOT = '/sys/class/powercap';

export interface EnergyReading {
  /** Per package zone: its counter in µJ and the value at which it wraps. */
  zones: { zone: string; energyUj: number; maxRangeUj: number }[];
}

/** Top-level package zones only ("intel-rapl:0"); sub-zones ("intel-rapl:0:0", core/uncore/dram) are parts of them. */
const PACKAGE_ZONE = /^intel-rapl:\d+$/;

export function readCpuEnergy(root: string = POWERCAP_ROOT): EnergyReading | null {
  if (process.platform !== 'linux' && root === POWERCAP_ROOT) return null;
  let entries: string[];
  try {
    entries = readdirSync(root)
      .filter((name) => PACKAGE_ZONE.test(name))
      .sort();
  } catch {
    return null;
  }
  const zones: EnergyReading['zones'] = [];
  for (const zone of entries) {
    try {
      const energyUj = Number(readFileSync(path.join(root, zone, 'energy_uj'), 'utf8').trim());
      const maxRangeUj = Number(readFileSync(path.join(root, zone, 'max_energy_range_uj'), 'utf8').trim());
      if (Number.isFinite(energyUj) && Number.isFinite(maxRangeUj) && maxRangeUj > 0) zones.push({ zone, energyUj, maxRangeUj });
    } catch {
      return null; // unreadable (root-only on newer kernels): no partial sums
    }
  }
  return zones.length > 0 ? { zones } : null;
}

/** Joules between two readings of the same zones, counting one wrap-around per zone. */
export function energyBetweenJ(before: EnergyReading | null, after: EnergyReading | null): number | null {
  if (!before || !after || before.zones.length !== after.zones.length) return null;
  let totalUj = 0;
  for (const [i, b] of before.zones.entries()) {
    const a = after.zones[i];
    if (!a || a.zone !== b.zone) return null;
    totalUj += a.energyUj >= b.energyUj ? a.energyUj - b.energyUj : a.energyUj + b.maxRangeUj - b.energyUj;
  }
  return totalUj / 1e6;
}
