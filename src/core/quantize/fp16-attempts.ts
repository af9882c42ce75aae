/**
 * fp16 that survives trained models (docs/quantization.md#fp16), in order:
 * 1. stored values float16 cannot hold: BatchNormalizations folded into their Conv, ConvTranspose
 *    or Gemm where possible, any other reader kept fp32 (fp16-constants.ts, fp16-fold.ts);
 * 2. with the job's inputs, the fp32 model's activations: nodes that read or write values past
 *    the fp16-safe range stay fp32 (fp16-data.ts);
 * 3. the variant is checked on the same inputs; when an output has NaN/Inf or drifts (cosine under
 *    0.999), the nodes where its values first diverge from fp32's stay fp32 too and it is made
 *    again, at most MAX_ATTEMPTS times in all and within DATA_TIME_BUDGET_MS.
 * Every node kept fp32 is in the report's skipped list with its reason.
 */
import { DataType } from '../onnx/codec';
import type { GraphProto, NodeProto } from '../onnx/codec';
import { tensorByteSize } from '../onnx/tensor';
import { InferscopeError } from '../../shared/errors';
import { NodeSelection, type Workspace } from './common';
import { discoverElementTypes, type ElementTypes } from './element-types';
import { findConstantProblems, formatValue, isInferenceBatchNorm } from './fp16-constants';
import { Fp16Converter, readsAsFloat16, type Fp16Settings } from './fp16-convert';
import {
  checkOutputs,
  collectRecords,
  dataPassSkipped,
  measurableValues,
  measureDivergence,
  measureFp32,
  SAFE_ACTIVATION,
  type Fp32Measurement,
  type OutputCheck,
  type SessionSource,
  type ValueError,
} from './fp16-data';
import { emulateFp16Storage } from './fp16-emulate';
import { foldBatchNorms } from './fp16-fold';
import { allGraphs, cloneModel, nameAllocatorFor, producersOf } from './graph';
import type { ProgressCallback, TransformOptions, TransformReport } from './types';

/** The cosine every float output of the variant must keep against fp32 on the job's inputs. */
export const MIN_COSINE = 0.999;
export const MAX_ATTEMPTS = 3;
/** Measuring and retrying stop starting new work after this long. */
export const DATA_TIME_BUDGET_MS = 60_000;
/** A value this far from fp32's (‖x − y‖ / ‖x‖) has diverged. */
export const DIVERGED = 0.02;
/** At most this many more nodes are kept fp32 per retry. */
export const MAX_KEPT_PER_RETRY = 16;
/** Lines listed one by one in a report before "… and N more". */
const LISTED = 8;

export interface Fp16Plan {
  settings: Omit<Fp16Settings, 'keep'>;
  options: TransformOptions;
  onProgress?: ProgressCallback | undefined;
}

interface Attempt {
  ws: Workspace;
  converted: Set<string>;
  /** The variant's value types (float16 where it stores a value in float16). */
  types: ElementTypes;
  check: OutputCheck | undefined;
}

/** Converts the workspace's model to fp16 with the checks above; the workspace ends up holding the variant. */
export async function convertWithChecks(ws: Workspace, plan: Fp16Plan): Promise<void> {
  const keep = keepForConstants(ws, plan);
  const kinds = new Map<string, KeptFor>([...keep.keys()].map((name) => [name, 'keptFp32ForConstants']));
  const types = await discoverElementTypes(ws.model);
  const started = performance.now();
  const run: Run = {
    plan,
    types,
    keep,
    kinds,
    base: ws.model,
    baseReport: ws.report,
    source: (model, what) => ({ model, external: plan.options.external, what }),
    outOfTime: () => performance.now() - started > DATA_TIME_BUDGET_MS,
  };
  const measurement = await measure(ws, run);
  run.baseReport = copyReport(ws.report);
  const { best, log } = await attempts(run, measurement);
  adopt(ws, best);
  countKept(ws.report, keep, kinds);
  if (keep.size > 0) warnIfLittleSaved(ws.report, run.base, ws.model);
  reportChecks(ws.report, measurement, log, best);
}

