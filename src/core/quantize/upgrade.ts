/**
 * Legacy models (IR < 4, opset < 13) upgraded before they are used, and never used unchecked:
 * the original and the upgraded model run on the same inputs in onnxruntime, and every output
 * must agree within UPGRADE_MAX_REL_DIFF (max |Δ| over max |original|). When one does not, the
 * upgrade is refused naming the first node whose output differs, found by running both models
 * again with every shared intermediate tensor as an output.
 *
 * Used by a quantization job whose mode needs a newer opset (stated in its report), and on its
 * own (`inferscope upgrade`, the Model view) through upgradeFile.
 */
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { DimValues } from '../../shared/domain/app';
import type { InputValues } from '../../shared/domain/input-values';
import { UPGRADE_MAX_REL_DIFF, type UpgradeReport } from '../../shared/domain/upgrade';
import { InferscopeError } from '../../shared/errors';
import type { IntRange } from '../bench/inputs';
import type { ModelProto } from '../onnx/codec';
import { readModel } from '../onnx/read';
import { needsUpgrade, upgradeModel, type UpgradePlan } from '../onnx/upgrade';
import { encodeModel } from '../onnx/write';
import { writeFileAtomic } from '../store/atomic';
import { buildQuantizeData, graphInputs, sampleOf } from './data';
import { feedsFor, keep, openFromBytes, type OutputValue } from './evaluate';
import { irVersion, opsetVersion } from './graph';
export { opsetNeeded, shouldUpgrade } from './legacy';
import { withExtraOutputs } from './layers';
import type { InputRecord } from './types';

/** The largest |x − y| relative to max |x|; a non-finite value that is not in the same place in both counts as Infinity. */
export function relativeDifference(x: OutputValue, y: OutputValue): number {
  if (x.data.length !== y.data.length) return Number.POSITIVE_INFINITY;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < x.data.length; i++) {
    const a = Number(x.data[i]);
    const b = Number(y.data[i]);
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) continue;
      return Number.POSITIVE_INFINITY;
    }
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    maxRef = Math.max(maxRef, Math.abs(a));
  }
  if (maxDiff === 0) return 0;
  return maxRef > 0 ? maxDiff / maxRef : Number.POSITIVE_INFINITY;
}

async function runAll(
  session: ort.InferenceSession,
  records: readonly InputRecord[],
  what: string,
  signal?: AbortSignal,
): Promise<Map<string, OutputValue>[]> {
  const all: Map<string, OutputValue>[] = [];
  for (const record of records) {
    if (signal?.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feedsFor(session, record));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new InferscopeError('SESSION_FAILED', `Running ${what} failed: ${message}`, { detail: message, cause: error });
    }
    const kept = new Map<string, OutputValue>();
    for (const name of session.outputNames) {
      const value = keep(result[name]);
      if (value) kept.set(name, value);
    }
    all.push(kept);
  }
  return all;
}

export interface VerifyUpgradeInput {
  /** The original model's bytes as read from its file, and the folder its external data lies in. */
  originalBytes: Uint8Array;
  folder: string;
  original: ModelProto;
  upgraded: ModelProto;
  upgradedBytes: Uint8Array;
  records: readonly InputRecord[];
  signal?: AbortSignal | undefined;
}

/** Runs both models on every record; refuses (UPGRADE_MISMATCH, naming the node) when an output differs beyond the limit. */
export async function verifyUpgrade(input: VerifyUpgradeInput): Promise<UpgradeReport['verification']> {
  const reference = await openFromBytes(input.originalBytes, input.folder, 'the original model');
  let expected: Map<string, OutputValue>[];
  try {
    expected = await runAll(reference, input.records, 'the original model', input.signal);
  } finally {
    await reference.release();
  }
  const candidate = await openFromBytes(input.upgradedBytes, input.folder, 'the upgraded model');
  let actual: Map<string, OutputValue>[];
  try {
    actual = await runAll(candidate, input.records, 'the upgraded model', input.signal);
  } finally {
    await candidate.release();
  }
  let worst = { diff: 0, output: null as string | null, record: -1 };
  expected.forEach((outputs, index) => {
    for (const [name, x] of outputs) {
      const y = actual[index]?.get(name);
      const diff = y ? relativeDifference(x, y) : Number.POSITIVE_INFINITY;
      if (diff > worst.diff || worst.output === null) worst = { diff, output: name, record: index };
    }
  });
  if (worst.diff > UPGRADE_MAX_REL_DIFF) {
    const record = input.records[worst.record] as InputRecord;
    const node = await firstDifferingNode(input, record).catch(() => null);
    const diff = Number.isFinite(worst.diff) ? worst.diff.toExponential(2) : 'not finite';
    throw new InferscopeError(
      'UPGRADE_MISMATCH',
      `The upgraded model's output ${worst.output} differs from the original's (max relative difference ${diff}, limit 1e-5)` +
        `${node ? `, first at node ${node}` : ''}: the upgrade is not used.`,
      { detail: node ?? worst.output ?? '' },
    );
  }
  return { samples: input.records.length, maxRelDiff: worst.diff, limit: UPGRADE_MAX_REL_DIFF, worstOutput: worst.output };
}

