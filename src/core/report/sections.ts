/**
 * The report's sections as HTML fragments, each from run documents and the verdict. Every
 * string from a document goes through esc(): model names, paths and messages are data.
 */
import {
  compareRuns,
  deviceClassOf,
  formatJoules,
  formatMedianCi,
  formatMsRange,
  formatRps,
  formatTarget,
  formatUsd,
  machineLabel,
  measuresVariants,
  ORIGINAL_VARIANT,
  runProviderName,
  threadsLabel,
  variantLabel,
  variantQualityText,
} from '../../shared/advice';
import type { ModelVerdict, Verdict, VerdictRow } from '../../shared/domain/advice';
import { listedVariantVerdict } from '../../shared/domain/quality-verdict';
import type { ConfigResult, RunDocument, RunVariant } from '../../shared/domain/run';
import { describeProfile } from '../../shared/domain/profile';
import { fedInputsText } from '../../shared/domain/input-values';
import { setting } from '../../shared/settings';
import {
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRatio,
  formatSignificant,
  histogram,
  NO_CI_TEXT,
  PERCENTILE_METHOD,
  quantileSorted,
  RUN_TO_RUN_FLOOR,
  sortSamples,
} from '../../shared/stats';
import { ciScopeLabel, ciScopeSentence } from '../../shared/domain/uncertainty';
import { configEfficiency, efficiencyText } from '../../shared/domain/efficiency';
import { histogramChart, latencyBoxChart, lineChart, variantChart, type BoxSeries, type CurveSeries, type VariantPoint } from './charts';
import { esc } from './svg';

/** Bootstrap work per comparison in the report (resamples × samples), about 50 ms each. */
const REPORT_BOOTSTRAP_DRAWS = 4_000_000;

export interface SectionContext {
  runs: readonly RunDocument[];
  labels: readonly string[];
  /** Short names for charts, where full run labels do not fit: "run 1", "run 2" (empty for one run). */
  chartLabels: readonly string[];
  verdict: Verdict | null;
  variantQuality: { metric: string; byVariant: Record<string, number> } | null;
}

type Cell = string | { html: string; className?: string };

function cellHtml(c: Cell): string {
  if (typeof c === 'string') return `<td>${esc(c)}</td>`;
  return `<td${c.className ? ` class="${c.className}"` : ''}>${c.html}</td>`;
}

