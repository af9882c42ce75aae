/**
 * The report's charts section: latency distributions, the latency–throughput curve with the
 * target, batch scaling and speed against quality, each a figure with its caption.
 */
import {
  deviceClassOf,
  formatTarget,
  measuresVariants,
  ORIGINAL_VARIANT,
  runProviderName,
  threadsLabel,
  variantLabel,
} from '../../shared/advice';
import type { ConfigResult, RunDocument } from '../../shared/domain/run';
import { setting } from '../../shared/settings';
import { formatCount, formatMs, formatSignificant, quantileSorted, sortSamples } from '../../shared/stats';
import { latencyBoxChart, lineChart, variantChart, type BoxSeries, type CurveSeries, type VariantPoint } from './charts';
import { chartConfigLabel, runKey, type SectionContext } from './section-kit';
import { esc } from './svg';

/** "CPU, 4 threads" / "CUDA": threads only shape CPU kernels. */
function deviceText(run: RunDocument, ep: string, threads: number): string {
  return deviceClassOf(run, ep) === 'gpu' ? runProviderName(run, ep) : `${runProviderName(run, ep)}, ${threadsLabel(threads)}`;
}

/** "<run> · <variant> · " as far as the report has several runs or variants. */
function seriesPrefix(ctx: SectionContext, runIndex: number, variant: string): string {
  const run = ctx.runs[runIndex] as RunDocument;
  const parts: string[] = [];
  if (ctx.runs.length > 1) parts.push(ctx.chartLabels[runIndex] ?? run.id);
  if (measuresVariants(ctx.runs)) parts.push(variantLabel(run, variant));
  return parts.map((p) => `${p} · `).join('');
}

function boxSeries(label: string, c: ConfigResult): BoxSeries | null {
  if (c.status !== 'done' || c.samples.length === 0) return null;
  const sorted = sortSamples(c.samples);
  return {
    label,
    min: sorted[0] as number,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
  };
}

export function chartsSection(ctx: SectionContext): string {
  const parts = ['<section class="charts"><h2>Charts</h2>'];
  const boxes = ctx.runs
    .flatMap((run, i) => run.configs.map((c) => boxSeries(chartConfigLabel(ctx, i, c.id), c)))
    .filter((b): b is BoxSeries => b !== null);
  if (boxes.length) {
    parts.push(
      `<figure>${latencyBoxChart(boxes)}<figcaption>Latency distribution of every configuration, per request. Box: quartiles; ` +
        `bar: median; whiskers: min to p99; dot: max.${esc(runKey(ctx))}</figcaption></figure>`,
    );
  }

  const percentile = ctx.verdict?.requirement.latency?.percentile ?? 'p95';
  const curves: CurveSeries[] = [];
  if (ctx.verdict) {
    for (const row of ctx.verdict.rows) {
      if (row.points.length === 0) continue;
      const runIndex = ctx.runs.findIndex((r) => r.id === row.runId);
      const setup = ctx.runs.length > 1 && row.label.startsWith(`${row.runLabel}: `) ? row.label.slice(row.runLabel.length + 2) : row.label;
      const label = ctx.runs.length > 1 ? `${ctx.chartLabels[runIndex] ?? row.runLabel} · ${setup}` : setup;
      curves.push({
        label,
        points: row.points.map((p) => ({ x: p.throughputRps, y: p.percentileMs + p.batchWaitMs, tag: `c${p.concurrency}` })),
      });
    }
  } else {
    ctx.runs.forEach((run, i) => {
      const groups = new Map<string, CurveSeries>();
      for (const c of run.configs) {
        if (c.status !== 'done' || !c.latencyMs || !c.throughput) continue;
        const key = `${c.variant}/${c.ep}/b${c.batch}/t${c.threads}`;
        const label = `${seriesPrefix(ctx, i, c.variant)}${deviceText(run, c.ep, c.threads)}, batch ${c.batch}`;
        const series = groups.get(key) ?? { label, points: [] };
        series.points.push({ x: c.throughput.itemsPerSec, y: c.latencyMs.p95, tag: `c${c.concurrency}` });
        groups.set(key, series);
      }
      curves.push(...groups.values());
    });
  }
  if (curves.length) {
    const target = ctx.verdict?.requirement.latency;
    parts.push(
      `<figure>${lineChart(curves, {
        title: 'Latency against throughput',
        xLabel: 'throughput (requests/s, all requests in flight)',
        yLabel: `${percentile} latency per request`,
        formatX: (v) => formatCount(v),
        formatY: formatMs,
        ...(target ? { hLine: { y: target.ms, label: `target ${formatTarget(target)}` } } : {}),
      })}<figcaption>Each point is a measured concurrency level (c1, c2, …)${
        ctx.verdict?.requirement.maxBatchDelayMs ? '; batch setups include the wait for a batch to fill' : ''
      }. ${
        curves.every((c) => c.points.length < 2)
          ? 'Only one concurrency level was measured per setup, so there is no curve yet: measure with ' +
            `${setting('concurrency', '1,2,4,8')}.`
          : ''
      }${esc(runKey(ctx))}</figcaption></figure>`,
    );
  }

  const batchSeries: CurveSeries[] = [];
  ctx.runs.forEach((run, i) => {
    const groups = new Map<string, CurveSeries>();
    for (const c of run.configs) {
      if (c.status !== 'done' || !c.throughput) continue;
      const key = `${c.variant}/${c.ep}/t${c.threads}/c${c.concurrency}`;
      const label = `${seriesPrefix(ctx, i, c.variant)}${deviceText(run, c.ep, c.threads)}, concurrency ${c.concurrency}`;
      const series = groups.get(key) ?? { label, points: [] };
      series.points.push({ x: c.batch, y: c.throughput.itemsPerSec, tag: `b${c.batch}` });
      groups.set(key, series);
    }
    batchSeries.push(...[...groups.values()].filter((s) => s.points.length > 1));
  });
  for (const s of batchSeries) s.points.sort((a, b) => a.x - b.x);
  if (batchSeries.length) {
    parts.push(
      `<figure>${lineChart(batchSeries, {
        title: 'Batch scaling',
        xLabel: 'batch size',
        yLabel: 'items per ' + 'second',
        formatX: (v) => formatSignificant(v),
        formatY: (v) => formatCount(v),
        logX: true,
      })}<figcaption>Items per second against batch size: a flat line means batching buys nothing on this hardware.${esc(
        runKey(ctx),
      )}</figcaption></figure>`,
    );
  }

  const variants = variantPoints(ctx);
  if (variants.points.length > 1) {
    parts.push(
      `<figure>${variantChart(variants.points, variants.metric)}<figcaption>Fastest median (batch 1, concurrency 1) per model variant${
        variants.metric
          ? ` against ${esc(variants.metric)} (the model as given scores 1 by definition)`
          : '; output quality was not measured for these variants'
      }.</figcaption></figure>`,
    );
  }
  parts.push('</section>');
  return parts.join('');
}

