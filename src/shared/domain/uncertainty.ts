/**
 * What a configuration's headline CI covers, in the same words on every surface (the app, the CLI,
 * the PDF): across several fresh worker processes, or within one process only
 * (docs/measurement.md#repetitions).
 */
import { formatMs, formatPercent } from '../stats/format';
import type { ConfigResult } from './run';

type WithUncertainty = Pick<ConfigResult, 'uncertainty' | 'repetitions'>;

function acrossProcesses(c: WithUncertainty): boolean {
  return c.uncertainty?.scope === 'across-processes';
}

/** Short: "3 processes" or "1 process". */
export function ciScopeLabel(c: WithUncertainty): string {
  const n = acrossProcesses(c) ? (c.uncertainty?.repetitions ?? 1) : 1;
  return n === 1 ? '1 process' : `${n} processes`;
}

/** "over 3 repetitions, spread 1.2 %" or "within this process only". */
export function ciScopeText(c: WithUncertainty): string {
  const u = c.uncertainty;
  if (u && acrossProcesses(c)) return `over ${u.repetitions} repetitions, spread ${formatPercent(u.betweenSpreadRel ?? 0, { digits: 1 })}`;
  return 'within this process only';
}

/** A whole sentence, with the note that explains the scope and any repetition that stands apart. */
export function ciScopeSentence(c: WithUncertainty): string {
  const u = c.uncertainty;
  const parts: string[] = [];
  if (u && acrossProcesses(c)) {
    parts.push(
      `95 % CI across ${u.repetitions} fresh worker processes (repetitions), so it includes run-to-run variation; their ` +
        `medians spread ${formatPercent(u.betweenSpreadRel ?? 0, { digits: 1 })}.`,
    );
  } else parts.push('95 % CI within this process only: run-to-run variation was not sampled.');
  const apart = c.repetitions.filter((r) => r.outlier && r.latencyMs);
  for (const r of apart) parts.push(`Repetition ${r.index} (median ${formatMs(r.latencyMs?.median ?? 0)}) stands apart from the others.`);
  if (u?.note) parts.push(u.note);
  return parts.join(' ');
}
