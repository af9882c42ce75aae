export { adviseDeployment } from './verdict';
export {
  measuredSetups,
  noisyRuns,
  remeasurePlan,
  REMEASURE_FACTOR,
  REMEASURE_MAX_TIME_MS,
  REMEASURE_MIN_TIME_MS,
  REMEASURE_TIME_CAP_MS,
} from './remeasure';
export { buildRow, capacityOptions, watchedPercentile, PERCENTILE_STABLE_REL, VERDICT_MAX_CI_HALF_WIDTH } from './rows';
export {
  batchWaitMs,
  capacityOf,
  latencyAtLoad,
  meetsAtLoad,
  nextConcurrency,
  sustainableThroughput,
  throughputFrontier,
  SWEEP_MAX_CONCURRENCY,
  SWEEP_MIN_GAIN,
  type CapacityEstimate,
  type CapacityOptions,
  type CurvePoint,
  type SweepOptions,
  type SweepPoint,
  type UncertainCurvePoint,
} from './capacity';
export {
  breakEven,
  costPerMillion,
  electricityPerMillion,
  energyPerInferenceJ,
  instancePrice,
  instancesFor,
  resolvePrices,
  type BreakEvenInput,
  type BreakEvenNumbers,
  type InstancePrice,
} from './cost';
export { compareConfigurations, compareRuns, describeRatio, type CompareItem, type CompareOptions } from './compare';
export { percentileConfidenceInterval, type PercentileConfidenceInterval } from './percentile-ci';
export {
  deviceClassOf,
  gpuNameFor,
  groupSetups,
  isHardwareGpuProvider,
  isMeasured,
  isSoftwareAdapter,
  machineIdentity,
  machineLabel,
  machinesDiffer,
  measuresVariants,
  ORIGINAL_VARIANT,
  runProviderName,
  runLabels,
  setupLabel,
  threadsLabel,
  variantLabel,
  variantQualityText,
  type Setup,
} from './setups';
export { formatJoules, formatMedianCi, formatMsRange, formatRps, formatTarget, formatUsd, PERCENTILE_FRACTION } from './format';