/** The report's count of nodes kept fp32 for each kind of reason. */
type KeptFor = 'keptFp32ForConstants' | 'keptFp32ForActivations' | 'keptFp32AfterCheck';

interface Run {
  plan: Fp16Plan;
  types: ElementTypes;
  /** Nodes kept fp32 so far: name → reason. */
  keep: Map<string, string>;
  kinds: Map<string, KeptFor>;
  /** The fp32 model every attempt converts (BatchNormalizations folded). */
  base: Workspace['model'];
  baseReport: TransformReport;
  source: (model: Workspace['model'], what: string) => SessionSource;
  outOfTime: () => boolean;
}

interface AttemptLog {
  count: number;
  lines: string[];
  notes: string[];
}

/** The fp32 model's activations on the inputs (and the nodes they keep fp32), or undefined with the reason in the report. */
async function measure(ws: Workspace, run: Run): Promise<Fp32Measurement | undefined> {
  const { options, onProgress } = run.plan;
  const skipped = dataPassSkipped(ws.model, options.calibrationData);
  const records = skipped || !options.calibrationData ? [] : await collectRecords(options.calibrationData);
  if (skipped || records.length === 0) {
    ws.report.settings.activationRanges = `not measured: ${skipped ?? 'no inputs were given to the conversion'}`;
    return undefined;
  }
  onProgress?.({ stage: 'convert', message: 'measuring activation ranges on the evaluation inputs' });
  try {
    const measurement = await measureFp32(run.source(ws.model, 'the fp32 model'), records, measurableValues(ws.model, run.types), {
      onGroup: (done, total) => onProgress?.({ stage: 'convert', message: `activation ranges: group ${done} of ${total}` }),
      outOfTime: run.outOfTime,
    });
    for (const name of keepForActivations(ws, measurement, run.keep, run.plan.settings.keepIoTypes))
      run.kinds.set(name, 'keptFp32ForActivations');
    return measurement;
  } catch (error) {
    ws.report.settings.activationRanges = `not measured: ${advisoryFailure(error)}`;
    return undefined;
  }
}

/** A failure of the measurements costs the checks, never the variant; cancelling still cancels. */
function advisoryFailure(error: unknown): string {
  if (error instanceof InferscopeError && error.code === 'CANCELLED') throw error;
  return error instanceof Error ? error.message : String(error);
}

/** Convert, check, keep where the values diverge, convert again: the best attempt and what each did. */
async function attempts(run: Run, measurement: Fp32Measurement | undefined): Promise<{ best: Attempt; log: AttemptLog }> {
  const { plan, keep } = run;
  const log: AttemptLog = { count: 0, lines: [], notes: [] };
  let best: Attempt | undefined;
  let added: string[] = [];
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    log.count = n;
    plan.onProgress?.({ stage: 'convert', message: n === 1 ? 'converting to fp16' : `converting to fp16 again (attempt ${n})` });
    const attempt = convertOnce(run.base, run.baseReport, run.types, { ...plan.settings, keep }, plan.options);
    if (!measurement) return { best: attempt, log };
    // Checked as a GPU runs it: every fp16 value stored in float16 (a CPU keeps some in float32).
    const emulated = emulateFp16Storage(attempt.ws.model, attempt.types, plan.options.external);
    if (!emulated && n === 1) log.notes.push('checked as onnxruntime runs it on this CPU (the variant has subgraphs)');
    const variant = run.source(emulated ?? attempt.ws.model, 'the fp16 variant');
    try {
      attempt.check = await checkOutputs(variant, measurement, MIN_COSINE);
    } catch (error) {
      log.notes.push(`not checked: ${advisoryFailure(error)}`);
      return { best: attempt, log };
    }
    // Only the best attempt so far and this one are held.
    best = best ? bestAttempt([best, attempt]) : attempt;
    log.lines.push(`attempt ${n}: ${attemptSummary(attempt, keep.size, added)}`);
    if (attempt.check.passed) break;
    if (n === MAX_ATTEMPTS || run.outOfTime()) {
      log.lines.push(n === MAX_ATTEMPTS ? `stopped after ${n} attempts` : 'stopped: the time for checking ran out');
      break;
    }
    let errors: Map<string, ValueError>;
    try {
      errors = await measureDivergence(variant, measurement, [...measurement.ranges.keys()]);
    } catch (error) {
      log.lines.push(`stopped: the values could not be compared (${advisoryFailure(error)})`);
      break;
    }
    const more = divergenceOrigins(run.base.graph ?? {}, errors, attempt.converted, n + 1);
    if (more.size === 0) {
      log.lines.push('nothing left to keep in fp32: no converted node is where the values first diverge');
      break;
    }
    for (const [name, reason] of more) {
      keep.set(name, reason);
      run.kinds.set(name, 'keptFp32AfterCheck');
    }
    added = [...more.keys()];
  }
  return { best: best as Attempt, log };
}

