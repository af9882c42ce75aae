/**
 * One verdict row per setup: its latency–throughput points with the target percentile's
 * uncertainty, its capacity, the instances and cost the requirement takes, and whether
 * the measurement can carry a decision.
 */
import type { CapacityPoint, LatencyPercentile, Requirement, ResolvedPrices, TargetStatus, VerdictRow } from '../domain/advice';
import type { ConfigResult } from '../domain/run';
import { setting } from '../settings';
import { acrossRepetitionsAround, formatMs, NO_CI_TEXT, quantileSorted, sortSamples } from '../stats';
import { batchWaitMs, capacityOf, meetsAtLoad, throughputFrontier, type CapacityOptions, type CurvePoint } from './capacity';
import { costPerMillion, electricityPerMillion, energyPerInferenceJ, instancePrice, instancesFor, type PricedMachine } from './cost';
import { PERCENTILE_FRACTION, formatRps } from './format';
import { percentileConfidenceInterval } from './percentile-ci';
import {
  deviceClassOf,
  gpuNameFor,
  isMeasured,
  isSoftwareAdapter,
  machineLabel,
  setupLabel,
  variantLabel,
  variantQualityText,
  type Setup,
} from './setups';

/** A verdict rests only on configurations whose median is known to within ±5 %. */
export const VERDICT_MAX_CI_HALF_WIDTH = 0.05;
/** A percentile counts as stable when its 95 % CI reaches no further than ±10 % from it. */
export const PERCENTILE_STABLE_REL = 0.1;

export interface RowContext {
  requirement: Requirement;
  prices: ResolvedPrices;
  runLabel: string;
  /** The machine the run was measured on ("this machine", "gpu-box"), for its name and its own price. */
  machine: PricedMachine;
  /** Prefix labels with the run: several runs are advised on together. */
  prefixRun: boolean;
  /** Name the model variant in labels: some setup ran a variant. */
  showVariant: boolean;
}

/** The percentile the requirement names; without a latency target, the median. */
export function watchedPercentile(requirement: Requirement): LatencyPercentile {
  return requirement.latency?.percentile ?? 'p50';
}

export function capacityOptions(requirement: Requirement, batch: number): CapacityOptions {
  const unbounded = requirement.latency === null;
  return {
    targetMs: requirement.latency?.ms ?? Infinity,
    batch,
    // Without a latency bound a batch may take as long as it needs to fill.
    maxBatchDelayMs: unbounded ? Infinity : requirement.maxBatchDelayMs,
  };
}

interface PercentileEstimate {
  value: number;
  low: number | null;
  high: number | null;
  fromSamples: boolean;
}

/** The p-quantile of each finished repetition's own samples. */
function repetitionPercentiles(config: ConfigResult, p: number): number[] {
  return config.repetitions
    .filter((r) => r.status === 'done' && r.sampleCount > 0)
    .map((r) => quantileSorted(sortSamples(config.samples.slice(r.firstSample, r.firstSample + r.sampleCount)), p));
}

function percentileOf(
  config: ConfigResult & { latencyMs: NonNullable<ConfigResult['latencyMs']> },
  percentile: LatencyPercentile,
): PercentileEstimate {
  const stats = config.latencyMs;
  const p = PERCENTILE_FRACTION[percentile];
  if (config.samples.length > 0) {
    // Across repetitions the median is their geometric mean with its t interval: the same figure the results show.
    if (percentile === 'p50' && config.uncertainty?.scope === 'across-processes') {
      return { value: stats.median, low: stats.ciLow, high: stats.ciHigh, fromSamples: true };
    }
    const sorted = sortSamples(config.samples);
    const ci = percentileConfidenceInterval(sorted, p);
    const value = quantileSorted(sorted, p);
    // Other percentiles: the order-statistic interval of the pooled samples, widened by the spread between processes.
    const across = acrossRepetitionsAround(repetitionPercentiles(config, p), value);
    if (!across) return { value, low: ci.low, high: ci.high, fromSamples: true };
    return {
      value,
      low: ci.low === null ? null : Math.min(ci.low, across.low),
      high: ci.high === null ? null : Math.max(ci.high, across.high),
      fromSamples: true,
    };
  }
  // Documents without samples keep only statistics: scale the median's relative CI, the best left.
  const value = percentile === 'p50' ? stats.median : stats[percentile];
  const scale = stats.median > 0 ? value / stats.median : 1;
  return {
    value,
    low: stats.ciLow === null ? null : stats.ciLow * scale,
    high: stats.ciHigh === null ? null : stats.ciHigh * scale,
    fromSamples: false,
  };
}

