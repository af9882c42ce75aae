/**
 * "Copy as Markdown" for the app's tables: a GitHub-flavoured Markdown table of what a table shows, built from the
 * same cell texts the table renders, for pasting into an issue or a chat.
 */
import type { Comparison, ModelVerdict, Verdict } from '../../../shared/domain/advice';
import type { RunDocument } from '../../../shared/domain/run';
import { ciScopeLabel } from '../../../shared/domain/uncertainty';
import { formatMsRange } from '../../../shared/advice/format';
import { formatCount, formatMs, formatRatio, NO_CI_TEXT } from '../../../shared/stats/format';
import { ENERGY_HEADING } from '../../../shared/advice/row-status';
import { entryLines, readEntry } from './compare-items';
import {
  capacityText,
  energyText,
  instancesText,
  orderedRows,
  ROW_STATUS_LABEL,
  rowRequirementStatus,
  setupName,
  usdText,
} from './decide-verdict';
import { resultCells } from './run-results';

export type Align = 'left' | 'right';

export interface TextTable {
  headers: readonly string[];
  /** Per column; numbers are right-aligned as in the app. */
  align: readonly Align[];
  rows: readonly (readonly string[])[];
}

/** A cell's text made safe for one Markdown table cell: pipes escaped, line breaks and runs of spaces folded. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

/** The table as GitHub-flavoured Markdown; a row shorter than the header is filled with empty cells. */
export function markdownTable(table: TextTable): string {
  const width = table.headers.length;
  const line = (cells: readonly string[]): string => `| ${Array.from({ length: width }, (_, i) => cell(cells[i] ?? '')).join(' | ')} |`;
  const rule = `| ${table.headers.map((_, i) => (table.align[i] === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [line(table.headers), rule, ...table.rows.map(line)].join('\n') + '\n';
}

const joined = (...parts: (string | null | undefined | false)[]): string => parts.filter(Boolean).join(' · ');

/** The Benchmark results table of a run. */
export function resultsTable(doc: RunDocument): TextTable {
  const variants = new Map(doc.variants.map((variant) => [variant.id, variant.label]));
  return {
    headers: ['Configuration', 'Status', 'Median', '95 % CI of the median', 'p95', 'p99', 'Items/s', 'Session', 'First run'],
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows: doc.configs.map((config) => {
      const c = resultCells(
        config,
        config.variant === 'original' ? null : (variants.get(config.variant) ?? config.variant),
        ciScopeLabel(config),
      );
      return [
        c.configuration,
        c.status,
        c.median,
        joined(c.ci !== '—' && c.ci, c.ciNote) || c.ci,
        c.p95,
        c.p99,
        c.itemsPerSec,
        c.session,
        c.firstRun,
      ];
    }),
  };
}

/** The Compare table: one row per entry, the baseline first. */
export function compareTable(comparison: Comparison): TextTable {
  return {
    headers: ['Entry', 'Median', '95 % CI of the median', 'Time vs baseline', 'Verdict', 'p95', 'Items/s', 'Items/s vs baseline'],
    align: ['left', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
    rows: comparison.entries.map((entry, i) => {
      const reading = readEntry(entry, i);
      const lines = entryLines(entry);
      const ci =
        entry.ciLowMs !== null && entry.ciHighMs !== null
          ? formatMsRange(entry.ciLowMs, entry.ciHighMs)
          : entry.medianMs !== null
            ? NO_CI_TEXT
            : '—';
      const ratio = i === 0 ? '1×' : reading.timeRatio ? `${reading.timeRatio.value} (${reading.timeRatio.ci})` : '—';
      return [
        joined(lines.config, lines.run, entry.variant !== 'original' && entry.variant),
        entry.medianMs === null ? '—' : formatMs(entry.medianMs),
        ci,
        ratio,
        joined(reading.headline, reading.detail),
        entry.p95Ms === null ? '—' : formatMs(entry.p95Ms),
        entry.throughputRps === null ? '—' : formatCount(entry.throughputRps),
        joined(entry.throughputRatio !== null && formatRatio(entry.throughputRatio), entry.throughputNote) || '—',
      ];
    }),
  };
}

/** The Decide view's setups-and-costs table of one model. */
export function costTable(verdict: Verdict, model: ModelVerdict): TextTable {
  const rows = orderedRows(verdict, model);
  const energy = rows.some((row) => row.energyPerInferenceJ !== null);
  const headers = [
    'Setup',
    'Requirement',
    'Capacity',
    'Instances',
    'Cost / million',
    'Fully loaded',
    ...(energy ? [ENERGY_HEADING] : []),
    'Reliable',
  ];
  return {
    headers,
    align: headers.map((header) => (['Setup', 'Requirement', 'Reliable'].includes(header) ? 'left' : 'right')),
    rows: rows.map((row) => {
      const capacity = capacityText(row);
      return [
        joined(setupName(row), row.id === model.cheapest && 'cheapest', row.variant !== 'original' && row.variantLabel),
        ROW_STATUS_LABEL[rowRequirementStatus(row)],
        joined(capacity.value, capacity.range && `[${capacity.range}]`, capacity.note),
        instancesText(row),
        usdText(row.costPerMillion),
        usdText(row.costPerMillionAtCapacity),
        ...(energy ? [energyText(row)] : []),
        row.reliable ? (row.percentileStable ? 'yes' : 'yes (its percentile’s CI is wide)') : 'no',
      ];
    }),
  };
}
