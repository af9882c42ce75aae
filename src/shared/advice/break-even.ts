/**
 * The break-even for a GPU, in numbers and words: what a GPU must deliver to cost less per inference than the best
 * CPU setup (or, where no CPU setup meets the latency target, how much faster per request it must be). Where a GPU
 * setup was measured — on this machine or another — its own figures and its machine's price stand in for the guess.
 */
import type { BreakEven, MeasuredGpu, Requirement, ResolvedPrices, VerdictRow } from '../domain/advice';
import { formatMs, formatRatio } from '../stats';
import { breakEven as breakEvenNumbers, type BreakEvenNumbers } from './cost';
import { formatRps, formatTarget, formatUsd } from './format';
import { bestLatencyMs, byCost, fastest } from './ranking';

/**
 * Where several machines are weighed, a row's setup followed by its machine ("CUDA on NVIDIA L4, batch 1 on gpu-box")
 * instead of after the run it came from; otherwise its label as the table shows it.
 */
export function setupOnMachine(row: VerdictRow, withMachine: boolean): string {
  if (!withMachine) return row.label;
  const prefix = `${row.runLabel}: `;
  const setup = row.label.startsWith(prefix) ? row.label.slice(prefix.length) : row.label;
  return `${setup} on ${row.machineName}`;
}

/** Several machines among the rows: labels then name each setup's machine. */
export function spansMachines(rows: readonly VerdictRow[]): boolean {
  return new Set(rows.map((row) => row.machineName)).size > 1;
}

/** The GPU setup to set against a CPU's throughput: the cheapest fully loaded within the target, else the fastest. */
function throughputGpu(gpuRows: readonly VerdictRow[]): VerdictRow | null {
  const within = gpuRows
    .filter((r) => r.costPerMillionAtCapacity !== null)
    .sort((a, b) => (a.costPerMillionAtCapacity ?? Infinity) - (b.costPerMillionAtCapacity ?? Infinity));
  return within[0] ?? fastest(gpuRows)?.row ?? null;
}

function measuredGpu(row: VerdictRow, label: string, clears: boolean): MeasuredGpu {
  return {
    rowId: row.id,
    label,
    machineName: row.machineName,
    perHour: row.pricePerHour,
    throughputRps: row.capacity.maxThroughputRps,
    percentileMs: bestLatencyMs(row),
    clears,
  };
}

function atTargetText(at: NonNullable<BreakEvenNumbers['atTarget']>, gpu: VerdictRow | null, gpuLabel: string): string {
  if (at.maxGpuInstances === 0) {
    return (
      ` At ${formatRps(at.targetRps)} no GPU can cost less: ` +
      `${at.cpuInstances === 1 ? 'one CPU instance costs' : `${at.cpuInstances} CPU instances cost`} ` +
      `${formatUsd(at.cpuCostPerHour)}/h, no more than one GPU machine.`
    );
  }
  const measured = gpu?.capacity.maxThroughputRps ?? null;
  return (
    ` At ${formatRps(at.targetRps)} the CPU fleet costs ${formatUsd(at.cpuCostPerHour)}/h, so ${at.maxGpuInstances} GPU ` +
    `machine${at.maxGpuInstances === 1 ? '' : 's'} would each have to serve ` +
    `${formatRps(at.requiredGpuThroughputRps ?? NaN)} (${formatRatio(at.speedup ?? NaN)} the CPU setup).` +
    (measured !== null ? ` ${gpuLabel} serves ${formatRps(measured)} per machine.` : '')
  );
}

/** A CPU setup meets the requirement: the throughput a GPU must serve fully loaded to cost less per inference. */
function throughputBreakEven(cpu: VerdictRow, gpuRows: readonly VerdictRow[], ctx: BreakEvenContext): BreakEven {
  const cpuT = cpu.capacity.maxThroughputRps as number;
  const gpu = throughputGpu(gpuRows);
  const gpuPerHour = gpu?.pricePerHour ?? ctx.prices.gpuPerHour;
  const numbers = breakEvenNumbers({
    cpuThroughputRps: cpuT,
    cpuPerHour: cpu.pricePerHour,
    gpuPerHour,
    targetRps: ctx.requirement.throughputRps,
  });
  const cpuLabel = setupOnMachine(cpu, ctx.severalMachines);
  const required = `${formatRps(numbers.requiredGpuThroughputRps)} (${formatRatio(numbers.speedup)} ${cpuLabel})`;
  let explanation: string;
  let measured: MeasuredGpu | null = null;
  const gpuLabel = gpu ? setupOnMachine(gpu, ctx.severalMachines) : '';
  if (!gpu) {
    explanation =
      `No hardware GPU was measured; fully loaded, a GPU machine at ${formatUsd(gpuPerHour)}/h would have to serve ` +
      `${required} to cost less per inference.`;
  } else {
    const gpuT = gpu.capacity.maxThroughputRps;
    const clears = gpuT !== null && gpuT >= numbers.requiredGpuThroughputRps;
    measured = measuredGpu(gpu, gpuLabel, clears);
    const priced = `${gpuLabel} (${formatUsd(gpuPerHour)}/h)`;
    if (gpuT === null) {
      const best = measured.percentileMs;
      explanation =
        `${gpuLabel} misses ${describeLatency(ctx.requirement)} at every level measured` +
        `${best === null ? '' : ` (${formatMs(best)} at best)`}, so the CPU setup stays the cheaper one; within the target, a ` +
        `GPU machine at ${formatUsd(gpuPerHour)}/h would have to serve ${required} to cost less per inference.`;
    } else {
      explanation =
        `Fully loaded, ${priced} would have to serve ${required} to cost less per inference; it was measured at ` +
        `${formatRps(gpuT)}` +
        (clears
          ? `, ${formatRatio(gpuT / numbers.requiredGpuThroughputRps)} that: it costs less per inference.`
          : `, ${formatRatio(numbers.requiredGpuThroughputRps / gpuT)} short of it: it costs more per inference.`);
    }
  }
  if (numbers.atTarget) explanation += atTargetText(numbers.atTarget, gpu, gpuLabel);
  return {
    cpuRowId: cpu.id,
    cpuLabel: cpu.label,
    cpuThroughputRps: cpuT,
    cpuPerHour: cpu.pricePerHour,
    gpuPerHour,
    speedup: numbers.speedup,
    requiredGpuThroughputRps: numbers.requiredGpuThroughputRps,
    atTarget: numbers.atTarget,
    latency: null,
    gpu: measured,
    explanation,
  };
}

