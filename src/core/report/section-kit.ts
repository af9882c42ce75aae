/**
 * What every section of the report is made from: the context it reads and the table, pair-list
 * and label helpers. Every string from a document goes through esc().
 */
import type { Verdict } from '../../shared/domain/advice';
import type { RunDocument } from '../../shared/domain/run';
import { esc } from './svg';

export interface SectionContext {
  runs: readonly RunDocument[];
  labels: readonly string[];
  /** Short names for charts, where full run labels do not fit: "run 1", "run 2" (empty for one run). */
  chartLabels: readonly string[];
  verdict: Verdict | null;
  variantQuality: { metric: string; byVariant: Record<string, number> } | null;
}

export type Cell = string | { html: string; className?: string };

export function cellHtml(c: Cell): string {
  if (typeof c === 'string') return `<td>${esc(c)}</td>`;
  return `<td${c.className ? ` class="${c.className}"` : ''}>${c.html}</td>`;
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], className = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map(cellHtml).join('')}</tr>`).join('');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function pairs(entries: readonly [string, string][]): string {
  return `<dl class="pairs">${entries.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

export function configLabel(ctx: SectionContext, runIndex: number, configId: string): string {
  return ctx.runs.length > 1 ? `${ctx.labels[runIndex]} · ${configId}` : configId;
}

export function chartConfigLabel(ctx: SectionContext, runIndex: number, configId: string): string {
  return ctx.runs.length > 1 ? `${ctx.chartLabels[runIndex]} · ${configId}` : configId;
}

/** "run 1 = resnet-mini on …; run 2 = …" under charts that use the short names. */
export function runKey(ctx: SectionContext): string {
  return ctx.runs.length > 1 ? ` ${ctx.runs.map((_, i) => `${ctx.chartLabels[i]}: ${ctx.labels[i]}`).join('; ')}.` : '';
}
