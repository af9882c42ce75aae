/**
 * The tunables of Inferscope's measuring method, in one place so that the
 * report can print them and a change to the method is one diff.
 * Sources: docs/measurement.md.
 */

/** Confidence level of every interval Inferscope reports (median CI, ratio of medians). */
export const CI_CONFIDENCE = 0.95;

/**
 * Up to this many samples the median CI ranks come from the exact binomial
 * distribution (summed in log space, O(n)); beyond it from the normal
 * approximation with continuity correction (O(1)). At n = 1000 the two pick
 * the same ranks or the approximation picks one rank wider (more conservative),
 * so the switch never narrows an interval.
 */
export const EXACT_BINOMIAL_MAX_N = 1000;

/**
 * Samples beyond Q3 + 3·IQR (or below Q1 − 3·IQR) count as outliers. Three
 * IQRs rather than Tukey's 1.5 because latency distributions are right-skewed
 * and we only want to flag real hiccups (GC, page faults, preemption).
 */
export const OUTLIER_IQR_FACTOR = 3;

/** Warm-up is stable when the medians of the last 3 windows are within ±2 % of their mean (Triton perf_analyzer). */
export const STABILITY_TOLERANCE = 0.02;
export const STABILITY_WINDOWS = 3;

/** Measurement stops only after at least this many samples ... */
export const DEFAULT_MIN_ITERATIONS = 30;
/** ... and at least this much measuring time ... */
export const DEFAULT_MIN_TIME_MS = 2_000;
/** ... once the 95 % CI of the median lies within ±1 % of it ... */
export const DEFAULT_CI_TARGET_REL = 0.01;
/** ... or when this much time has passed, reporting the interval actually reached. */
export const DEFAULT_MAX_TIME_MS = 20_000;
/** The placement profiling pass stops starting runs once it has used this share of the maximum measuring time. */
export const PROFILE_MAX_TIME_SHARE = 0.25;

/**
 * How often the measuring loop should ask shouldStopMeasuring: after every
 * max(STOP_CHECK_MIN_INTERVAL, STOP_CHECK_GROWTH · n) new samples. Each check
 * sorts all samples (O(n log n)); growing the interval with n keeps the total
 * cost of all checks O(n log n) too, instead of O(n² log n) for a fixed k.
 */
export const STOP_CHECK_MIN_INTERVAL = 10;
export const STOP_CHECK_GROWTH = 0.1;

/** The report warns about thermal throttling when the last quarter's median is > 5 % above the first quarter's. */
export const THERMAL_TREND_WARN_RATIO = 1.05;
/** Below this many samples a quarter holds too few samples for its median to mean anything. */
export const TREND_MIN_SAMPLES = 8;

/** Bootstrap resamples for the CI of a ratio of medians. */
export const BOOTSTRAP_RESAMPLES = 2_000;
/**
 * No difference under this share is claimed, whatever its interval: separate runs of one setup on one machine differ
 * by about this much even when nothing changed (docs/measurement.md#comparisons; scripts/bench-repeatability.mjs).
 */
export const RUN_TO_RUN_FLOOR = 0.02;
/** A difference between two runs is never claimed from fewer samples than this per run. */
export const COMPARE_MIN_SAMPLES = 10;
/** Seed used when the caller gives none, so a report recomputed from stored samples says the same thing. */
export const DEFAULT_BOOTSTRAP_SEED = 0x1a7e_5c0b;

/** Charts get at most this many histogram bins, whatever Freedman–Diaconis asks for. */
export const HISTOGRAM_MAX_BINS = 60;

/** The percentile definition every number in Inferscope uses; the report prints it beside the method. */
export const PERCENTILE_METHOD = "linear interpolation between closest ranks (numpy 'linear', Hyndman–Fan type 7)";

/** Warm-up gives up on stability after this long and says so in the result. */
export const DEFAULT_WARMUP_MAX_MS = 10_000;

/**
 * Repetitions (docs/measurement.md#repetitions): with no count asked for, a configuration whose first
 * repetition (worker start, session, warm-up and measuring) took under QUICK_REPETITION_MAX_MS is
 * measured in DEFAULT_QUICK_REPETITIONS fresh processes; a slower one once, with a note that
 * run-to-run variation was not sampled.
 */
export const DEFAULT_QUICK_REPETITIONS = 3;
export const QUICK_REPETITION_MAX_MS = 5_000;
/** The most repetitions a plan may ask for. */
export const MAX_REPETITIONS = 20;

/**
 * A repetition is flagged when its median is further from the others' than both 5 % and three
 * robust standard deviations of theirs (see outlierRepetitions).
 */
export const REPETITION_OUTLIER_MIN_REL = 0.05;
export const REPETITION_OUTLIER_MAD_FACTOR = 3;