/** BatchNormalizations folded where they can be, then every node reading a value float16 cannot hold: name → reason. */
function keepForConstants(ws: Workspace, plan: Fp16Plan): Map<string, string> {
  const { options, settings } = plan;
  const selection = new NodeSelection(options);
  let problems = findConstantProblems(ws.model, options.external, readsAsFloat16);
  const batchNorms = new Map<string, string>();
  const nodes = new Map<string, NodeProto>();
  for (const { graph } of allGraphs(ws.model)) for (const node of graph.node ?? []) if (node.name) nodes.set(node.name, node);
  for (const [name, reason] of problems) {
    const node = nodes.get(name);
    if (node && isInferenceBatchNorm(node)) batchNorms.set(name, reason);
  }
  const allowed = (node: NodeProto) => selection.refusal(node) === undefined && !settings.blockList.has(node.op_type ?? '');
  const outcome = foldBatchNorms(ws, batchNorms, options.external, allowed);
  if (outcome.folded.length > 0) {
    problems = findConstantProblems(ws.model, options.external, readsAsFloat16);
    ws.report.settings.foldedBatchNormalizations = outcome.folded.length;
    ws.report.warnings.push(listed(outcome.folded, 'more BatchNormalizations folded the same way'));
  }
  const keep = new Map<string, string>();
  for (const [name, reason] of problems) {
    const why = outcome.notFolded.get(name);
    keep.set(name, `${reason} — kept in fp32${why ? ` (not folded: ${why})` : ''}`);
  }
  return keep;
}

/** Nodes whose float inputs or outputs reach past ±SAFE_ACTIVATION on the inputs: name → reason (constants' reasons stay). */
function keepForActivations(ws: Workspace, measurement: Fp32Measurement, keep: Map<string, string>, keepIoTypes: boolean): string[] {
  const { ranges } = measurement;
  const kept: string[] = [];
  for (const node of ws.model.graph?.node ?? []) {
    const name = node.name ?? '';
    if (!name || keep.has(name)) continue;
    let worst: { value: string; maxAbs: number } | undefined;
    // Inputs of any type (Shape, Size, Cast) need no float16 copy of a large value.
    const read = (node.input ?? []).filter((value, slot) => readsAsFloat16(node, slot) && value);
    for (const value of [...read, ...(node.output ?? [])]) {
      const range = value ? ranges.get(value) : undefined;
      if (range && range.maxAbs > SAFE_ACTIVATION && (!worst || range.maxAbs > worst.maxAbs)) worst = { value, maxAbs: range.maxAbs };
    }
    if (!worst) continue;
    keep.set(
      name,
      `values reach ${formatValue(worst.maxAbs)} in ${worst.value} on the evaluation inputs, past the fp16-safe ±${SAFE_ACTIVATION} ` +
        `— kept in fp32`,
    );
    kept.push(name);
  }
  ws.report.settings.activationRanges =
    `measured on ${plural(measurement.records.length, 'input')} (${plural(ranges.size, 'value')})` +
    (measurement.notes.length ? `; ${measurement.notes.join('; ')}` : '');
  if (!keepIoTypes) {
    const large = (ws.model.graph?.input ?? []).filter((i) => (ranges.get(i.name ?? '')?.maxAbs ?? 0) > SAFE_ACTIVATION);
    if (large.length > 0) {
      ws.report.warnings.push(
        `Input ${large.map((i) => i.name).join(', ')} reaches past ±${SAFE_ACTIVATION} on the evaluation inputs and becomes float16 ` +
          `(keep I/O types is off): keep I/O types on to feed it as float32.`,
      );
    }
  }
  return kept;
}

