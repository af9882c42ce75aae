import type { ModelSource } from '../../../shared/domain/app';
import type { ModelInfo, TensorInfo } from '../../../shared/domain/model';

export interface HistogramRow {
  op: string;
  count: number;
}

/** Operator counts, most frequent first; ties by name so the chart is stable between runs. */
export function histogramRows(histogram: Record<string, number>): HistogramRow[] {
  return Object.entries(histogram)
    .map(([op, count]) => ({ op, count }))
    .sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

/**
 * Keeps the chart readable: the most frequent `limit - 1` operators and one "other" bar that
 * sums the rest (only when more than `limit` kinds exist).
 */
export function chartRows(rows: readonly HistogramRow[], limit: number): HistogramRow[] {
  if (rows.length <= limit) return [...rows];
  const shown = rows.slice(0, limit - 1);
  const rest = rows.slice(limit - 1);
  return [...shown, { op: `${rest.length} other op types`, count: rest.reduce((sum, row) => sum + row.count, 0) }];
}

export interface MacsRow {
  op: string;
  macs: number;
  /** Share of the counted MACs, 0…1. */
  share: number;
}

export function macsRows(macsByOp: Record<string, number>): MacsRow[] {
  const total = Object.values(macsByOp).reduce((sum, value) => sum + value, 0);
  return Object.entries(macsByOp)
    .filter(([, macs]) => macs > 0)
    .map(([op, macs]) => ({ op, macs, share: total > 0 ? macs / total : 0 }))
    .sort((a, b) => b.macs - a.macs || a.op.localeCompare(b.op));
}

export type ShapePart = { kind: 'fixed'; value: number } | { kind: 'symbolic'; name: string } | { kind: 'unknown' };

/** A tensor's shape as display parts: numbers, named symbolic dims, and "?" for unnamed ones. */
export function shapeParts(tensor: TensorInfo): ShapePart[] | null {
  if (tensor.shape === null) return null;
  return tensor.shape.map((dim) =>
    typeof dim === 'number'
      ? { kind: 'fixed', value: dim }
      : dim === '?' || dim === ''
        ? { kind: 'unknown' }
        : { kind: 'symbolic', name: dim },
  );
}

/** "ai.onnx 17, com.microsoft 1": the default domain first. */
export function opsetLabel(info: Pick<ModelInfo, 'opsets'>): string {
  return [...info.opsets]
    .sort((a, b) => (a.domain === 'ai.onnx' ? -1 : b.domain === 'ai.onnx' ? 1 : a.domain.localeCompare(b.domain)))
    .map((opset) => `${opset.domain || 'ai.onnx'} ${opset.version}`)
    .join(', ');
}

export function dtypeRows(parameters: ModelInfo['parameters']): { dtype: string; count: number; bytes: number; share: number }[] {
  return Object.entries(parameters.byDtype)
    .map(([dtype, totals]) => ({ dtype, ...totals, share: parameters.bytes > 0 ? totals.bytes / parameters.bytes : 0 }))
    .sort((a, b) => b.bytes - a.bytes || a.dtype.localeCompare(b.dtype));
}

export function sameSource(a: ModelSource, b: ModelSource): boolean {
  return a.kind === 'path' ? b.kind === 'path' && a.path === b.path : b.kind === 'sample' && a.name === b.name;
}

/** IR 3 or a default-domain opset below 13: the Model view offers the upgrade (Quantize does it by itself when needed). */
export function needsUpgrade(info: Pick<ModelInfo, 'irVersion' | 'opsets'>): boolean {
  const opset = info.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
  return info.irVersion < 4 || (opset !== undefined && opset < 13);
}
