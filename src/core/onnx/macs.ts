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

/** A node that keeps the count unknown. */
export interface MacBlocker {
  node: string;
  op: string;
  /** Symbolic dims (unset) in its shapes. */
  dims: string[];
  detail: string;
}

/** How one If/Loop/Scan with compute in its subgraphs was counted. */
export interface ControlFlowCount {
  node: string;
  op: string;
  counted: string;
  basis: 'constant-condition' | 'larger-branch' | 'equal-branches' | 'trip-count' | 'branch-unknown';
  branches: Record<string, number | null>;
  iterations: number | null;
  note: string;
}

export interface MacTally {
  /** op key → MACs, for nodes that could be counted (the larger branch of an If decided at run time). */
  byOp: Map<string, number>;
  /** op key → number of nodes whose MACs are unknown. */
  unknown: Map<string, number>;
  /** op key → number of compute-heavy nodes not modelled (left out of the total). */
  notModelled: Map<string, number>;
  /** The nodes that keep the count unknown (shapes, trip counts). */
  blockers: MacBlocker[];
  /** How much less the cheapest choice of run-time If branches costs than byOp's sum. */
  lowDelta: number;
  controlFlow: ControlFlowCount[];
}

function emptyTally(): MacTally {
  return { byOp: new Map(), unknown: new Map(), notModelled: new Map(), blockers: [], lowDelta: 0, controlFlow: [] };
}

const bump = (map: Map<string, number>, key: string, by: number) => map.set(key, (map.get(key) ?? 0) + by);

function addTally(into: MacTally, from: MacTally, times: number): void {
  for (const [k, v] of from.byOp) bump(into.byOp, k, v * times);
  addUncounted(into, from);
  into.lowDelta += from.lowDelta * times;
  into.controlFlow.push(...from.controlFlow);
}

/** What a subgraph leaves unknown or out, without its counts. */
function addUncounted(into: MacTally, from: MacTally): void {
  for (const [k, v] of from.unknown) bump(into.unknown, k, v);
  for (const [k, v] of from.notModelled) bump(into.notModelled, k, v);
  into.blockers.push(...from.blockers);
}

function tallyTotal(t: MacTally): number | null {
  if (t.blockers.length > 0) return null;
  let sum = 0;
  for (const v of t.byOp.values()) sum += v;
  return sum;
}

function hasCompute(t: MacTally): boolean {
  return t.blockers.length > 0 || [...t.byOp.values()].some((v) => v > 0);
}

const nodeLabel = (node: NodeProto) => (node.name ? `${node.op_type} "${node.name}"` : `${node.op_type} node`);
const show = (v: number | null) => (v === null ? 'unknown' : v.toLocaleString('en-US'));

/** Symbolic dims left in a node's shapes: what the user can set to count it. */
function symbolicDims(record: NodeShapes): string[] {
  const names = new Set<string>();
  for (const v of [...record.inputs, ...record.outputs]) for (const d of v?.shape ?? []) if (typeof d === 'string') names.add(d);
  return [...names];
}

function blockerOf(record: NodeShapes, why: string): MacBlocker {
  const dims = symbolicDims(record);
  const detail = why !== 'shapes unknown' ? why : dims.length > 0 ? 'shapes depend on unset dims' : 'input or output shapes unknown';
  return { node: record.node.name ?? '', op: opKey(record.node), dims, detail };
}

function tallyIf(tally: MacTally, record: NodeShapes): void {
  const branches = Object.fromEntries(record.subgraphs.map((s) => [s.attribute, tallyGraph(s.result)]));
  const thenT = branches.then_branch ?? emptyTally();
  const elseT = branches.else_branch ?? emptyTally();
  if (!hasCompute(thenT) && !hasCompute(elseT)) {
    for (const t of [thenT, elseT]) addUncounted(tally, t);
    return;
  }
  const totals = { then_branch: tallyTotal(thenT), else_branch: tallyTotal(elseT) };
  const label = nodeLabel(record.node);
  const entry = { node: record.node.name ?? '', op: 'If', branches: totals, iterations: null };
  const taken = record.takenBranch;
  if (taken) {
    const other = taken === 'then_branch' ? 'else_branch' : 'then_branch';
    addTally(tally, taken === 'then_branch' ? thenT : elseT, 1);
    const note =
      `${label}: its condition is a constant, so only the ${taken} runs: counted it (${show(totals[taken])} MACs); ` +
      `the ${other} (${show(totals[other])} MACs) never runs.`;
    tally.controlFlow.push({ ...entry, counted: taken, basis: 'constant-condition', note });
    return;
  }
  if (totals.then_branch === null || totals.else_branch === null) {
    // Which branch is larger cannot be told: the count is unknown, blocked inside the branches.
    for (const t of [thenT, elseT]) addUncounted(tally, t);
    const note =
      `${label}: decided at run time; then_branch ${show(totals.then_branch)} MACs, ` + `else_branch ${show(totals.else_branch)} MACs.`;
    tally.controlFlow.push({ ...entry, counted: 'neither', basis: 'branch-unknown', note });
    return;
  }
  const thenLarger = totals.then_branch >= totals.else_branch;
  const [chosen, other] = thenLarger ? [thenT, elseT] : [elseT, thenT];
  const [chosenName, otherName] = thenLarger ? ['then_branch', 'else_branch'] : ['else_branch', 'then_branch'];
  const high = Math.max(totals.then_branch, totals.else_branch);
  const low = Math.min(totals.then_branch - thenT.lowDelta, totals.else_branch - elseT.lowDelta);
  addTally(tally, chosen, 1);
  addUncounted(tally, other);
  tally.lowDelta += high - chosen.lowDelta - low;
  if (totals.then_branch === totals.else_branch) {
    const note = `${label}: decided at run time; both branches count ${show(high)} MACs.`;
    tally.controlFlow.push({ ...entry, counted: chosenName, basis: 'equal-branches', note });
    return;
  }
  const fewer = high - Math.min(totals.then_branch, totals.else_branch);
  const note =
    `${label}: decided at run time; counted the ${chosenName} (${show(high)} MACs, the larger); ` +
    `the ${otherName} would count ${show(fewer)} fewer.`;
  tally.controlFlow.push({ ...entry, counted: chosenName, basis: 'larger-branch', note });
}