/** At most this many intermediate tensors are compared when looking for the node that differs. */
const MAX_LOCATE_TENSORS = 2000;

/** "Softmax_3 (Softmax)": the first node in the upgraded graph whose output differs from the same tensor of the original. */
async function firstDifferingNode(input: VerifyUpgradeInput, record: InputRecord): Promise<string | null> {
  const originalValues = new Set<string>();
  for (const node of input.original.graph?.node ?? []) for (const o of node.output ?? []) if (o) originalValues.add(o);
  const declared = new Set((input.upgraded.graph?.output ?? []).map((o) => o.name ?? ''));
  const producers = new Map<string, string>();
  const names: string[] = [];
  for (const node of input.upgraded.graph?.node ?? []) {
    for (const o of node.output ?? []) {
      if (!o || !originalValues.has(o) || declared.has(o) || names.length >= MAX_LOCATE_TENSORS) continue;
      names.push(o);
      producers.set(o, `${node.name || o} (${node.op_type ?? '?'})`);
    }
  }
  if (names.length === 0) return null;
  const run = async (bytes: Uint8Array, what: string) => {
    const session = await openFromBytes(withExtraOutputs(bytes, names), input.folder, what);
    try {
      return (await runAll(session, [record], what))[0] as Map<string, OutputValue>;
    } finally {
      await session.release();
    }
  };
  const x = await run(input.originalBytes, 'the original model');
  const y = await run(input.upgradedBytes, 'the upgraded model');
  for (const name of names) {
    const a = x.get(name);
    const b = y.get(name);
    if (a && b && relativeDifference(a, b) > UPGRADE_MAX_REL_DIFF) return producers.get(name) ?? name;
  }
  return null;
}

/** Upgrades a model held in memory and checks it on `records`: the upgraded model and the report. */
export async function upgradeVerified(
  input: Omit<VerifyUpgradeInput, 'upgraded' | 'upgradedBytes'>,
): Promise<{ model: ModelProto; bytes: Uint8Array; report: UpgradeReport }> {
  const { model, plan } = upgradeModel(input.original);
  const bytes = encodeModel(model);
  const verification = await verifyUpgrade({ ...input, upgraded: model, upgradedBytes: bytes });
  return { model, bytes, report: reportOf(plan, verification) };
}

export function reportOf(plan: UpgradePlan, verification: UpgradeReport['verification']): UpgradeReport {
  return { ...plan, changes: plan.changes.map((c) => ({ node: c.node, op: c.op, what: c.what })), verification };
}

export interface UpgradeFileRequest {
  modelPath: string;
  outputPath: string;
  /** Input sets both models run on (seeded random, sized by the profile). */
  samples?: number;
  dims?: DimValues | undefined;
  intRanges?: Readonly<Record<string, IntRange>> | undefined;
  inputValues?: InputValues | undefined;
}

/** Inferscope's own action: the upgraded model written beside nothing of the original, verified before it is kept. */
export async function upgradeFile(
  request: UpgradeFileRequest,
  signal?: AbortSignal,
): Promise<{ report: UpgradeReport; sizeBytes: number }> {
  const loaded = await readModel(request.modelPath, signal ? { signal } : {});
  if (loaded.externalData.length > 0) {
    throw new InferscopeError('UPGRADE_UNSUPPORTED', 'Models with external data files are not upgraded here; re-export the model instead.');
  }
  if (!needsUpgrade(loaded.model)) {
    throw new InferscopeError(
      'NOT_SUPPORTED',
      `${path.basename(request.modelPath)} is already IR ${irVersion(loaded.model)} / opset ${opsetVersion(loaded.model) ?? '?'}: ` +
        'nothing to upgrade.',
    );
  }
  const { model, plan } = upgradeModel(loaded.model);
  const data = await buildQuantizeData({
    spec: { kind: 'random', samples: 1, seed: 1 },
    inputs: graphInputs(model),
    sample: sampleOf(model),
    calibrate: false,
    evaluationSamples: request.samples ?? 4,
    dims: request.dims,
    intRanges: request.intRanges,
    inputValues: request.inputValues,
    signal,
  });
  const bytes = encodeModel(model);
  const verification = await verifyUpgrade({
    originalBytes: loaded.bytes,
    folder: loaded.dir,
    original: loaded.model,
    upgraded: model,
    upgradedBytes: bytes,
    records: data.evaluation,
    signal,
  });
  await writeFileAtomic(request.outputPath, bytes);
  return { report: reportOf(plan, verification), sizeBytes: bytes.byteLength };
}
