/**
 * Multiply-accumulate counts from propagated shapes. Only operations that dominate compute
 * are counted (convolutions, matrix products, recurrent cells); an operation whose shapes are
 * not fully known makes the total unknown instead of being guessed.
 */
import { attrInt, attrString } from './attributes';
import type { NodeProto } from './codec';
import { einsumSizes, isKnownShape, numel, parseEinsum, type GraphShapes, type NodeShapes, type Shape } from './shapes';

/** "com.microsoft.MatMulNBits" for other domains, plain op type for the default one. */
export function opKey(node: NodeProto): string {
  const domain = node.domain ?? '';
  const op = node.op_type ?? '';
  return domain === '' || domain === 'ai.onnx' ? op : `${domain}.${op}`;
}

const CONV = new Set(['Conv', 'ConvInteger', 'FusedConv', 'NhwcFusedConv']);
const MATMUL = new Set(['MatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul']);
/** Compute-heavy operations we do not model; their MACs are left out and named in a warning. */
const NOT_MODELLED = new Set([
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'QAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'DecoderMaskedMultiHeadAttention',
  'DecoderMaskedSelfAttention',
  'SparseAttention',
  'LongformerAttention',
  'DecoderAttention',
]);

export type NodeMacs =
  { kind: 'counted'; macs: number } | { kind: 'unknown'; why: string } | { kind: 'not-counted' } | { kind: 'not-modelled' };

const last = (s: Shape, back = 1) => s[s.length - back];

function product(dims: Shape): number | undefined {
  return isKnownShape(dims) ? dims.reduce((a, b) => a * b, 1) : undefined;
}