function pointStatus(estimate: PercentileEstimate, waitMs: number, options: CapacityOptions): TargetStatus | null {
  if (!Number.isFinite(options.targetMs)) return null;
  if (waitMs > options.maxBatchDelayMs) return 'fails';
  const target = options.targetMs;
  if (estimate.high !== null && estimate.high + waitMs <= target) return 'meets';
  if (estimate.value + waitMs <= target) return 'borderline';
  if (estimate.low !== null && estimate.low + waitMs <= target) return 'borderline';
  return 'fails';
}

type CurvePointWithCi = CurvePoint & { latencyCiLowMs: number | null; latencyCiHighMs: number | null };

interface PointInputs {
  percentile: ReturnType<typeof watchedPercentile>;
  options: CapacityOptions;
  eligible: boolean;
  target: number | null;
  pricePerHour: number;
  deviceClass: ReturnType<typeof deviceClassOf>;
}

/** Each measured concurrency level: its percentile with CI, the wait for a batch, status and cost. */
function measuredPoints(setup: Setup, input: PointInputs): { points: CapacityPoint[]; curve: CurvePointWithCi[] } {
  const { percentile, options, eligible, target, pricePerHour } = input;
  const points: CapacityPoint[] = [];
  const curve: CurvePointWithCi[] = [];
  for (const config of setup.configs) {
    if (!isMeasured(config)) continue;
    const estimate = percentileOf(config, percentile);
    const throughputRps = config.throughput.itemsPerSec;
    const wait = batchWaitMs(setup.batch, throughputRps);
    const status = pointStatus(estimate, wait, options);
    const meetsHere = eligible && (status === null || estimate.value + wait <= options.targetMs) && wait <= options.maxBatchDelayMs;
    const cost =
      !meetsHere || throughputRps <= 0
        ? null
        : target === null
          ? costPerMillion(pricePerHour, 1, throughputRps)
          : costPerMillion(pricePerHour, instancesFor(target, throughputRps), target);
    points.push({
      configId: config.id,
      concurrency: config.concurrency,
      throughputRps,
      percentileMs: estimate.value,
      percentileCiLowMs: estimate.low,
      percentileCiHighMs: estimate.high,
      percentileCiFromSamples: estimate.fromSamples,
      medianMs: config.latencyMs.median,
      medianCiLowMs: config.latencyMs.ciLow,
      medianCiHighMs: config.latencyMs.ciHigh,
      batchWaitMs: wait,
      status,
      costPerMillion: cost,
      stable: config.stable,
      ciHalfWidthRel: config.latencyMs.ciHalfWidthRel,
      // The GPU's draw (nvidia-smi) for GPU setups; for CPU setups the CPU package's (RAPL) where readable.
      // nvidia-smi also reads while a CPU configuration runs: that idle GPU's draw is not the CPU setup's.
      powerWatts:
        input.deviceClass === 'gpu'
          ? (config.gpu?.powerDrawWatts ?? null)
          : config.ep === 'cpu'
            ? (config.cpu?.packagePowerWatts ?? null)
            : null,
    });
    curve.push({
      concurrency: config.concurrency,
      throughputRps,
      latencyMs: estimate.value,
      latencyCiLowMs: estimate.low,
      latencyCiHighMs: estimate.high,
    });
  }
  return { points, curve };
}

type Serving = { instances: number; ok: boolean } | null;

/** Capacity under the target, and whether the requirement is served at the estimate and at both CI ends. */
function servingEstimates(curve: CurvePointWithCi[], options: CapacityOptions, target: number | null, eligible: boolean) {
  const capacity = capacityOf(curve, options);
  const serves = (capacityRps: number | null, frontier: readonly CurvePoint[]): Serving => {
    if (!eligible || capacityRps === null || capacityRps <= 0) return null;
    const instances = target === null ? 1 : instancesFor(target, capacityRps);
    const load = target === null ? capacityRps : target / instances;
    return { instances, ok: meetsAtLoad(frontier, load, options) };
  };
  const estimate = serves(capacity.maxThroughputRps, throughputFrontier(curve));
  const pessimistic = serves(capacity.lowRps, throughputFrontier(curve.map((p) => ({ ...p, latencyMs: p.latencyCiHighMs ?? Infinity }))));
  const optimistic = serves(capacity.highRps, throughputFrontier(curve.map((p) => ({ ...p, latencyMs: p.latencyCiLowMs ?? 0 }))));
  const meetsRequirement = estimate?.ok === true;
  const targetStatus: TargetStatus = meetsRequirement
    ? pessimistic?.ok === true && pessimistic.instances === estimate?.instances
      ? 'meets'
      : 'borderline'
    : optimistic?.ok === true
      ? 'borderline'
      : 'fails';
  return { capacity, estimate, pessimistic, meetsRequirement, targetStatus };
}

