/**
 * The report's sections as HTML fragments, each from run documents and the verdict. Every
 * string from a document goes through esc(): model names, paths and messages are data.
 */
import { formatMsRange, formatRps, formatTarget, formatUsd, ORIGINAL_VARIANT, variantQualityText } from '../../shared/advice';
import type { ModelVerdict } from '../../shared/domain/advice';
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
  formatSignificant,
  histogram,
  NO_CI_TEXT,
  PERCENTILE_METHOD,
  RUN_TO_RUN_FLOOR,
} from '../../shared/stats';
import { ciScopeSentence } from '../../shared/domain/uncertainty';
import { configEfficiency, efficiencyText } from '../../shared/domain/efficiency';
import { histogramChart } from './charts';
import { configLabel, pairs, table, type Cell, type SectionContext } from './section-kit';
import { esc } from './svg';
import { convertedFromText } from './converted';
import { machinePriceEntries, machinesTable, runMachineText } from './machines';

export type { SectionContext } from './section-kit';
export { chartsSection } from './chart-section';
export { comparisonSection, resultsSection, setupsSection } from './result-tables';

const STATUS_TEXT: Record<ModelVerdict['status'], string> = {
  'cpu-suffices': 'CPU suffices',
  'gpu-needed': 'GPU needed',
  'gpu-worth-it': 'GPU worth it',
  'nothing-meets': 'Nothing meets the requirement',
  'insufficient-data': 'Not enough data',
};

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
    parts.push(machinesTable(m));
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
    ...machinePriceEntries(v),
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
        ['Machine', runMachineText(run)],
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
    const source = convertedFromText(m);
    const origin: [string, string][] = source
      ? [['Converted from', `${source}, SHA-256 ${m.convertedFrom?.sha256 ?? ''}; checked against the original before use`]]
      : [];
    parts.push(`<h3>${esc(m.name)}${source ? ` (converted from ${esc(m.convertedFrom?.name ?? '')})` : ''}</h3>`);
    parts.push(
      pairs([
        ...origin,
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

/** The shapes and data the first configuration with inputs was fed: what every figure of the run rests on. */
function fedInputs(run: RunDocument): string {
  const fed = run.configs.find((c) => c.inputs.length > 0)?.inputs ?? [];
  return fed.length === 0 ? 'not recorded' : fedInputsText(fed);
}

function profileText(profile: NonNullable<RunDocument['inputProfile']>): string {
  return `${describeProfile(profile)} (${profile.origin === 'sample' ? 'stated by the sample' : 'saved for this model'})`;
}