function table(headers: readonly string[], rows: readonly (readonly Cell[])[], className = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function pairs(entries: readonly [string, string][]): string {
  return `<dl class="pairs">${entries.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

const STATUS_TEXT: Record<ModelVerdict['status'], string> = {
  'cpu-suffices': 'CPU suffices',
  'gpu-needed': 'GPU needed',
  'gpu-worth-it': 'GPU worth it',
  'nothing-meets': 'Nothing meets the requirement',
  'insufficient-data': 'Not enough data',
};

function configLabel(ctx: SectionContext, runIndex: number, configId: string): string {
  return ctx.runs.length > 1 ? `${ctx.labels[runIndex]} · ${configId}` : configId;
}

function chartConfigLabel(ctx: SectionContext, runIndex: number, configId: string): string {
  return ctx.runs.length > 1 ? `${ctx.chartLabels[runIndex]} · ${configId}` : configId;
}

/** "run 1 = resnet-mini on …; run 2 = …" under charts that use the short names. */
function runKey(ctx: SectionContext): string {
  return ctx.runs.length > 1 ? ` ${ctx.runs.map((_, i) => `${ctx.chartLabels[i]}: ${ctx.labels[i]}`).join('; ')}.` : '';
}

export function verdictSection(ctx: SectionContext): string {
  const v = ctx.verdict;
  if (!v) {
    const done = ctx.runs.flatMap((run, i) =>
      run.configs.filter((c) => c.status === 'done' && c.latencyMs).map((c) => ({ c, label: configLabel(ctx, i, c.id) })),
    );
    const best = done.sort((a, b) => (a.c.latencyMs?.median ?? Infinity) - (b.c.latencyMs?.median ?? Infinity))[0];
    const none =
      'No requirement was given, so there is no verdict: give a latency target and a throughput ' +
      `(${setting('latencyTarget')} and ${setting('throughput')} in the Decide view) to learn whether a GPU is needed.`;
    return `<section class="verdict none"><h2>Verdict</h2><p class="summary">${none}${
      best
        ? ` The fastest configuration measured is ${esc(best.label)} with a median of ${esc(formatMs(best.c.latencyMs?.median ?? NaN))}.`
        : ''
    }</p></section>`;
  }
  // A verdict is per model: each model's headline names it, with the run its answer rests on.
  const parts: string[] = [];
  const list = (title: string, items: readonly string[]): void => {
    if (items.length) parts.push(`<h3>${esc(title)}</h3><ul>${items.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`);
  };
  for (const m of v.models) {
    const badge = `<span class="badge">${esc(STATUS_TEXT[m.status])}</span>`;
    parts.push(`<section class="verdict status-${m.status}"><h2>Verdict for ${esc(m.model)} ${badge}</h2>`);
    parts.push(`<p class="summary">${esc(m.summary)}</p>${m.basis ? `<p class="basis">Rests on ${esc(m.basis.text)}.</p>` : ''}`);
    list('What it rests on', m.evidence);
    if (m.breakEven) parts.push(`<h3>Break-even for a GPU</h3><p>${esc(m.breakEven.explanation)}</p>`);
    list('Missing for a firmer answer', m.missing);
    list('Caveats', m.caveats);
    list('Older measurements left out', m.superseded.map((s) => s.text)); // prettier-ignore
    const gpuNotes = v.runs.filter((r) => m.runIds.includes(r.id)).flatMap((r) => (r.gpuNote === null ? [] : [r.gpuNote]));
    if (gpuNotes.length) parts.push(`<p class="note">${gpuNotes.map(esc).join('<br>')}</p></section>`);
    else parts.push('</section>');
  }
  return parts.join('');
}

export function requirementSection(ctx: SectionContext): string {
  const v = ctx.verdict;
  if (!v) return '';
  const r = v.requirement;
  const entries: [string, string][] = [
    ['Latency target', r.latency ? `${formatTarget(r.latency)} per request` : 'none (throughput only)'],
    ['Sustained throughput', r.throughputRps === null ? 'not given (latency question only)' : formatRps(r.throughputRps)],
    ['Batching delay allowed', r.maxBatchDelayMs > 0 ? formatMs(r.maxBatchDelayMs) : 'none (batch 1 only)'],
    ['CPU machine', `${formatUsd(r.prices.cpuPerHour)} per hour${r.prices.assumed.includes('cpu') ? ' (assumed)' : ''}`],
    ['GPU machine', `${formatUsd(r.prices.gpuPerHour)} per hour${r.prices.assumed.includes('gpu') ? ' (assumed)' : ''}`],
    ...Object.entries(r.prices.gpuByName).map(([k, p]): [string, string] => [`${k} GPU machine`, `${formatUsd(p)} per hour`]),
    ['Electricity', `${formatUsd(r.prices.electricityPerKwh)} per kWh${r.prices.assumed.includes('electricity') ? ' (assumed)' : ''}`],
  ];
  return (
    `<section><h2>Requirement and ` +
    `assumptions</h2>${pairs(entries)}<h3>Assumptions</h3><ul>${v.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul></section>`
  );
}

export function environmentSection(ctx: SectionContext): string {
  const parts = ['<section><h2>Hardware and software</h2>'];
  ctx.runs.forEach((run, i) => {
    const hw = run.environment.hardware;
    const env = run.environment;
    if (ctx.runs.length > 1) parts.push(`<h3>${esc(ctx.labels[i] ?? run.id)}</h3>`);
    parts.push(
      pairs([
        ['Machine', machineLabel(run)],
        [
          'CPU',
          `${hw.cpu.brand}: ${hw.cpu.physicalCores} physical / ${hw.cpu.logicalCores} logical ` +
            `cores${hw.cpu.maxGhz ? `, up to ${hw.cpu.maxGhz} GHz` : ''}, ${hw.cpu.arch}`,
        ],
        [
          'Inference instructions',
          hw.cpu.inferenceFlags
            .filter((f) => f.present)
            .map((f) => f.name)
            .join(', ') || 'none of note',
        ],
        [
          'Peak FP32 (estimate)',
          hw.cpu.peakGflopsFp32 === null ? 'unknown' : `${formatSignificant(hw.cpu.peakGflopsFp32)} GFLOP/s — ${hw.cpu.peakGflopsFormula}`,
        ],
        ['Memory', `${formatBytes(hw.memory.totalBytes)} total, ${formatBytes(hw.memory.availableBytes)} available`],
        ['OS', `${hw.os.distro} ${hw.os.release} (${hw.os.platform} ${hw.os.arch}, kernel ${hw.os.kernel}), host ${hw.os.hostname}`],
        [
          'GPUs',
          hw.gpus.length
            ? hw.gpus
                .map(
                  (g) =>
                    `${g.name}${g.vramBytes ? ` (${formatBytes(g.vramBytes)})` : ''}${
                      g.driver ? `, driver ` + `${g.driver}` : ''
                    }${g.cudaVersion ? `, CUDA ${g.cudaVersion}` : ''}`,
                )
                .join('; ')
            : 'none detected',
        ],
        [
          'Software',
          `Inferscope ${env.app.version} (${env.host}), Node ${env.versions.node}, onnxruntime ` +
            `${env.versions.onnxruntime}${
              env.versions.electron ? `, Electron ` + `${env.versions.electron}` : ''
            }${env.versions.chromium ? `, Chromium ${env.versions.chromium}` : ''}`,
        ],
        [
          'Run',
          `${run.id}, ${run.createdAt}${run.finishedAt ? ` – ${run.finishedAt}` : ''}, ` +
            `${run.status}${run.importedFrom ? `, imported from ${run.importedFrom}` : ''}`,
        ],
      ]),
    );
    parts.push(
      table(
        ['Execution provider', 'Status', 'Detail'],
        hw.providers.map((p) => [
          p.displayName,
          p.status + (p.software ? ' (software adapter: not a GPU)' : ''),
          p.detail + (p.installHint ? ` — install: ${p.installHint}` : ''),
        ]),
        'compact',
      ),
    );
  });
  parts.push('</section>');
  return parts.join('');
}

export function modelSection(ctx: SectionContext): string {
  const seen = new Set<string>();
  const parts = ['<section><h2>Model</h2>'];
  for (const run of ctx.runs) {
    const m = run.model;
    const key = m.sha256;
    if (seen.has(key)) continue;
    seen.add(key);
    const tensor = (t: { name: string; type: string; shape: (string | number)[] | null }): string =>
      `${t.name} ${t.type}[${t.shape === null ? '?' : t.shape.join(', ')}]`;
    parts.push(`<h3>${esc(m.name)}</h3>`);
    parts.push(
      pairs([
        ['File', `${m.path} (${formatBytes(m.sizeBytes)})`],
        ['SHA-256', m.sha256],
        ['Precision', m.precision],
        ['Parameters', formatCount(m.parameters)],
        ['MACs per item', m.macs === null ? 'unknown' : formatCount(m.macs)],
        ['Nodes', String(m.nodeCount)],
        ['Opsets', m.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')],
        ['Inputs', m.inputs.map(tensor).join('; ')],
        ['Outputs', m.outputs.map(tensor).join('; ')],
        [
          'Dimensions used',
          Object.entries(m.dims)
            .map(([k, v]) => `${k} = ${v}`)
            .join(', ') || 'batch only',
        ],
        ['Inputs fed', fedInputs(run)],
        ...(run.inputProfile ? [['Input profile', profileText(run.inputProfile)] as [string, string]] : []),
      ]),
    );
    if (run.variants.some((v) => v.id !== ORIGINAL_VARIANT)) {
      parts.push(
        table(
          ['Variant', 'Mode', 'Precision', 'Size', 'Output quality against the original'],
          run.variants.map((v) => [v.label, v.mode ?? 'as given', v.precision, formatBytes(v.sizeBytes), variantQualityCell(run, v)]),
          'compact',
        ),
      );
    }
  }
  parts.push('</section>');
  return parts.join('');
}

/** The verdict word first, then the figures: "Unusable — output boxes: 12 NaN …", "Good (by its figures) — SQNR 41.2 dB, …". */
function variantQualityCell(run: RunDocument, variant: RunVariant): string {
  if (variant.id === ORIGINAL_VARIANT) return 'reference';
  const figures = variantQualityText(run, variant.id);
  // The variant's own verdict when the run carries it; else one from the figures, which do not say whether the inputs were real.
  const judged = listedVariantVerdict(variant);
  if (!figures || !judged) return figures ?? 'not measured';
  const word = judged.verdict.charAt(0).toUpperCase() + judged.verdict.slice(1);
  const qualifier = judged.fromFigures ? ' (by its figures)' : '';
  const why = judged.verdict === 'good' ? figures : `${judged.reason}; ${figures}`;
  return `${word}${qualifier} — ${why}`;
}

export function methodSection(ctx: SectionContext): string {
  const seen = new Set<string>();
  const parts = ['<section><h2>Method</h2>'];
  ctx.runs.forEach((run, i) => {
    const p = run.plan;
    const text = JSON.stringify(run.method);
    const planText =
      `Plan: providers ${p.eps.join(', ') || 'every ready provider'}; batch ${p.batches.join(', ')}; threads ` +
      `${p.threads.map((t) => (t === 0 ? 'default' : String(t))).join(', ')}; concurrency ${p.concurrency.join(', ')}; at least ` +
      `${p.minIterations} runs and ${formatMs(p.minTimeMs)}, at most ${formatMs(p.maxTimeMs)} per configuration; CI target ` +
      `±${formatPercent(p.ciTargetRel)}; warm-up at most ${formatMs(p.warmupMaxMs)}; graph optimization ` +
      `${p.graphOptimizationLevel}; inputs ${p.inputs.dir ? `from ${p.inputs.dir}` : `random, seed ${p.inputs.seed}`}.`;
    if (seen.has(text + planText)) return;
    seen.add(text + planText);
    if (ctx.runs.length > 1) parts.push(`<h3>${esc(ctx.labels[i] ?? run.id)}</h3>`);
    parts.push(
      `<ul class="method"><li><b>Warm-up.</b> ${esc(run.method.warmup)}</li><li><b>Stopping.</b> ` +
        `${esc(run.method.stopping)}</li><li><b>Statistics.</b> ${esc(run.method.statistics)}</li><li><b>Concurrency.</b> ` +
        `${esc(run.method.concurrency)}</li><li>${esc(planText)}</li></ul>`,
    );
  });
  parts.push(
    `<p class="note">Percentiles: ${esc(PERCENTILE_METHOD)}. Comparisons claim a difference only when the 95 % CI of the ` +
      `ratio of medians excludes 1 (Welch's t over the repetitions' medians where there are repetitions, a bootstrap of one ` +
      `process's samples where not) and the difference is at least ${formatPercent(RUN_TO_RUN_FLOOR, { digits: 0 })}, what separate ` +
      `runs of one setup differ by when nothing changed.</p>`,
  );
  parts.push('</section>');
  return parts.join('');
}

function pointFor(ctx: SectionContext, run: RunDocument, configId: string): { row: VerdictRow; status: string | null } | null {
  for (const row of ctx.verdict?.rows ?? []) {
    if (row.runId !== run.id) continue;
    const point = row.points.find((p) => p.configId === configId);
    if (point) return { row, status: row.eligible ? point.status : 'not eligible' };
  }
  return null;
}

export function resultsSection(ctx: SectionContext): string {
  const rows: Cell[][] = [];
  ctx.runs.forEach((run, i) => {
    for (const c of run.configs) {
      const l = c.status === 'done' ? c.latencyMs : null;
      const verdict = pointFor(ctx, run, c.id);
      const status = verdict?.status ?? null;
      rows.push([
        configLabel(ctx, i, c.id),
        c.status === 'done' ? (c.stable ? 'done' : 'done, not stable') : `${c.status}${c.error ? `: ${c.error.code}` : ''}`,
        l ? `${formatMs(l.median)} (${formatMedianCi(l.ciLow, l.ciHigh)}, ${ciScopeLabel(c)})` : '—',
        l ? formatMs(l.p90) : '—',
        l ? formatMs(l.p95) : '—',
        l ? formatMs(l.p99) : '—',
        c.throughput ? formatCount(c.throughput.itemsPerSec) : '—',
        c.sessionCreateMs === null ? '—' : formatMs(c.sessionCreateMs),
        c.firstRunMs === null ? '—' : formatMs(c.firstRunMs),
        c.memory ? formatBytes(c.memory.rssPeakBytes) : '—',
        status ? { html: esc(status), className: `st-${status.replace(/\s+/g, '-')}` } : '—',
      ]);
    }
  });
  const target = ctx.verdict?.requirement.latency;
  const ids = "Configuration ids read provider/batch/threads/concurrency (threads 0 = onnxruntime's default).";
  return `<section><h2>Results per configuration</h2><p class="note">${ids}${
    target
      ? ` "Meets" compares the ${target.percentile} of each level (plus any batch wait) with ${esc(formatTarget(target))}: ` +
        `meets even at the top of its 95 % CI, borderline where the CI straddles the target.`
      : ''
  }</p>${table(
    [
      'Configuration',
      'Status',
      'Median (95 % ' + 'CI)',
      'p90',
      'p95',
      'p99',
      'items/s',
      'Session create',
      'First run',
      'Peak RSS',
      target ? `${target.percentile} vs ` + `target` : 'Target',
    ],
    rows,
    'results',
  )}</section>`;
}

function runLine(r: VerdictRow): string {
  return r.label.startsWith(`${r.runLabel}: `) ? '' : `<br><span class="small">${esc(r.runLabel)}</span>`;
}

export function setupsSection(ctx: SectionContext): string {
  const v = ctx.verdict;
  if (!v || v.rows.length === 0) return '';
  const cheapest = new Set(v.models.map((m) => m.cheapest));
  const rows: Cell[][] = v.rows.map((r) => {
    const cap = r.capacity;
    const capacity =
      cap.maxThroughputRps === null
        ? 'none'
        : formatRps(cap.maxThroughputRps) +
          (cap.basis === 'interpolated' ? ' (interpolated)' : '') +
          (v.requirement.latency ? capacityBracket(cap) : '');
    return [
      // Every row names its run (model and time) when the label does not already start with it.
      { html: `${esc(r.label)}${cheapest.has(r.id) ? ' <span class="badge small">cheapest</span>' : ''}${runLine(r)}` },
      {
        html: esc(r.meetsRequirement ? r.targetStatus : r.targetStatus === 'borderline' ? 'borderline (misses)' : 'fails'),
        className: `st-${r.meetsRequirement ? r.targetStatus : 'fails'}`,
      },
      capacity,
      r.instances === null ? '—' : String(r.instances),
      `${formatUsd(r.pricePerHour)}/h`,
      r.costPerMillion === null ? '—' : formatUsd(r.costPerMillion),
      r.costPerMillionAtCapacity === null ? '—' : formatUsd(r.costPerMillionAtCapacity),
      r.energyPerInferenceJ === null ? '—' : `${formatJoules(r.energyPerInferenceJ)} (${formatUsd(r.electricityPerMillion ?? NaN)}/M)`,
      r.reliable ? (r.percentileStable ? 'yes' : 'yes; percentile unstable') : 'no',
    ];
  });
  const issues = v.rows.flatMap((r) => [...r.issues, ...r.capacity.notes].map((i) => `${r.label}: ${i}`));
  const note =
    'A setup is a provider, batch and thread count across its measured concurrency levels. Capacity is the most requests per ' +
    'second one instance sustains within the target; brackets give it with the percentile at either end of its 95 % CI.';
  return `<section><h2>Setups against the requirement</h2><p class="note">${note}</p>${table(
    ['Setup', 'Requirement', 'Capacity', 'Instances', 'Price', 'Cost per million', 'Fully loaded', 'Energy / inference', 'Reliable'],
    rows,
    'setups',
  )}${issues.length ? `<ul class="issues">${issues.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : ''}</section>`;
}

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

export function placementSection(ctx: SectionContext): string {
  const rows: Cell[][] = [];
  const fallbacks: string[] = [];
  ctx.runs.forEach((run, i) => {
    for (const c of run.configs) {
      const p = c.placement;
      const label = configLabel(ctx, i, c.id);
      if (!p) {
        if (c.placementError) fallbacks.push(`${label}: placement not profiled — ${c.placementError}`);
        continue;
      }
      const shares = Object.entries(p.timeShareByEp)
        .sort((a, b) => b[1] - a[1])
        .map(([ep, s]) => `${ep.replace('ExecutionProvider', '')} ${formatPercent(s, { digits: 0 })}`)
        .join(', ');
      const nodes = Object.entries(p.nodesByEp)
        .map(([ep, k]) => `${ep.replace('ExecutionProvider', '')} ${k}`)
        .join(', ');
      const top = p.topOps
        .slice(0, 4)
        .map((o) => `${o.op} ${formatPercent(o.timeShare, { digits: 0 })}`)
        .join(', ');
      rows.push([label, shares, nodes, String(p.fallbackNodes.length), top]);
      if (p.fallbackNodes.length && c.ep !== 'cpu') {
        fallbacks.push(
          `${label}: ${p.fallbackNodes.length} node(s) ran elsewhere than ${p.requestedProvider}: ${p.fallbackNodes
            .slice(0, 12)
            .map((f) => `${f.node} (${f.op} on ${f.provider.replace('ExecutionProvider', '')})`)
            .join(', ')}${p.fallbackNodes.length > 12 ? ', …' : ''}`,
        );
      }
    }
  });
  if (!rows.length && !fallbacks.length)
    return '<section><h2>Operator placement</h2><p>No configuration was profiled (profiling was off for this run).</p></section>';
  const note = 'From a separate profiled pass; profiling distorts timing, so its times are never mixed into the measured samples.';
  const headers = ['Configuration', 'Time by provider', 'Nodes by provider', 'Fallback nodes', 'Top operators by time'];
  return `<section><h2>Operator placement and fallbacks</h2><p class="note">${note}</p>${table(headers, rows, 'compact')}${
    fallbacks.length ? `<ul class="issues">${fallbacks.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''
  }</section>`;
}

export function comparisonSection(ctx: SectionContext): string {
  const comparisons = compareRuns(ctx.runs, { maxBootstrapDraws: REPORT_BOOTSTRAP_DRAWS }).slice(0, 24);
  if (!comparisons.length) return '';
  const resamples = comparisons.flatMap((c) => c.entries.map((e) => e.vsBaseline?.resamples ?? Infinity));
  const fewest = Math.min(...resamples);
  const parts = [
    `<section><h2>Comparisons</h2><p class="note">Ratios of medians against the first entry, with 95 % bootstrap CIs (seeded, ` +
      `so the report is ` +
      `reproducible${resampleCount(fewest, Math.max(...resamples.filter(Number.isFinite)))}).</p>`,
  ];
  for (const cmp of comparisons) {
    parts.push(`<h3>${esc(cmp.title)}</h3>`);
    parts.push(
      table(
        ['Entry', 'Median (95 % CI)', 'p95', 'items/s', 'Throughput ratio', 'Against the baseline'],
        cmp.entries.map((e) => [
          e.label,
          e.medianMs === null ? '—' : `${formatMs(e.medianMs)} (${formatMedianCi(e.ciLowMs, e.ciHighMs)})`,
          e.p95Ms === null ? '—' : formatMs(e.p95Ms),
          e.throughputRps === null ? '—' : formatCount(e.throughputRps),
          e.throughputRatio === null ? '—' : formatRatio(e.throughputRatio),
          e.statement,
        ]),
        'compact',
      ),
    );
    if (cmp.notes.length) parts.push(`<p class="note">${cmp.notes.map(esc).join(' ')}</p>`);
  }
  parts.push('</section>');
  return parts.join('');
}

export function warningsSection(ctx: SectionContext): string {
  const items = ctx.runs.flatMap((run, i) =>
    run.warnings.map((w) => `${ctx.runs.length > 1 ? `${ctx.labels[i]} · ` : ''}${w.configId ? `${w.configId}: ` : ''}${w.message}`),
  );
  if (!items.length)
    return (
      '<section><h2>Noise warnings</h2><p>None: no frequency-scaling, battery, background-load, throttling or stability ' +
      'problem was detected during the runs.</p></section>'
    );
  return `<section><h2>Noise warnings</h2><ul class="issues">${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul></section>`;
}

/** Each repetition's median, within-process CI and sample count, for the appendix. */
function repetitionRows(c: ConfigResult): [string, string][] {
  if (c.repetitions.length < 2) return [];
  const each = c.repetitions.map((r) =>
    r.latencyMs
      ? `#${r.index} ${formatMs(r.latencyMs.median)} (${r.latencyMs.count} samples${r.outlier ? ', stands apart' : ''})`
      : `#${r.index} ${r.status}`,
  );
  return [['repetitions', each.join('; ')]];
}

/** Achieved GFLOP/s and the share of the cores' fp32 peak, where the model's MACs are known. */
function efficiencyRows(run: RunDocument, c: ConfigResult): [string, string][] {
  const e = configEfficiency(run, c);
  return e ? [['compute', `${efficiencyText(e)} (2 × MACs × batch × runs/s)`]] : [];
}

export function appendixSection(ctx: SectionContext): string {
  const parts = ['<section class="appendix"><h2>Appendix: full statistics</h2>'];
  ctx.runs.forEach((run, i) => {
    for (const c of run.configs) {
      const l = c.status === 'done' ? c.latencyMs : null;
      if (!l) continue;
      const label = configLabel(ctx, i, c.id);
      const stats: [string, string][] = [
        ['samples', String(l.count)],
        ['min / max', `${formatMs(l.min)} / ${formatMs(l.max)}`],
        ['mean ± sd', `${formatMs(l.mean)} ± ${formatMs(l.stdev)} (cv ${formatPercent(l.cv)})`],
        [
          'median (95 % CI)',
          l.ciLow === null || l.ciHigh === null || l.ciHalfWidthRel === null
            ? `${formatMs(l.median)} (${NO_CI_TEXT}: ${l.count} sample${l.count === 1 ? '' : 's'})`
            : `${formatMs(l.median)} (${formatMsRange(l.ciLow, l.ciHigh)}, ±${formatPercent(l.ciHalfWidthRel, { digits: 2 })}, ` +
              `${l.ciMethod}, coverage ${formatPercent(l.ciCoverage)})`,
        ],
        ['CI covers', ciScopeSentence(c)],
        ...repetitionRows(c),
        ...efficiencyRows(run, c),
        ['q1 / q3', `${formatMs(l.q1)} / ${formatMs(l.q3)}`],
        ['p90 / p95 / p99', `${formatMs(l.p90)} / ${formatMs(l.p95)} / ${formatMs(l.p99)}`],
        ['outliers (3·IQR)', `${l.outliersLow} low, ${l.outliersHigh} high`],
        [
          'throughput',
          c.throughput ? `${formatCount(c.throughput.runsPerSec)} runs/s, ${formatCount(c.throughput.itemsPerSec)} items/s` : '—',
        ],
        [
          'warm-up',
          c.warmup ? `${c.warmup.iterations} runs in ${formatMs(c.warmup.ms)}, ${c.warmup.stable ? 'stable' : 'not stable'}` : '—',
        ],
        [
          'measurement',
          `${c.measureMs === null ? '—' : formatMs(c.measureMs)}, stopped: ` +
            `${c.stopReason ?? '—'}${c.trendRatio !== null ? `, trend ×${formatSignificant(c.trendRatio)}` : ''}`,
        ],
        [
          'load / session / first run',
          `${c.loadMs === null ? '—' : formatMs(c.loadMs)} / ${c.sessionCreateMs === null ? '—' : formatMs(c.sessionCreateMs)} ` +
            `/ ${c.firstRunMs === null ? '—' : formatMs(c.firstRunMs)}`,
        ],
        [
          'memory (RSS)',
          c.memory
            ? `${formatBytes(c.memory.rssBeforeCreateBytes)} before, ${formatBytes(c.memory.rssAfterCreateBytes)} after create, ` +
              `${formatBytes(c.memory.rssPeakBytes)} peak`
            : '—',
        ],
        ['CPU', c.cpu ? `${formatSignificant(c.cpu.avgCoresBusy)} cores busy on average` : '—'],
        [
          'GPU',
          c.gpu
            ? `${c.gpu.utilizationPercent ?? '—'} % busy, ` +
              `${c.gpu.memoryUsedBytes === null ? '—' : formatBytes(c.gpu.memoryUsedBytes)}, ${c.gpu.powerDrawWatts ?? '—'} W`
            : '—',
        ],
      ];
      // A few very slow runs would squeeze every other sample into one bar: draw up to the
      // outlier fence (Q3 + 3·IQR, the statistics' own definition) and say what was left out.
      const fence = l.q3 + 3 * (l.q3 - l.q1);
      const shown = c.samples.filter((x) => x <= fence);
      const hidden = c.samples.length - shown.length;
      const chart = shown.length
        ? `<figure>${histogramChart(histogram(shown), `Latency histogram of ` + `${label}`)}${
            hidden
              ? `<figcaption>${hidden} outlier${hidden === 1 ? '' : 's'} above ${esc(formatMs(fence))} (Q3 + ` +
                `3·IQR) not drawn.</figcaption>`
              : ''
          }</figure>`
        : '';
      parts.push(`<div class="stat-block"><h3>${esc(label)}</h3><div class="stat-row">${chart}${pairs(stats)}</div></div>`);
    }
  });
  parts.push('</section>');
  return parts.join('');
}

/** " [low–high]" where the capacity differs at the ends of the percentile's CI, else nothing. */
function capacityBracket(cap: { maxThroughputRps: number | null; lowRps: number | null; highRps: number | null }): string {
  if (cap.lowRps === cap.maxThroughputRps && cap.highRps === cap.maxThroughputRps) return '';
  const end = (rps: number | null): string => (rps === null ? 'none' : formatCount(rps));
  return ` [${end(cap.lowRps)}–${end(cap.highRps)}]`;
}

/** "; 2000 resamples" or "; 400 to 2000 resamples" (fewer where a side had few samples). */
function resampleCount(fewest: number, most: number): string {
  if (!Number.isFinite(fewest)) return '';
  return `; ${fewest === most ? fewest : `${fewest} to ${most}`} resamples`;
}

/** The shapes and data the first configuration with inputs was fed: what every figure of the run rests on. */
function fedInputs(run: RunDocument): string {
  const fed = run.configs.find((c) => c.inputs.length > 0)?.inputs ?? [];
  return fed.length === 0 ? 'not recorded' : fedInputsText(fed);
}

function profileText(profile: NonNullable<RunDocument['inputProfile']>): string {
  return `${describeProfile(profile)} (${profile.origin === 'sample' ? 'stated by the sample' : 'saved for this model'})`;
}
