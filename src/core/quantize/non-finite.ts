/**
 * Where a broken variant's NaN or Inf first appear, when the per-layer pass did not say (it measures
 * only the layers a transformation changed; a division or a logarithm after them is where int8
 * rounding usually turns into Inf). Both models run one input set again with every tensor of the
 * variant's main graph that the original also has as an extra output, and the first one in graph
 * order with non-finite values where the original's are finite is named. Runs only for broken
 * variants, and only for models the per-layer pass would take.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { NonFiniteFrom } from '../../shared/domain/quantize';
import { decodeModel } from '../onnx/read';
import { feedsFor, keep, openFromBytes, type OutputValue } from './evaluate';
import { MAX_LAYER_MODEL_BYTES, withExtraOutputs } from './layers';
import type { InputRecord } from './types';

/** At most this many intermediate tensors are fetched. */
const MAX_TENSORS = 2000;

async function runWith(file: string, bytes: Uint8Array, names: readonly string[], declared: ReadonlySet<string>, record: InputRecord) {
  // Graph outputs are fetched as they are; only the other tensors are added as outputs.
  const extra = names.filter((n) => !declared.has(n));
  const session = await openFromBytes(withExtraOutputs(bytes, extra), path.dirname(file), 'a model with its layer outputs', 'disabled');
  try {
    const result = await session.run(feedsFor(session, record), [...names]);
    return new Map(names.map((n) => [n, keep(result[n])] as const));
  } finally {
    await session.release();
  }
}

function counts(original: OutputValue, variant: OutputValue): { nanCount: number; infCount: number } {
  let nanCount = 0;
  let infCount = 0;
  const n = Math.min(original.data.length, variant.data.length);
  for (let i = 0; i < n; i++) {
    const y = Number(variant.data[i]);
    if (Number.isFinite(y) || !Number.isFinite(Number(original.data[i]))) continue;
    if (Number.isNaN(y)) nanCount++;
    else infCount++;
  }
  return { nanCount, infCount };
}

function outputsOf(model: ReturnType<typeof decodeModel>): Set<string> {
  return new Set((model.graph?.output ?? []).map((o) => o.name ?? ''));
}

/** The first node of the variant whose output turns non-finite where the original's is finite; null when none is found. */
export async function locateNonFinite(modelPath: string, variantPath: string, record: InputRecord): Promise<NonFiniteFrom | null> {
  const [originalBytes, variantBytes] = await Promise.all([fs.readFile(modelPath), fs.readFile(variantPath)]);
  if (originalBytes.byteLength + variantBytes.byteLength > MAX_LAYER_MODEL_BYTES) return null;
  const original = decodeModel(originalBytes);
  const variant = decodeModel(variantBytes);
  const originalValues = new Set<string>();
  for (const node of original.graph?.node ?? []) for (const o of node.output ?? []) if (o) originalValues.add(o);
  const producers = new Map<string, { node: string; opType: string }>();
  const names: string[] = [];
  for (const node of variant.graph?.node ?? []) {
    for (const o of node.output ?? []) {
      if (!o || !originalValues.has(o) || names.length >= MAX_TENSORS) continue;
      names.push(o);
      producers.set(o, { node: node.name || o, opType: node.op_type ?? '?' });
    }
  }
  if (names.length === 0) return null;
  const x = await runWith(modelPath, originalBytes, names, outputsOf(original), record);
  const y = await runWith(variantPath, variantBytes, names, outputsOf(variant), record);
  for (const name of names) {
    const a = x.get(name);
    const b = y.get(name);
    if (!a || !b) continue;
    const found = counts(a, b);
    if (found.nanCount + found.infCount > 0) return { ...(producers.get(name) as { node: string; opType: string }), ...found };
  }
  return null;
}
