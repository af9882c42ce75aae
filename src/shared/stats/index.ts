export * from './constants';
export { createRng, type Rng } from './random';
export { median, percentile, quantileSorted, sortSamples } from './quantile';
export {
  approximateMedianCiRanks,
  ciHalfWidthRelative,
  exactMedianCiRanks,
  medianCiRanks,
  medianConfidenceIntervalSorted,
  standardNormalCdf,
  standardNormalQuantile,
  type MedianCiMethod,
  type MedianCiRanks,
  type MedianConfidenceInterval,
} from './median-ci';
export { assertLatencySamples, computeStatistics, type StatisticsOptions } from './compute';
export { isStable, shouldStopMeasuring, stopCheckInterval, type StopCriteria, type StopDecision } from './stopping';
export { trendRatio } from './trend';
export { compareMeasured, compareMedians, type CompareOptions, type MeasuredSide } from './compare';
export { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from './student-t';
export {
  acrossRepetitionsAround,
  compareAcrossRepetitions,
  medianAcrossRepetitions,
  outlierRepetitions,
  type RepetitionInterval,
  type RepetitionRatio,
} from './repetitions';
export { histogram, type HistogramOptions } from './histogram';
export {
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatRatio,
  formatSignificant,
  NO_CI_TEXT,
  type PercentOptions,
} from './format';
export {
  ComparisonVerdictSchema,
  HistogramSchema,
  LatencyStatsSchema,
  MedianComparisonSchema,
  type ComparisonVerdict,
  type Histogram,
  type LatencyStats,
  type MedianComparison,
} from './schema';
