/** How setups are ranked against each other: by cost, and by the latency a request sees. */
import type { CapacityPoint, VerdictRow } from '../domain/advice';

/** Cheapest first; at equal cost a CPU (no GPU to run), then fewer instances, then lower latency. */
export function byCost(a: VerdictRow, b: VerdictRow): number {
  const cost = (a.costPerMillion ?? Infinity) - (b.costPerMillion ?? Infinity);
  if (Math.abs(cost) > 1e-12 * Math.max(a.costPerMillion ?? 0, b.costPerMillion ?? 0)) return cost;
  if (a.deviceClass !== b.deviceClass) return a.deviceClass === 'cpu' ? -1 : 1;
  if ((a.instances ?? 0) !== (b.instances ?? 0)) return (a.instances ?? 0) - (b.instances ?? 0);
  return (operatingPoint(a)?.percentileMs ?? Infinity) - (operatingPoint(b)?.percentileMs ?? Infinity);
}

/** The level a setup's capacity rests on, else its first measured level. */
export function operatingPoint(row: VerdictRow): CapacityPoint | undefined {
  const c = row.capacity.concurrency?.[0];
  return row.points.find((p) => p.concurrency === c) ?? row.points[0];
}

/** The setup and level with the lowest per-request latency (percentile + batch wait). */
export function fastest(rows: readonly VerdictRow[]): { row: VerdictRow; point: CapacityPoint } | null {
  let best: { row: VerdictRow; point: CapacityPoint } | null = null;
  for (const row of rows) {
    if (!row.eligible) continue;
    for (const point of row.points) {
      if (!best || point.percentileMs + point.batchWaitMs < best.point.percentileMs + best.point.batchWaitMs) best = { row, point };
    }
  }
  return best;
}

/** The lowest per-request latency a setup reached (percentile + batch wait); null without a measured level. */
export function bestLatencyMs(row: VerdictRow): number | null {
  const best = fastest([{ ...row, eligible: true }]);
  return best ? best.point.percentileMs + best.point.batchWaitMs : null;
}