function copyReport(report: TransformReport): TransformReport {
  return {
    nodesQuantized: report.nodesQuantized,
    settings: { ...report.settings },
    skipped: [...report.skipped],
    warnings: [...report.warnings],
  };
}

function convertOnce(
  base: Workspace['model'],
  report: TransformReport,
  types: ElementTypes,
  settings: Fp16Settings,
  options: TransformOptions,
): Attempt {
  const model = cloneModel(base);
  const ws: Workspace = { model, names: nameAllocatorFor(model), report: copyReport(report) };
  const variantTypes = new Map(types);
  const converter = new Fp16Converter(ws, variantTypes, settings, options);
  converter.run();
  return { ws, converted: converter.convertedNames(), types: variantTypes, check: undefined };
}

/** Passed first; then the fewest NaN/Inf; then the highest worst cosine; ties go to the earlier attempt. */
function bestAttempt(attempts: readonly Attempt[]): Attempt {
  const score = (a: Attempt) => (a.check ? [a.check.passed ? 0 : 1, a.check.broken, -a.check.worstCosine] : [0, 0, 0]);
  return attempts.reduce((best, a) => {
    const [x, y] = [score(a), score(best)];
    for (let i = 0; i < x.length; i++) if ((x[i] as number) !== (y[i] as number)) return (x[i] as number) < (y[i] as number) ? a : best;
    return best;
  });
}

function adopt(ws: Workspace, attempt: Attempt): void {
  ws.model = attempt.ws.model;
  ws.names = attempt.ws.names;
  Object.assign(ws.report, attempt.ws.report);
}

function attemptSummary(attempt: Attempt, kept: number, added: readonly string[]): string {
  const check = attempt.check as OutputCheck;
  const result =
    check.broken > 0
      ? `${check.broken} NaN/Inf in the outputs where fp32 is finite`
      : `outputs finite, worst cosine ${check.worstCosine.toFixed(6)}`;
  const more = added.length > 0 ? ` (${added.length} more: ${added.slice(0, LISTED).join(', ')}${added.length > LISTED ? ', …' : ''})` : '';
  return `${plural(kept, 'node')} kept in fp32${more}, ${result}${check.passed ? ' — accepted' : ''}`;
}

/**
 * The nodes to keep fp32 next, where the variant's values first leave fp32's: a node whose output
 * is past DIVERGED (or has NaN/Inf) while every measured float input is still close. A converted
 * one is kept; one already fp32 was hurt by the rounding of its inputs, so the converted nodes
 * that write them are kept instead. When no node is such a first step, the converted nodes whose
 * error grows most from input to output (at least 4×).
 */
