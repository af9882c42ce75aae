export { adviseDeployment, modelRows } from './verdict';
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
  machinePrice,
  resolvePrices,
  type BreakEvenInput,
  type BreakEvenNumbers,
  type InstancePrice,
  type PricedMachine,
} from './cost';
export { computeBreakEven, setupOnMachine, spansMachines } from './break-even';
export { machineOutcomes, machinesSentence } from './machines';
export { bestLatencyMs, byCost, fastest, operatingPoint } from './ranking';
export {
  comparisonBasis,
  compareConfigurations,
  compareRuns,
  describeRatio,
  environmentDifferences,
  type CompareItem,
  type CompareOptions,
} from './compare';
export {
  CAPACITY_DEFINITION,
  ITEMS_PER_SEC_DEFINITION,
  ITEMS_PER_SEC_HEADING,
  ITEMS_RATIO_DEFINITION,
  MEDIAN_CAPACITY_DEFINITION,
  RUNS_PER_SEC_DEFINITION,
  rateBreakdown,
  rateBreakdownText,
  rateNote,
  throughputMismatch,
  type RateBreakdown,
  type RateSource,
} from './throughput';
export { percentileConfidenceInterval, type PercentileConfidenceInterval } from './percentile-ci';
export {
  deviceClassOf,
  gpuNameFor,
  groupModels,
  groupSetups,
  isHardwareGpuProvider,
  isMeasured,
  isSoftwareAdapter,
  machineIdentity,
  machineKeyOf,
  machineLabel,
  machineNames,
  machinesDiffer,
  measuresVariants,
  newestSetups,
  ORIGINAL_VARIANT,
  runProviderName,
  runLabels,
  runSetupText,
  runTimeLabel,
  setupLabel,
  threadsLabel,
  variantLabel,
  variantQualityText,
  type ModelGroup,
  type Setup,
  type SupersededPair,
} from './setups';
export { formatJoules, formatMedianCi, formatMsRange, formatRps, formatTarget, formatUsd, PERCENTILE_FRACTION } from './format';
