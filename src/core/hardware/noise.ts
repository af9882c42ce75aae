/**
 * What on this machine can make a benchmark lie: a power-saving CPU governor, running on
 * battery, other processes using the CPU. Read before and during a run; never throws.
 */
import { promises as fs } from 'node:fs';
import si from 'systeminformation';
import { withTimeout } from './exec';

export interface NoiseSnapshot {
  /** Linux cpufreq governor of cpu0 ("performance", "powersave", "schedutil"…), null where not exposed. */
  governor: string | null;
  /** True on battery power, false on AC, null when the machine has no battery or does not say. */
  onBattery: boolean | null;
}

export async function readNoiseSnapshot(): Promise<NoiseSnapshot> {
  const [governor, onBattery] = await Promise.all([readGovernor(), readOnBattery()]);
  return { governor, onBattery };
}

async function readGovernor(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  try {
    return (await fs.readFile('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

async function readOnBattery(): Promise<boolean | null> {
  const result = await withTimeout(() => si.battery(), 1500, 'battery');
  if (!result.ok || !result.value.hasBattery) return null;
  return !result.value.acConnected;
}
