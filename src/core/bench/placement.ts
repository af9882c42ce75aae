/**
 * Where ONNX Runtime actually ran each node, read from its profiling trace
 * (SessionOptions.enableProfiling). Asking for an EP is not the same as getting it:
 * ONNX Runtime silently places nodes the EP cannot run on the CPU EP, and the trace is
 * the only record of that. Pure: takes the trace's parsed JSON, returns a summary.
 *
 * Trace format (Chrome trace events, one array): per executed node an event
 *   {cat:'Node', name:'<node name>_kernel_time', dur:<µs>, args:{op_name, provider, …}}
 * plus Session events (model_loading_*, session_initialization, model_run) and, for
 * WebGPU, 'Api' events with pid -1 (GPU-side program timings) which we leave out: they
 * describe shader programs, not graph nodes.
 */
import { z } from 'zod';
import { providerProfilerName } from '../../shared/domain/providers';

const KERNEL_SUFFIX = '_kernel_time';

/** onnxruntime-node's EP name → the provider name its profiler writes. */
export const providerNameForEp = providerProfilerName;

export const PlacementNodeSchema = z.object({
  node: z.string(),
  op: z.string(),
  provider: z.string(),
  /** How many times the node ran in the profiled pass. */
  runs: z.number().int().nonnegative(),
  totalUs: z.number().nonnegative(),
});

export const PlacementSummarySchema = z.object({
  /** The provider the configuration asked for. */
  requestedProvider: z.string(),
  /** How many times the profiled pass ran the model. */
  runs: z.number().int().nonnegative(),
  totalUs: z.number().nonnegative(),
  nodes: z.array(PlacementNodeSchema),
  byProvider: z.array(
    z.object({
      provider: z.string(),
      nodes: z.number().int().nonnegative(),
      nodeShare: z.number().min(0).max(1),
      timeUs: z.number().nonnegative(),
      timeShare: z.number().min(0).max(1),
    }),
  ),
  /** Nodes that ran on another provider than the one asked for, in graph order. */
  fallbackNodes: z.array(z.object({ node: z.string(), op: z.string(), provider: z.string() })),
  topOps: z.array(
    z.object({
      op: z.string(),
      provider: z.string(),
      nodes: z.number().int().nonnegative(),
      timeUs: z.number().nonnegative(),
      timeShare: z.number().min(0).max(1),
    }),
  ),
});
export type PlacementSummary = z.infer<typeof PlacementSummarySchema>;
export type PlacementNode = z.infer<typeof PlacementNodeSchema>;

interface KernelEvent {
  node: string;
  op: string;
  provider: string;
  dur: number;
}

/** The node kernel events of a trace, in the order they ran. Throws on a trace that is not an event array. */
export function kernelEvents(trace: unknown): KernelEvent[] {
  if (!Array.isArray(trace)) throw new Error('profiling trace is not a JSON array of events');
  const events: KernelEvent[] = [];
  for (const raw of trace) {
    if (!raw || typeof raw !== 'object') continue;
    const e = raw as { cat?: unknown; name?: unknown; dur?: unknown; args?: unknown };
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith(KERNEL_SUFFIX)) continue;
    const args = (e.args && typeof e.args === 'object' ? e.args : {}) as { op_name?: unknown; provider?: unknown };
    events.push({
      node: e.name.slice(0, -KERNEL_SUFFIX.length),
      op: typeof args.op_name === 'string' ? args.op_name : 'unknown',
      provider: typeof args.provider === 'string' ? args.provider : 'unknown',
      dur: typeof e.dur === 'number' && Number.isFinite(e.dur) ? Math.max(0, e.dur) : 0,
    });
  }
  return events;
}

/** How many model runs the trace holds (Session 'model_run' events). */
function modelRuns(trace: unknown[]): number {
  let runs = 0;
  for (const e of trace) {
    if (e && typeof e === 'object' && (e as { cat?: unknown }).cat === 'Session' && (e as { name?: unknown }).name === 'model_run') runs++;
  }
  return runs;
}

export function summarizePlacement(trace: unknown, requestedEp: string, topOpsLimit = 10): PlacementSummary {
  const events = kernelEvents(trace);
  const requestedProvider = providerNameForEp(requestedEp);

  const byNode = new Map<string, PlacementNode>();
  for (const e of events) {
    // A node name is unique within a graph; the key includes the provider in case a trace ever reports both.
    const key = `${e.node}\u0000${e.provider}`;
    const seen = byNode.get(key);
    if (seen) {
      seen.runs++;
      seen.totalUs += e.dur;
    } else {
      byNode.set(key, { node: e.node, op: e.op, provider: e.provider, runs: 1, totalUs: e.dur });
    }
  }
  const nodes = [...byNode.values()];
  const totalUs = nodes.reduce((sum, n) => sum + n.totalUs, 0);
  const share = (part: number, whole: number): number => (whole > 0 ? Math.min(1, part / whole) : 0);

  const providers = new Map<string, { nodes: number; timeUs: number }>();
  for (const n of nodes) {
    const p = providers.get(n.provider) ?? { nodes: 0, timeUs: 0 };
    p.nodes++;
    p.timeUs += n.totalUs;
    providers.set(n.provider, p);
  }
  const byProvider = [...providers.entries()]
    .map(([provider, p]) => ({
      provider,
      nodes: p.nodes,
      nodeShare: share(p.nodes, nodes.length),
      timeUs: p.timeUs,
      timeShare: share(p.timeUs, totalUs),
    }))
    .sort((a, b) => b.timeUs - a.timeUs || b.nodes - a.nodes);

  const ops = new Map<string, { op: string; provider: string; nodes: number; timeUs: number }>();
  for (const n of nodes) {
    const key = `${n.op}\u0000${n.provider}`;
    const o = ops.get(key) ?? { op: n.op, provider: n.provider, nodes: 0, timeUs: 0 };
    o.nodes++;
    o.timeUs += n.totalUs;
    ops.set(key, o);
  }
  const topOps = [...ops.values()]
    .sort((a, b) => b.timeUs - a.timeUs || b.nodes - a.nodes)
    .slice(0, topOpsLimit)
    .map((o) => ({ ...o, timeShare: share(o.timeUs, totalUs) }));

  return {
    requestedProvider,
    runs: Array.isArray(trace) ? modelRuns(trace) : 0,
    totalUs,
    nodes,
    byProvider,
    fallbackNodes: nodes.filter((n) => n.provider !== requestedProvider).map((n) => ({ node: n.node, op: n.op, provider: n.provider })),
    topOps,
  };
}
