/**
 * How much of the CPU's arithmetic a configuration used: achieved GFLOP/s from the model's MACs and
 * the measured run rate, against the estimated fp32 peak of the cores it ran on
 * (docs/measurement.md#efficiency). Only for the model as given on the CPU provider: a GPU's peak is
 * not estimated, and a quantized variant's int8 work is not fp32 FLOPs.
 */
import type { ConfigResult, RunDocument } from './run';

export interface Efficiency {
  /** 2 × MACs per run × runs per second, in GFLOP/s. */
  gflops: number;
  /** Physical cores the configuration kept busy at most: threads per session (all cores for the default) × sessions. */
  cores: number;
  /** The fp32 peak of those cores (the machine's estimate × cores / physical cores); null when the clock is unknown. */
  peakGflops: number | null;
  /** gflops / peakGflops. */
  peakShare: number | null;
}

export function configEfficiency(
  doc: Pick<RunDocument, 'model' | 'environment'>,
  c: Pick<ConfigResult, 'status' | 'ep' | 'variant' | 'batch' | 'threads' | 'concurrency' | 'throughput'>,
): Efficiency | null {
  const macs = doc.model.macs;
  if (c.status !== 'done' || !c.throughput || macs === null || macs <= 0 || c.variant !== 'original') return null;
  // MACs are counted at batch 1 where the batch is symbolic; a run of batch b does b times that.
  const gflops = (2 * macs * c.batch * c.throughput.runsPerSec) / 1e9;
  const cpu = doc.environment.hardware.cpu;
  const physical = Math.max(1, cpu.physicalCores);
  const cores = Math.min(physical, (c.threads > 0 ? c.threads : physical) * c.concurrency);
  if (c.ep !== 'cpu') return { gflops, cores, peakGflops: null, peakShare: null };
  const peakGflops = cpu.peakGflopsFp32 === null ? null : (cpu.peakGflopsFp32 * cores) / physical;
  return { gflops, cores, peakGflops, peakShare: peakGflops ? gflops / peakGflops : null };
}

/**
 * "98.4 GFLOP/s · 61 % of the 1-core peak estimate" or "412 GFLOP/s". A share above 100 % says the estimate is low
 * (where the OS gives only the base clock, boost clocks beat it).
 */
export function efficiencyText(e: Efficiency): string {
  const rate = e.gflops >= 100 ? e.gflops.toFixed(0) : e.gflops.toFixed(1);
  if (e.peakShare === null) return `${rate} GFLOP/s`;
  const share = `${rate} GFLOP/s · ${(e.peakShare * 100).toFixed(0)} % of the ${e.cores}-core peak estimate`;
  return e.peakShare > 1 ? `${share} (above it: the cores ran faster than the clock the estimate assumes)` : share;
}
