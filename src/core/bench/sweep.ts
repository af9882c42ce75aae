/**
 * Capacity sweeps: a setup measured at concurrency 1, 2, 4, … until it saturates. The next level
 * is decided from the levels measured so far, so the run grows one configuration at a time.
 */
import { nextConcurrency } from '../../shared/advice/capacity';
import { concurrencyRefusal } from '../../shared/domain/plan';
import type { RunDocument } from '../../shared/domain/run';
import { configId, type PlannedConfig } from './plan';

/**
 * The next concurrency level of a capacity sweep for the setup `base` belongs to, from the
 * levels measured so far; null when the sweep of that setup is done.
 */
export function nextSweepLevel(doc: RunDocument, base: PlannedConfig): PlannedConfig | null {
  const sweep = doc.plan.sweep;
  if (!sweep) return null;
  const same = doc.configs.filter(
    (c) =>
      c.variant === base.variant &&
      c.ep === base.ep &&
      c.batch === base.batch &&
      c.threads === base.threads &&
      c.status === 'done' &&
      c.latencyMs &&
      c.throughput,
  );
  const points = same.map((c) => ({
    concurrency: c.concurrency,
    latencyMs: (sweep.percentile === 'p50' ? c.latencyMs?.median : c.latencyMs?.[sweep.percentile]) ?? 0,
    // Requests per second: a batch-b run answers b requests.
    throughputRps: c.throughput?.itemsPerSec ?? 0,
  }));
  const concurrency = nextConcurrency(points, { targetMs: sweep.targetMs, minGain: sweep.minGain, maxConcurrency: sweep.maxConcurrency });
  if (concurrency === null || doc.configs.some((c) => c.id === configId({ ...base, concurrency }))) return null;
  const refusal = concurrencyRefusal(base.ep, concurrency);
  if (refusal) {
    if (!doc.warnings.some((w) => w.code === 'sweep-limited' && w.configId === base.id))
      doc.warnings.push({ code: 'sweep-limited', configId: base.id, message: refusal });
    return null;
  }
  const c = { variant: base.variant, ep: base.ep, batch: base.batch, threads: base.threads, concurrency };
  return { id: configId(c), ...c };
}