/** "p95 ≤ 20 ms", or the throughput alone. */
function describeLatency(requirement: Requirement): string {
  return requirement.latency ? formatTarget(requirement.latency) : 'the requirement';
}

interface BreakEvenContext {
  requirement: Requirement;
  prices: ResolvedPrices;
  severalMachines: boolean;
}

/** No CPU setup meets the latency target: how much faster per request a GPU must be, and how much the measured one is. */
function latencyBreakEven(cpuRows: readonly VerdictRow[], gpuRows: readonly VerdictRow[], ctx: BreakEvenContext): BreakEven | null {
  const { requirement, prices } = ctx;
  const best = fastest(cpuRows);
  if (!best || !requirement.latency) return null;
  const cpuPercentileMs = best.point.percentileMs + best.point.batchWaitMs;
  // The latency is within reach; what fails is the load (batch filling, throughput) — no speedup figure applies.
  if (cpuPercentileMs <= requirement.latency.ms) return null;
  const speedup = cpuPercentileMs / requirement.latency.ms;
  const gpu = fastest(gpuRows)?.row ?? null;
  const cpuLabel = setupOnMachine(best.row, ctx.severalMachines);
  const gpuLabel = gpu ? setupOnMachine(gpu, ctx.severalMachines) : '';
  const gpuMs = gpu ? bestLatencyMs(gpu) : null;
  const clears = gpuMs !== null && gpuMs <= requirement.latency.ms;
  const need =
    `to meet ${formatTarget(requirement.latency)} a GPU would have to bring the ${requirement.latency.percentile} from ` +
    `${formatMs(cpuPercentileMs)} (${cpuLabel}) down to ${formatMs(requirement.latency.ms)}: at least ${formatRatio(speedup)} ` +
    'faster per request.';
  const explanation =
    gpu && gpuMs !== null
      ? `${need.charAt(0).toUpperCase()}${need.slice(1)} ${gpuLabel} was measured at ${formatMs(gpuMs)}: ` +
        `${formatRatio(cpuPercentileMs / gpuMs)} faster${clears ? '' : ', not enough'}.`
      : `No hardware GPU was measured; ${need}`;
  return {
    cpuRowId: best.row.id,
    cpuLabel: best.row.label,
    cpuThroughputRps: null,
    cpuPerHour: best.row.pricePerHour,
    gpuPerHour: gpu?.pricePerHour ?? prices.gpuPerHour,
    speedup: null,
    requiredGpuThroughputRps: null,
    atTarget: null,
    latency: { cpuPercentileMs, targetMs: requirement.latency.ms, speedup },
    gpu: gpu ? measuredGpu(gpu, gpuLabel, clears) : null,
    explanation,
  };
}

/** The break-even of a model's setups; null when there is no CPU setup, or the CPU's shortfall is not one a speed-up fixes. */
export function computeBreakEven(rows: readonly VerdictRow[], requirement: Requirement, prices: ResolvedPrices): BreakEven | null {
  const cpuRows = rows.filter((r) => r.deviceClass === 'cpu');
  const gpuRows = rows.filter((r) => r.deviceClass === 'gpu' && r.eligible && r.points.length > 0);
  const ctx: BreakEvenContext = { requirement, prices, severalMachines: spansMachines(rows) };
  const meetingCpu =
    cpuRows.filter((r) => r.meetsRequirement && r.reliable).sort(byCost)[0] ?? cpuRows.filter((r) => r.meetsRequirement).sort(byCost)[0];
  if (meetingCpu && meetingCpu.capacity.maxThroughputRps !== null) return throughputBreakEven(meetingCpu, gpuRows, ctx);
  return latencyBreakEven(cpuRows, gpuRows, ctx);
}
