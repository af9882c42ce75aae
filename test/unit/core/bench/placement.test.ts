import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelEvents, PlacementSummarySchema, providerNameForEp, summarizePlacement } from '../../../../src/core/bench/placement';

// Captured from onnxruntime-node 1.30 on SwiftShader: x → MatMul → Det → y, two profiled runs on the WebGPU EP.
// WebGPU has no Det kernel, so ONNX Runtime put Det on the CPU EP and inserted a MemcpyToHost before it.
const webgpuTrace: unknown = JSON.parse(readFileSync(new URL('./fixtures/webgpu-matmul-det.trace.json', import.meta.url), 'utf8'));

describe('summarizePlacement', () => {
  it('reads each node’s provider, op and time from a real WebGPU trace', () => {
    const summary = summarizePlacement(webgpuTrace, 'webgpu');
    expect(PlacementSummarySchema.parse(summary)).toEqual(summary);
    expect(summary.requestedProvider).toBe('WebGpuExecutionProvider');
    expect(summary.runs).toBe(2);
    expect(summary.nodes.map((n) => [n.node, n.op, n.provider, n.runs])).toEqual([
      ['MatMul', 'MatMul', 'WebGpuExecutionProvider', 2],
      ['Memcpy', 'MemcpyToHost', 'WebGpuExecutionProvider', 2],
      ['Det', 'Det', 'CPUExecutionProvider', 2],
    ]);
    expect(summary.fallbackNodes).toEqual([{ node: 'Det', op: 'Det', provider: 'CPUExecutionProvider' }]);
  });

  it('sums time per node and shares per provider from the trace’s durations', () => {
    const summary = summarizePlacement(webgpuTrace, 'webgpu');
    const kernels = kernelEvents(webgpuTrace);
    const detUs = kernels.filter((k) => k.node === 'Det').reduce((s, k) => s + k.dur, 0);
    const totalUs = kernels.reduce((s, k) => s + k.dur, 0);
    expect(summary.totalUs).toBe(totalUs);
    const cpu = summary.byProvider.find((p) => p.provider === 'CPUExecutionProvider');
    expect(cpu).toMatchObject({ nodes: 1, timeUs: detUs });
    expect(cpu?.nodeShare).toBeCloseTo(1 / 3);
    expect(cpu?.timeShare).toBeCloseTo(detUs / totalUs);
    const shares = summary.byProvider.reduce((s, p) => s + p.timeShare, 0);
    expect(shares).toBeCloseTo(1);
    // Sorted by time: the slow software-GPU MatMul first.
    expect(summary.topOps[0]?.op).toBe('MatMul');
    expect(summary.topOps.map((o) => o.timeUs)).toEqual([...summary.topOps.map((o) => o.timeUs)].sort((a, b) => b - a));
  });

  it('leaves out session and GPU-program (Api) events', () => {
    expect(kernelEvents(webgpuTrace)).toHaveLength(6);
  });

  it('reports no fallback when everything ran where asked', () => {
    const trace = [
      { cat: 'Session', name: 'model_run', dur: 10 },
      { cat: 'Node', name: 'a_kernel_time', dur: 4, args: { op_name: 'Gemm', provider: 'CPUExecutionProvider' } },
      { cat: 'Node', name: 'a_fence_before', dur: 0, args: {} },
      { cat: 'Node', name: 'b_kernel_time', dur: 6, args: { op_name: 'Relu', provider: 'CPUExecutionProvider' } },
    ];
    const summary = summarizePlacement(trace, 'cpu');
    expect(summary.fallbackNodes).toEqual([]);
    expect(summary.byProvider).toEqual([{ provider: 'CPUExecutionProvider', nodes: 2, nodeShare: 1, timeUs: 10, timeShare: 1 }]);
    expect(summary.topOps.map((o) => o.op)).toEqual(['Relu', 'Gemm']);
  });

  it('limits top operators and handles an empty trace', () => {
    const trace = Array.from({ length: 15 }, (_, i) => ({
      cat: 'Node',
      name: `n${i}_kernel_time`,
      dur: i,
      args: { op_name: `Op${i}`, provider: 'CPUExecutionProvider' },
    }));
    expect(summarizePlacement(trace, 'cpu', 5).topOps.map((o) => o.op)).toEqual(['Op14', 'Op13', 'Op12', 'Op11', 'Op10']);
    const empty = summarizePlacement([], 'webgpu');
    expect(empty).toMatchObject({ nodes: [], byProvider: [], fallbackNodes: [], topOps: [], totalUs: 0, runs: 0 });
  });

  it('rejects something that is not a trace', () => {
    expect(() => summarizePlacement({ traceEvents: [] }, 'cpu')).toThrow(/not a JSON array/);
  });
});

describe('providerNameForEp', () => {
  it('maps onnxruntime-node EP names to the profiler’s provider names', () => {
    expect(providerNameForEp('cpu')).toBe('CPUExecutionProvider');
    expect(providerNameForEp('webgpu')).toBe('WebGpuExecutionProvider');
    expect(providerNameForEp('cuda')).toBe('CUDAExecutionProvider');
    expect(providerNameForEp('tensorrt')).toBe('TensorrtExecutionProvider');
    expect(providerNameForEp('SomethingExecutionProvider')).toBe('SomethingExecutionProvider');
  });
});
