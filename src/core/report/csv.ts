/**
 * One CSV row per measured configuration, for spreadsheets and notebooks. RFC 4180: CRLF
 * line ends, fields with a comma, quote or line break quoted, quotes doubled. Numbers keep
 * six significant digits in fixed units (ms, bytes, $) so a column is one unit throughout.
 */
import type { Verdict } from '../../shared/domain/advice';
import type { ConfigResult, RunDocument } from '../../shared/domain/run';
import { machineLabel, variantLabel } from '../../shared/advice';

export const CSV_COLUMNS = [
  'run_id',
  'model',
  /** The PyTorch / TensorFlow file the model was converted from (empty for any other model). */
  'converted_from',
  'variant',
  'machine',
  'ep',
  'batch',
  'threads',
  'concurrency',
  'status',
  'median_ms',
  'p90_ms',
  'p95_ms',
  'p99_ms',
  'ci_low_ms',
  'ci_high_ms',
  'runs_per_s',
  'items_per_s',
  'session_create_ms',
  'first_run_ms',
  'peak_rss_bytes',
  'stable',
  'meets_target',
  'cost_per_million_usd',
  'warnings',
] as const;

type Cell = string | number | boolean | null | undefined;

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(Number(value.toPrecision(6))) : '') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvField).join(',');
}

/** The verdict's reading of one configuration: its target status and cost when run at that level. */
function verdictCells(verdict: Verdict | null | undefined, run: RunDocument, config: ConfigResult): [Cell, Cell] {
  if (!verdict) return [null, null];
  for (const row of verdict.rows) {
    if (row.runId !== run.id) continue;
    const point = row.points.find((p) => p.configId === config.id);
    if (!point) continue;
    if (!row.eligible) return ['not eligible (batching)', null];
    return [point.status ?? 'no latency target', point.costPerMillion];
  }
  return [null, null];
}

export function runsToCsv(runs: readonly RunDocument[], verdict?: Verdict | null): string {
  const lines = [csvLine(CSV_COLUMNS)];
  for (const run of runs) {
    // A run measured on a saved machine leads with its name (docs/machines.md).
    const machine = `${run.machine ? `${run.machine.name}: ` : ''}${machineLabel(run)}`;
    for (const c of run.configs) {
      const l = c.status === 'done' ? c.latencyMs : null;
      const [meets, cost] = verdictCells(verdict, run, c);
      const warnings = [...c.warnings, ...(c.error ? [`${c.error.code}: ${c.error.message}`] : [])];
      lines.push(
        csvLine([
          run.id,
          run.model.name,
          run.model.convertedFrom?.name,
          variantLabel(run, c.variant),
          machine,
          c.ep,
          c.batch,
          c.threads,
          c.concurrency,
          c.status,
          l?.median,
          l?.p90,
          l?.p95,
          l?.p99,
          l?.ciLow,
          l?.ciHigh,
          c.throughput?.runsPerSec,
          c.throughput?.itemsPerSec,
          c.sessionCreateMs,
          c.firstRunMs,
          c.memory?.rssPeakBytes,
          c.status === 'done' ? c.stable : null,
          meets,
          cost,
          warnings.join('; '),
        ]),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}