/**
 * One point per model variant: its fastest batch-1, concurrency-1 median and a quality figure
 * against the original — the caller's, else top-1 agreement when every variant has it, else
 * the cosine similarity of the outputs.
 */
function variantPoints(ctx: SectionContext): { points: VariantPoint[]; metric: string | null } {
  const fastest = new Map<string, { label: string; medianMs: number; run: RunDocument; variant: string }>();
  ctx.runs.forEach((run, i) => {
    for (const c of run.configs) {
      if (c.status !== 'done' || !c.latencyMs || c.batch !== 1 || c.concurrency !== 1) continue;
      const label = `${ctx.runs.length > 1 ? `${ctx.chartLabels[i]} · ` : ''}${variantLabel(run, c.variant)}`;
      const known = fastest.get(label);
      if (!known || c.latencyMs.median < known.medianMs)
        fastest.set(label, { label, medianMs: c.latencyMs.median, run, variant: c.variant });
    }
  });
  const entries = [...fastest.values()];
  const given = ctx.variantQuality;
  if (given)
    return {
      points: entries.map((e) => ({
        label: e.label,
        medianMs: e.medianMs,
        quality: given.byVariant[e.variant] ?? given.byVariant[e.label] ?? null,
      })),
      metric: given.metric,
    };
  const qualityOf = (e: (typeof entries)[number]) =>
    e.variant === ORIGINAL_VARIANT ? null : e.run.variants.find((v) => v.id === e.variant)?.quality[0];
  const others = entries.filter((e) => e.variant !== ORIGINAL_VARIANT);
  const metric: 'top1Agreement' | 'cosine' | null =
    others.length && others.every((e) => qualityOf(e)?.top1Agreement !== undefined)
      ? 'top1Agreement'
      : others.length && others.every((e) => qualityOf(e))
        ? 'cosine'
        : null;
  return {
    points: entries.map((e) => ({
      label: e.label,
      medianMs: e.medianMs,
      quality: metric === null ? null : e.variant === ORIGINAL_VARIANT ? 1 : (qualityOf(e)?.[metric] ?? null),
    })),
    metric:
      metric === 'top1Agreement'
        ? 'top-1 agreement with the original'
        : metric === 'cosine'
          ? 'cosine similarity to the original outputs'
          : null,
  };
}
