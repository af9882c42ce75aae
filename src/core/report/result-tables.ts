/**
 * The report's tables of figures: results per configuration, setups against the requirement
 * (in the Decide view's words) and the comparisons.
 */
import { compareRuns, formatMedianCi, formatTarget, formatUsd } from '../../shared/advice';
import {
  capacityText,
  ENERGY_HEADING,
  ENERGY_TITLE,
  energyText,
  instancesText,
  ROW_STATUS_LABEL,
  ROW_STATUS_TITLE,
  rowRequirementStatus,
  type RowRequirementStatus,
} from '../../shared/advice/row-status';
import type { VerdictRow } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { formatBytes, formatCount, formatMs, formatRatio } from '../../shared/stats';
import { ciScopeLabel } from '../../shared/domain/uncertainty';
import { configLabel, table, type Cell, type SectionContext } from './section-kit';
import { esc } from './svg';

/** Bootstrap work per comparison in the report (resamples × samples), about 50 ms each. */
export const REPORT_BOOTSTRAP_DRAWS = 4_000_000;

function pointFor(ctx: SectionContext, run: RunDocument, configId: string): { row: VerdictRow; status: string | null } | null {
  for (const row of ctx.verdict?.rows ?? []) {
    if (row.runId !== run.id) continue;
    const point = row.points.find((p) => p.configId === configId);
    // The Decide view's words: a batch that needs a batching delay is not eligible, not failing.
    if (point) return { row, status: row.eligible ? point.status : ROW_STATUS_LABEL['not-eligible'] };
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
        // An id may break after a slash where the page is narrow: "cpu/b8/" over "t1/c2".
        { html: esc(configLabel(ctx, i, c.id)).replace(/\//g, '/<wbr>') },
        c.status === 'done' ? (c.stable ? 'done' : 'done, not stable') : `${c.status}${c.error ? `: ${c.error.code}` : ''}`,
        l ? twoLines(formatMs(l.median), formatMedianCi(l.ciLow, l.ciHigh), ciScopeLabel(c)) : '—',
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
  const energy = v.rows.some((r) => r.energyPerInferenceJ !== null);
  const statuses = new Set<RowRequirementStatus>();
  const rows: Cell[][] = v.rows.map((r) => {
    // The same words as the Decide view's table: status, capacity with its range and how it was found, instances.
    const status = rowRequirementStatus(r);
    statuses.add(status);
    const capacity = capacityText(r);
    const capacityLines = [capacity.range && `[${capacity.range}]`, capacity.note].filter((x): x is string => Boolean(x));
    return [
      // Every row names its run (model and time) when the label does not already start with it.
      { html: `${esc(r.label)}${cheapest.has(r.id) ? ' <span class="badge small">cheapest</span>' : ''}${runLine(r)}` },
      { html: esc(ROW_STATUS_LABEL[status]), className: `st-${status}` },
      { html: [esc(capacity.value), ...capacityLines.map((x) => `<span class="small">${esc(x)}</span>`)].join('<br>') },
      instancesText(r),
      `${formatUsd(r.pricePerHour)}/h`,
      r.costPerMillion === null ? '—' : formatUsd(r.costPerMillion),
      r.costPerMillionAtCapacity === null ? '—' : formatUsd(r.costPerMillionAtCapacity),
      ...(energy ? [energyText(r)] : []),
      r.reliable ? (r.percentileStable ? 'yes' : 'yes (its percentile’s CI is wide)') : 'no',
    ];
  });
  const issues = v.rows.flatMap((r) => [...r.issues, ...r.capacity.notes].map((i) => `${r.label}: ${i}`));
  const note =
    'A setup is a provider, batch and thread count across its measured concurrency levels. Capacity is the most requests per ' +
    'second one instance sustains within the target; brackets give it with the percentile at either end of its 95 % CI.';
  // Paper has no tooltips: what each status word means, as the Decide view's hover says it.
  const issueList = issues.length ? `<ul class="issues">${issues.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '';
  const energyKey = energy ? ` <b>${ENERGY_HEADING}</b>: ${esc(ENERGY_TITLE)}.` : '';
  const statusKey = [...statuses].map((st) => `<b>${esc(ROW_STATUS_LABEL[st])}</b>: ${esc(ROW_STATUS_TITLE[st])}.`).join(' ');
  return `<section><h2>Setups against the requirement</h2><p class="note">${note}</p>${table(
    [
      'Setup',
      'Requirement',
      'Capacity',
      'Instances',
      'Price',
      'Cost per million',
      'Fully loaded',
      ...(energy ? [ENERGY_HEADING] : []),
      'Reliable',
    ],
    rows,
    'setups',
  )}<p class="note">${statusKey}${energyKey}</p>${issueList}</section>`;
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
        ['Entry', 'Median per request (95 % CI)', 'p95', 'items/s', 'Items/s vs baseline', 'Time per request vs baseline'],
        cmp.entries.map((e) => [
          e.label,
          e.medianMs === null ? '—' : twoLines(formatMs(e.medianMs), formatMedianCi(e.ciLowMs, e.ciHighMs)),
          e.p95Ms === null ? '—' : formatMs(e.p95Ms),
          e.throughputRps === null ? '—' : formatCount(e.throughputRps),
          e.throughputRatio === null ? '—' : formatRatio(e.throughputRatio),
          // A time ratio that reads against the items/s ratio beside it says why (batch, requests in flight, gaps).
          e.throughputNote ? twoLines(e.statement, e.throughputNote) : e.statement,
        ]),
        'compact compare',
      ),
    );
    if (cmp.notes.length) parts.push(`<p class="note">${cmp.notes.map(esc).join(' ')}</p>`);
  }
  parts.push('</section>');
  return parts.join('');
}

/** "; 2000 resamples" or "; 400 to 2000 resamples" (fewer where a side had few samples). */
function resampleCount(fewest: number, most: number): string {
  if (!Number.isFinite(fewest)) return '';
  return `; ${fewest === most ? fewest : `${fewest} to ${most}`} resamples`;
}

/** A figure with its qualifiers under it in small type: "8.19 ms" over "7.31–8.65 ms" over "1 process". */
function twoLines(main: string, ...subs: string[]): Cell {
  return { html: [esc(main), ...subs.map((sub) => `<span class="small">${esc(sub)}</span>`)].join('<br>') };
}