/** Why a setup misses the requirement, in words: not eligible, misses at every level, or at the load it must carry. */
function missIssues(
  setup: Setup,
  ctx: { requirement: Requirement; options: CapacityOptions; eligible: boolean },
  points: CapacityPoint[],
  serving: ReturnType<typeof servingEstimates>,
): string[] {
  const { requirement, options, eligible } = ctx;
  const { batch } = setup;
  const percentile = watchedPercentile(requirement);
  const target = requirement.throughputRps;
  const { capacity, estimate } = serving;
  if (!eligible)
    return [`Batch ${batch} needs time for a batch to fill: it is considered only with a batching delay (${setting('batchDelay')}).`];
  if (capacity.maxThroughputRps === null && requirement.latency !== null && points.length > 0) {
    const best = points.reduce((a, b) => (b.percentileMs + b.batchWaitMs < a.percentileMs + a.batchWaitMs ? b : a));
    if (batch > 1 && best.batchWaitMs > options.maxBatchDelayMs) {
      return [
        `A batch of ${batch} takes ${formatMs(best.batchWaitMs)} to fill even at ${formatRps(best.throughputRps)}, more than ` +
          `the ${formatMs(options.maxBatchDelayMs)} batching delay allowed.`,
      ];
    }
    return [
      `Misses ${percentile} ≤ ${formatMs(options.targetMs)} at every level measured: ` +
        `${formatMs(best.percentileMs + best.batchWaitMs)} at best (concurrency ${best.concurrency}).`,
    ];
  }
  if (estimate && !estimate.ok && target !== null) {
    const load = target / estimate.instances;
    return [
      batch > 1
        ? `At ${formatRps(load)} per instance (${estimate.instances} instance${estimate.instances === 1 ? '' : 's'} for ` +
          `${formatRps(target)}) a batch of ${batch} takes ${formatMs(batchWaitMs(batch, load))} to fill: beyond the batching ` +
          `delay or the latency target.`
        : `At ${formatRps(load)} per instance the latency target is missed.`,
    ];
  }
  return [];
}

/** Whether the levels the capacity rests on can carry a verdict, and what is missing where they cannot. */
function reliabilityOf(setup: Setup, requirement: Requirement, points: CapacityPoint[], capacity: ReturnType<typeof capacityOf>) {
  const issues: string[] = [];
  const percentile = watchedPercentile(requirement);
  // The levels the capacity rests on: up to the upper bracket (or all when nothing meets).
  const upTo = capacity.concurrency?.[1] ?? Infinity;
  const used = points.filter((p) => p.concurrency <= upTo);
  const operating = points.find((p) => p.concurrency === (capacity.concurrency?.[0] ?? points[0]?.concurrency)) ?? points[0];
  for (const p of used) {
    if (!p.stable) issues.push(`${p.configId} never became stable during warm-up.`);
    if (p.ciHalfWidthRel === null) {
      issues.push(`${p.configId}: ${NO_CI_TEXT} (fewer than 6 samples): measure longer (${setting('maxTime')}).`);
    } else if (p.ciHalfWidthRel > VERDICT_MAX_CI_HALF_WIDTH) {
      issues.push(
        `${p.configId}: the median's 95 % CI reaches ±${(p.ciHalfWidthRel * 100).toFixed(1)} % (more than ` +
          `±${VERDICT_MAX_CI_HALF_WIDTH * 100} %): measure longer (${setting('maxTime')}).`,
      );
    }
  }
  const percentileBounded = requirement.latency === null || (operating !== undefined && operating.percentileCiHighMs !== null);
  if (!percentileBounded && operating) {
    issues.push(
      `${operating.configId}: ${countOf(setup, operating.configId)} samples cannot bound the ${percentile} from above: measure ` +
        `more runs (${setting('minIterations')}).`,
    );
  }
  const reliable = used.length > 0 && used.every((p) => p.stable && ciWithinVerdict(p.ciHalfWidthRel)) && percentileBounded;
  if (operating && !operating.percentileCiFromSamples)
    issues.push('The run kept no samples: the percentile CI is scaled from the median CI.');
  const percentileStable =
    operating !== undefined &&
    operating.percentileCiLowMs !== null &&
    operating.percentileCiHighMs !== null &&
    Math.max(operating.percentileMs - operating.percentileCiLowMs, operating.percentileCiHighMs - operating.percentileMs) <=
      PERCENTILE_STABLE_REL * operating.percentileMs;
  return { used, operating, reliable, percentileStable, issues };
}