export function divergenceOrigins(
  graph: GraphProto,
  errors: ReadonlyMap<string, ValueError>,
  converted: ReadonlySet<string>,
  attempt: number,
): Map<string, string> {
  const badness = (v: string | null | undefined): number => {
    const e = v ? errors.get(v) : undefined;
    return !e ? 0 : e.broken > 0 ? Infinity : e.relError;
  };
  const describe = (value: string): string => {
    const e = errors.get(value) as ValueError;
    return e.broken > 0 ? `has ${e.broken} NaN/Inf` : `is ${formatValue(e.relError * 100)}% away from fp32's`;
  };
  const producers = producersOf(graph);
  const reasons = new Map<string, string>();
  const add = (node: NodeProto | undefined, reason: string) => {
    if (node?.name && converted.has(node.name) && !reasons.has(node.name) && reasons.size < MAX_KEPT_PER_RETRY)
      reasons.set(node.name, `${reason} — kept in fp32 (attempt ${attempt})`);
  };
  const steps: { node: NodeProto; value: string; ratio: number }[] = [];
  for (const node of graph.node ?? []) {
    const outputs = (node.output ?? []).filter((o) => o && errors.has(o));
    const value = outputs.reduce((w, o) => (badness(o) > badness(w) ? o : w), outputs[0] ?? '');
    const out = badness(value);
    if (!value || out <= DIVERGED) continue;
    const into = Math.max(0, ...(node.input ?? []).map(badness));
    if (into > DIVERGED) {
      if (node.name && converted.has(node.name) && out >= 4 * into) steps.push({ node, value, ratio: out / into });
      continue;
    }
    const how = `${describe(value)} on the evaluation inputs`;
    if (node.name && converted.has(node.name)) add(node, `in fp16 its output ${value} ${how} while its inputs are still close`);
    else
      for (const input of node.input ?? [])
        add(input ? producers.get(input) : undefined, `its fp16 output feeds ${node.op_type} ${node.name}, whose output ${value} ${how}`);
  }
  if (reasons.size > 0) return reasons;
  for (const step of steps.sort((a, b) => b.ratio - a.ratio)) {
    add(step.node, `in fp16 its output ${step.value} ${describe(step.value)} on the evaluation inputs, the largest step up in error`);
  }
  return reasons;
}

/** Nodes the final variant keeps fp32 for each kind of range reason (not those kept for another reason first). */
function countKept(report: TransformReport, keep: ReadonlyMap<string, string>, kinds: ReadonlyMap<string, KeptFor>): void {
  for (const entry of report.skipped) {
    const kind = kinds.get(entry.node);
    if (kind && keep.get(entry.node) === entry.reason) report.settings[kind] = Number(report.settings[kind] ?? 0) + 1;
  }
}

function reportChecks(report: TransformReport, measurement: Fp32Measurement | undefined, attempts: AttemptLog, best: Attempt): void {
  if (!measurement) return;
  const { count, lines, notes } = attempts;
  if (!best.check) {
    if (notes.length > 0) report.settings.fp16Check = notes.join('; ');
    return;
  }
  const { check } = best;
  report.settings.fp16Check =
    (check.passed ? 'passed' : 'failed') +
    `: ${check.broken > 0 ? `${check.broken} NaN/Inf` : 'outputs finite'}, worst cosine ${check.worstCosine.toFixed(6)} on ` +
    `${plural(measurement.records.length, 'input')} (${plural(count, 'attempt')})` +
    notes.map((n) => `; ${n}`).join('');
  if (count > 1 || !check.passed) report.warnings.push(`fp16 checked on the evaluation inputs: ${lines.join('; ')}.`);
}

/** Bytes of the float32 weights something reads. */
function floatBytes(model: Workspace['model']): number {
  const read = new Set<string>();
  for (const { graph } of allGraphs(model)) for (const node of graph.node ?? []) for (const i of node.input ?? []) read.add(i);
  let bytes = 0;
  for (const { graph } of allGraphs(model))
    for (const t of graph.initializer ?? []) if (t.data_type === DataType.FLOAT && read.has(t.name ?? '')) bytes += tensorByteSize(t) ?? 0;
  return bytes;
}

/** Weights whose readers stay fp32 stay float32 too: said when that is most of them. */
function warnIfLittleSaved(report: TransformReport, before: Workspace['model'], after: Workspace['model']): void {
  const total = floatBytes(before);
  const kept = floatBytes(after);
  if (total === 0 || kept <= total / 2) return;
  report.warnings.push(
    `${Math.round((100 * kept) / total)} % of the float32 weight bytes stay float32, because the nodes that read them are kept in ` +
      `fp32: this variant is not much smaller than the original.`,
  );
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

function listed(lines: readonly string[], more: string): string {
  if (lines.length <= LISTED) return lines.join('. ') + '.';
  return `${lines.slice(0, LISTED).join('. ')}. … and ${lines.length - LISTED} ${more}.`;
}
