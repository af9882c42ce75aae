/**
 * CPU time (and, where Linux exposes it, package energy) of the whole machine, to tell how much
 * of it other processes used while a configuration was measured (docs/measurement.md#noise-warnings: warn above
 * 10 %) and what the measurement cost in energy. Read in the worker at the same instants as its
 * own process.cpuUsage(), so both cover the same window.
 */
import os from 'node:os';
import { readCpuEnergy, type EnergyReading } from '../hardware/power';

/** Busy and total CPU time of the whole machine so far (all cores), in ms, and the RAPL counters. */
export interface CpuTimes {
  busyMs: number;
  totalMs: number;
  energy: EnergyReading | null;
}

export function machineCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busyMs: busy, totalMs: total, energy: readCpuEnergy() };
}

/**
 * Share of the machine's CPU capacity used by other processes between two readings, given the
 * CPU time the benchmark's own worker spent meanwhile. 0.1 = other processes kept 10 % busy.
 */
export function otherLoadShare(before: CpuTimes, after: CpuTimes, ownCpuMs: number): number | null {
  const total = after.totalMs - before.totalMs;
  if (total <= 0) return null;
  const others = after.busyMs - before.busyMs - ownCpuMs;
  return Math.min(1, Math.max(0, others / total));
}