function tallyLoop(tally: MacTally, record: NodeShapes): void {
  const body = emptyTally();
  for (const s of record.subgraphs) addTally(body, tallyGraph(s.result), 1);
  if (!hasCompute(body)) {
    addUncounted(tally, body);
    return;
  }
  const perRun = tallyTotal(body);
  const label = nodeLabel(record.node);
  const op = record.node.op_type ?? '';
  const entry = { node: record.node.name ?? '', op, counted: 'body', branches: { body: perRun } };
  if (typeof record.iterations === 'number') {
    addTally(tally, body, record.iterations);
    const note = `${label}: counted its body ${record.iterations} times (${show(perRun)} MACs each).`;
    tally.controlFlow.push({ ...entry, basis: 'trip-count', iterations: record.iterations, note });
    return;
  }
  addUncounted(tally, body);
  const detail = `runs its body a number of times known only at run time (${show(perRun)} MACs each run)`;
  tally.blockers.push({ node: record.node.name ?? '', op: opKey(record.node), dims: symbolicDims(record), detail });
  tally.controlFlow.push({ ...entry, basis: 'trip-count', iterations: null, note: `${label}: ${detail}.` });
}

export function tallyGraph(shapes: GraphShapes): MacTally {
  const tally = emptyTally();
  for (const record of shapes.nodes) {
    const op = record.node.op_type ?? '';
    const key = opKey(record.node);
    if (op === 'If' && record.subgraphs.length > 0) {
      tallyIf(tally, record);
      continue;
    }
    if ((op === 'Loop' || op === 'Scan') && record.subgraphs.length > 0) {
      tallyLoop(tally, record);
      continue;
    }
    const result = nodeMacs(record);
    if (result.kind === 'counted') bump(tally.byOp, key, result.macs);
    else if (result.kind === 'unknown') {
      bump(tally.unknown, key, 1);
      tally.blockers.push(blockerOf(record, result.why));
    } else if (result.kind === 'not-modelled') bump(tally.notModelled, key, 1);
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
  /** The nodes that keep `macs` unknown. */
  blockers: MacBlocker[];
  /** Smallest and largest counts when If branches decided at run time differ; null otherwise. */
  range: { min: number; max: number } | null;
  controlFlow: ControlFlowCount[];
  /** Counts past what a number holds. */
  issues: string[];
}

/** Beyond this a count (or its FLOPs, twice it) is no longer a finite double. */
const MAX_COUNT = Number.MAX_VALUE / 2;

export function countMacs(shapes: GraphShapes): MacSummary {
  const tally = tallyGraph(shapes);
  const issues: string[] = [];
  const byOp: Record<string, number> = {};
  for (const [k, v] of [...tally.byOp.entries()].sort((a, b) => b[1] - a[1])) {
    if (!Number.isFinite(v) || v > MAX_COUNT) issues.push(`${k}: the count is beyond what a number holds`);
    else if (!tally.unknown.has(k)) byOp[k] = v;
  }
  const total = tallyTotal(tally);
  if (total !== null && !(total <= MAX_COUNT)) issues.push('the total is beyond what a number holds');
  const macs = issues.length > 0 ? null : total;
  return {
    macs,
    byOp,
    unknown: Object.fromEntries(tally.unknown),
    notModelled: Object.fromEntries(tally.notModelled),
    blockers: tally.blockers,
    range: macs !== null && tally.lowDelta > 0 ? { min: macs - tally.lowDelta, max: macs } : null,
    controlFlow: tally.controlFlow,
    issues,
  };
}