/** MACs of one node from its input/output shapes (control flow handled by the caller). */
export function nodeMacs(record: NodeShapes): NodeMacs {
  const { node, inputs, outputs } = record;
  const op = node.op_type ?? '';
  const domain = node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx' && domain !== 'com.microsoft') return { kind: 'not-counted' };
  const unknown = (why: string): NodeMacs => ({ kind: 'unknown', why });
  // Shapes near int64's limits multiply past what a double holds: that count is unknown, not Infinity.
  const counted = (macs: number): NodeMacs =>
    Number.isFinite(macs) && macs >= 0 ? { kind: 'counted', macs } : { kind: 'unknown', why: 'count out of range' };
  const outShape = outputs[0]?.shape;

  if (CONV.has(op) || op === 'QLinearConv') {
    const w = inputs[op === 'QLinearConv' ? 3 : 1]?.shape;
    const outElements = numel(outShape);
    const perOutput = w && w.length >= 3 ? product(w.slice(1)) : undefined;
    if (outElements === undefined || perOutput === undefined) return unknown('shapes unknown');
    // Each output value sums Cin/group × kernel products: W is [Cout, Cin/group, k...].
    return counted(outElements * perOutput);
  }
  if (op === 'ConvTranspose') {
    const x = inputs[0]?.shape;
    const w = inputs[1]?.shape;
    const inElements = numel(x);
    const perInput = w && w.length >= 3 ? product(w.slice(1)) : undefined;
    if (inElements === undefined || perInput === undefined) return unknown('shapes unknown');
    // Each input value is scattered through Cout/group × kernel weights: W is [Cin, Cout/group, k...].
    return counted(inElements * perInput);
  }
  if (MATMUL.has(op) || op === 'QLinearMatMul' || op === 'FusedMatMul') {
    const a = inputs[0]?.shape;
    const outElements = numel(outShape);
    if (!a || a.length === 0 || outElements === undefined) return unknown('shapes unknown');
    const transA = op === 'FusedMatMul' && attrInt(node, 'transA', 0) === 1 && a.length >= 2;
    const k = transA ? last(a, 2) : last(a);
    if (typeof k !== 'number') return unknown('shapes unknown');
    return counted(outElements * k);
  }
  if (op === 'MatMulNBits') {
    const a = inputs[0]?.shape;
    const k = attrInt(node, 'K') ?? (a ? last(a) : undefined);
    const outElements = numel(outShape);
    if (typeof k !== 'number' || outElements === undefined) return unknown('shapes unknown');
    return counted(outElements * k);
  }
  if (op === 'Gemm' || op === 'QGemm') {
    const a = inputs[0]?.shape;
    const outElements = numel(outShape);
    if (!a || a.length !== 2 || outElements === undefined) return unknown('shapes unknown');
    const k = attrInt(node, 'transA', 0) === 1 ? a[0] : a[1];
    if (typeof k !== 'number') return unknown('shapes unknown');
    return counted(outElements * k);
  }
  if (op === 'Einsum') {
    if (inputs.length === 1) return { kind: 'not-counted' };
    const parsed = parseEinsum(attrString(node, 'equation', ''), inputs.length);
    if (!parsed || inputs.length !== 2) return unknown('equation not modelled');
    const sizes = einsumSizes(
      parsed.inputs,
      inputs.map((x) => x?.shape),
    );
    if (!sizes) return unknown('shapes unknown');
    let macs = 1;
    for (const d of sizes.values()) {
      if (typeof d !== 'number') return unknown('shapes unknown');
      macs *= d;
    }
    // A two-operand contraction multiplies once per combination of all its indices.
    return counted(macs);
  }
  if (op === 'LSTM' || op === 'GRU' || op === 'RNN') {
    const x = inputs[0]?.shape;
    const hidden = attrInt(node, 'hidden_size');
    const dirs = attrString(node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
    const layout = attrInt(node, 'layout', 0);
    if (!x || x.length !== 3 || !isKnownShape(x) || hidden === undefined) return unknown('shapes unknown');
    const [a, b, inputSize] = x as [number, number, number];
    const [seq, batch] = layout === 0 ? [a, b] : [b, a];
    const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
    return counted(seq * batch * dirs * gates * hidden * (inputSize + hidden));
  }
  if (NOT_MODELLED.has(op)) return { kind: 'not-modelled' };
  return { kind: 'not-counted' };
}

export interface MacTally {
  /** op key → MACs, for nodes that could be counted. */
  byOp: Map<string, number>;
  /** op key → number of nodes whose MACs are unknown. */
  unknown: Map<string, number>;
  /** op key → number of compute-heavy nodes not modelled (left out of the total). */
  notModelled: Map<string, number>;
  /** Why parts of the graph could not be counted (If branches, loops). */
  issues: string[];
}

function emptyTally(): MacTally {
  return { byOp: new Map(), unknown: new Map(), notModelled: new Map(), issues: [] };
}

const bump = (map: Map<string, number>, key: string, by: number) => map.set(key, (map.get(key) ?? 0) + by);

function addTally(into: MacTally, from: MacTally, times: number): void {
  for (const [k, v] of from.byOp) bump(into.byOp, k, v * times);
  for (const [k, v] of from.unknown) bump(into.unknown, k, v);
  for (const [k, v] of from.notModelled) bump(into.notModelled, k, v);
  into.issues.push(...from.issues);
}

function tallyTotal(t: MacTally): number | null {
  if (t.unknown.size > 0 || t.issues.length > 0) return null;
  let sum = 0;
  for (const v of t.byOp.values()) sum += v;
  return sum;
}

function hasCompute(t: MacTally): boolean {
  return t.unknown.size > 0 || t.issues.length > 0 || [...t.byOp.values()].some((v) => v > 0);
}

const nodeLabel = (node: NodeProto) => (node.name ? `${node.op_type} "${node.name}"` : `${node.op_type} node`);

export function tallyGraph(shapes: GraphShapes): MacTally {
  const tally = emptyTally();
  for (const record of shapes.nodes) {
    const op = record.node.op_type ?? '';
    const key = opKey(record.node);
    if (op === 'If' && record.subgraphs.length > 0) {
      const branches = Object.fromEntries(record.subgraphs.map((s) => [s.attribute, tallyGraph(s.result)]));
      if (record.takenBranch && branches[record.takenBranch]) {
        addTally(tally, branches[record.takenBranch] as MacTally, 1);
        continue;
      }
      const thenT = branches.then_branch ?? emptyTally();
      const elseT = branches.else_branch ?? emptyTally();
      const thenTotal = tallyTotal(thenT);
      const elseTotal = tallyTotal(elseT);
      if (!hasCompute(thenT) && !hasCompute(elseT)) continue;
      if (thenTotal !== null && thenTotal === elseTotal) {
        addTally(tally, thenT, 1);
        continue;
      }
      const show = (v: number | null) => (v === null ? 'unknown' : v.toLocaleString('en-US'));
      tally.issues.push(
        `${nodeLabel(record.node)}: depends on the branch taken at run time (then_branch ${show(thenTotal)} MACs, else_branch ` +
          `${show(elseTotal)} MACs)`,
      );
      for (const t of [thenT, elseT]) for (const [k, v] of t.notModelled) bump(tally.notModelled, k, v);
      continue;
    }
    if ((op === 'Loop' || op === 'Scan') && record.subgraphs.length > 0) {
      const body = emptyTally();
      for (const s of record.subgraphs) addTally(body, tallyGraph(s.result), 1);
      if (!hasCompute(body)) {
        for (const [k, v] of body.notModelled) bump(tally.notModelled, k, v);
        continue;
      }
      if (typeof record.iterations === 'number') {
        addTally(tally, body, record.iterations);
      } else {
        tally.issues.push(`${nodeLabel(record.node)}: its body runs an unknown number of times`);
        for (const [k, v] of body.notModelled) bump(tally.notModelled, k, v);
      }
      continue;
    }
    const result = nodeMacs(record);
    if (result.kind === 'counted') bump(tally.byOp, key, result.macs);
    else if (result.kind === 'unknown') bump(tally.unknown, key, 1);
    else if (result.kind === 'not-modelled') bump(tally.notModelled, key, 1);
    for (const s of record.subgraphs) addTally(tally, tallyGraph(s.result), 1);
  }
  return tally;
}

export interface MacSummary {
  macs: number | null;
  /** Only op types with no unknown node. */
  byOp: Record<string, number>;
  unknown: Record<string, number>;
  notModelled: Record<string, number>;
  issues: string[];
}

/** Beyond this a count (or its FLOPs, twice it) is no longer a finite double. */
const MAX_COUNT = Number.MAX_VALUE / 2;

export function countMacs(shapes: GraphShapes): MacSummary {
  const tally = tallyGraph(shapes);
  const byOp: Record<string, number> = {};
  for (const [k, v] of [...tally.byOp.entries()].sort((a, b) => b[1] - a[1])) {
    if (!Number.isFinite(v) || v > MAX_COUNT) tally.issues.push(`${k}: the count is beyond what a number holds`);
    else if (!tally.unknown.has(k)) byOp[k] = v;
  }
  const total = tallyTotal(tally);
  if (total !== null && !(total <= MAX_COUNT)) tally.issues.push('the total is beyond what a number holds');
  return {
    macs: tally.issues.length > 0 ? null : total,
    byOp,
    unknown: Object.fromEntries(tally.unknown),
    notModelled: Object.fromEntries(tally.notModelled),
    issues: tally.issues,
  };
}
