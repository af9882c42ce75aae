import { z } from 'zod';
import { latencyAxisCap, latencyHistogram, thinSamples, type LatencyHistogram, type SamplePoints } from '../stats/latency-series';
import type { ConfigResult } from './run';
import { runTimeline, type RunTimeline } from './run-timeline';

const SamplePointsSchema = z.object({
  index: z.array(z.number().int().nonnegative()),
  ms: z.array(z.number()),
  total: z.number().int().nonnegative(),
}) satisfies z.ZodType<SamplePoints>;

const LatencyHistogramSchema = z.object({
  bins: z.array(z.object({ fromMs: z.number(), toMs: z.number(), count: z.number().int().nonnegative() })),
  above: z.object({ fromMs: z.number(), count: z.number().int().nonnegative() }).nullable(),
  total: z.number().int().nonnegative(),
}) satisfies z.ZodType<LatencyHistogram>;

const TimelinePointSchema = z.object({ x: z.number(), y: z.number() });

const RunTimelineSchema = z.object({
  line: z.array(TimelinePointSchema),
  peaks: z.array(TimelinePointSchema),
  bucketed: z.boolean(),
  warmupS: z.number().nullable(),
  boundaries: z.array(z.object({ atS: z.number(), index: z.number().int() })),
  endS: z.number(),
  total: z.number().int().nonnegative(),
}) satisfies z.ZodType<RunTimeline>;

/**
 * What a configuration's details draw from its samples: at most a few thousand numbers however
 * many samples there are. A run sends these with each finished configuration instead of the samples
 * themselves: tens of thousands of samples in one message kept the page busy for hundreds of
 * milliseconds just receiving and reading them, while the run was still streaming.
 */
export const ConfigChartsSchema = z.object({
  /** Each sample in measuring order, thinned evenly to at most CHART_POINTS_CAP. */
  points: SamplePointsSchema,
  /** Every sample counted into equal bins up to the axis cap, the tail as one bar. */
  histogram: LatencyHistogramSchema,
  /** Where the latency axes end (see latencyAxisCap); null without samples. */
  capMs: z.number().nullable(),
  /** Latency against time since measuring began, repetitions end to end. */
  timeline: RunTimelineSchema,
});
export type ConfigCharts = z.infer<typeof ConfigChartsSchema>;

/** The parts of a configuration its charts are drawn from. */
export type ChartedConfig = Pick<ConfigResult, 'samples' | 'samplesPerThread' | 'measureMs' | 'warmup' | 'repetitions'>;

/** The charts of a configuration's samples; a few milliseconds for any number of them. */
export function configCharts(config: ChartedConfig): ConfigCharts {
  return {
    points: thinSamples(config.samples),
    histogram: latencyHistogram(config.samples),
    capMs: latencyAxisCap(config.samples),
    timeline: runTimeline(config),
  };
}

/** A finished configuration as a run's event carries it: its results and charts, its samples left out. */
export function configSummary(config: ConfigResult): { config: ConfigResult; charts: ConfigCharts } {
  return { config: { ...config, samples: [] }, charts: configCharts(config) };
}

/** Measured, but its samples are not here: left out of a run's event, or of a run read without them. */
export function samplesLeftOut(config: Pick<ConfigResult, 'samples' | 'latencyMs' | 'repetitions'>): boolean {
  return config.samples.length === 0 && ((config.latencyMs?.count ?? 0) > 0 || config.repetitions.some((r) => r.sampleCount > 0));
}