export function buildRow(setup: Setup, ctx: RowContext): VerdictRow {
  const { requirement, prices } = ctx;
  const { run, ep, batch, threads } = setup;
  const options = capacityOptions(requirement, batch);
  const target = requirement.throughputRps;
  const deviceClass = deviceClassOf(run, ep);
  const gpuName = gpuNameFor(run, ep);
  const price = instancePrice(prices, deviceClass, gpuName, ctx.machine);
  const eligible = batch === 1 || requirement.latency === null || requirement.maxBatchDelayMs > 0;

  const pointInputs = { percentile: watchedPercentile(requirement), options, eligible, target, pricePerHour: price.perHour, deviceClass };
  const { points, curve } = measuredPoints(setup, pointInputs);
  const serving = servingEstimates(curve, options, target, eligible);
  const { capacity, estimate, pessimistic, meetsRequirement, targetStatus } = serving;
  const reliability = reliabilityOf(setup, requirement, points, capacity);
  const { used, operating } = reliability;
  const issues = [...missIssues(setup, { requirement, options, eligible }, points, serving), ...reliability.issues];

  const cap = capacity.maxThroughputRps;
  const instances = estimate?.instances ?? null;
  const costAtTarget =
    meetsRequirement && cap !== null
      ? target === null
        ? costPerMillion(price.perHour, 1, cap)
        : costPerMillion(price.perHour, instances ?? 1, target)
      : null;
  const powerPoint = operating && operating.powerWatts !== null ? operating : points.find((p) => p.powerWatts !== null);
  const energy =
    powerPoint && powerPoint.powerWatts !== null && powerPoint.throughputRps > 0
      ? energyPerInferenceJ(powerPoint.powerWatts, powerPoint.throughputRps)
      : null;

  // Only the levels the capacity rests on: noise at a level beyond it does not touch the answer.
  const configIds = new Set(used.map((p) => p.configId));
  const warnings = run.warnings
    .filter((w) => w.configId === null || configIds.has(w.configId))
    .map((w) => (w.configId ? `${w.configId}: ${w.message}` : w.message));

  const label = setupLabel(run, ep, threads, batch, ctx.showVariant ? setup.variant : null);
  return {
    id: setup.id,
    label: ctx.prefixRun ? `${ctx.runLabel}: ${label}` : label,
    runId: run.id,
    runLabel: ctx.runLabel,
    machine: machineLabel(run),
    machineName: ctx.machine.name,
    machineId: ctx.machine.id,
    model: run.model.name,
    variant: setup.variant,
    variantLabel: variantLabel(run, setup.variant),
    variantQuality: variantQualityText(run, setup.variant),
    ep,
    deviceClass,
    gpuName,
    softwareAdapter: isSoftwareAdapter(run, ep),
    batch,
    threads,
    points,
    capacity,
    eligible,
    meetsRequirement,
    targetStatus,
    instances,
    instancesRange: estimate ? [estimate.instances, pessimistic?.instances ?? null] : null,
    pricePerHour: price.perHour,
    priceLabel: price.label,
    costPerMillion: costAtTarget,
    costPerMillionAtCapacity: cap !== null && cap > 0 ? costPerMillion(price.perHour, 1, cap) : null,
    energyPerInferenceJ: energy,
    electricityPerMillion: energy === null ? null : electricityPerMillion(energy, prices.electricityPerKwh),
    reliable: reliability.reliable,
    percentileStable: reliability.percentileStable,
    issues,
    warnings,
  };
}

function countOf(setup: Setup, configId: string): number {
  return setup.configs.find((c) => c.id === configId)?.latencyMs?.count ?? 0;
}

/** A median CI narrow enough for a verdict; no CI at all (too few samples) never is. */
export function ciWithinVerdict(ciHalfWidthRel: number | null): boolean {
  return ciHalfWidthRel !== null && ciHalfWidthRel <= VERDICT_MAX_CI_HALF_WIDTH;
}
