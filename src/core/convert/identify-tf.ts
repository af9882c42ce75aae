/**
 * TensorFlow files: Keras HDF5 (.h5), Keras v3 (.keras, a ZIP), SavedModel folders and TFLite
 * flatbuffers, told apart by their bytes; Keras inputs are read from the saved model config.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputSpecSchema, type InputSpec } from '../../shared/domain/convert';
import { reading, type Reading } from './formats';

export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** HDF5 allows a user block before the superblock: the signature sits at 0, 512, 1024, 2048, … */
const HDF5_OFFSETS = [0, 512, 1024, 2048];

export const isHdf5 = (head: Uint8Array): boolean => HDF5_OFFSETS.some((at) => HDF5_SIGNATURE.every((byte, i) => head[at + i] === byte));

export const isTflite = (head: Uint8Array): boolean =>
  head.length >= 8 && String.fromCharCode(head[4] ?? 0, head[5] ?? 0, head[6] ?? 0, head[7] ?? 0) === 'TFL3';

const DTYPES = new Set(InputSpecSchema.shape.dtype.unwrap().options as readonly string[]);

function dtypeOf(value: unknown): InputSpec['dtype'] {
  // Keras 3 writes a dtype policy object; Keras 2 a plain name.
  const name =
    typeof value === 'string'
      ? value
      : ((value as { config?: { name?: unknown } } | null)?.config?.name ?? (value as { name?: unknown } | null)?.name);
  return typeof name === 'string' && DTYPES.has(name) ? (name as InputSpec['dtype']) : 'float32';
}

function dimsOf(shape: unknown[]): InputSpec['shape'] {
  let unnamed = 0;
  return shape.map((d, i) => {
    if (typeof d === 'number' && Number.isInteger(d) && d > 0) return d;
    if (i === 0) return 'batch';
    return unnamed++ === 0 ? 'sequence' : `d${i}`;
  });
}

function inputOf(config: Record<string, unknown>, fallbackName: string): InputSpec | null {
  const shape = config.batch_shape ?? config.batch_input_shape;
  if (!Array.isArray(shape)) return null;
  const name = typeof config.name === 'string' && config.name ? config.name : fallbackName;
  return { name, shape: dimsOf(shape), dtype: dtypeOf(config.dtype) };
}

/** The model's inputs from a Keras model config (InputLayer entries, else a Sequential's first layer). */
export function kerasInputs(config: unknown): InputSpec[] {
  const inputs: InputSpec[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((item) => visit(item, depth + 1));
    const record = node as Record<string, unknown>;
    if (record.class_name === 'InputLayer' && record.config && typeof record.config === 'object') {
      const input = inputOf(record.config as Record<string, unknown>, `input_${inputs.length + 1}`);
      if (input) inputs.push(input);
      return;
    }
    Object.values(record).forEach((value) => visit(value, depth + 1));
  };
  visit(config, 0);
  if (inputs.length > 0) return inputs;
  const first = (config as { config?: { layers?: { config?: Record<string, unknown> }[] } } | null)?.config?.layers?.[0]?.config;
  const input = first ? inputOf(first, 'input_1') : null;
  return input ? [input] : [];
}

/** The JSON object starting at `from` (braces matched outside strings), or null. */
export function jsonObjectAt(text: string, from: number): unknown {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length && i - from < 16 * 1024 * 1024; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) {
      try {
        return JSON.parse(text.slice(from, i + 1)) as unknown;
      } catch {
        return null;
      }
    }
  }
  return null;
}

const CHUNK = 8 * 1024 * 1024;

/** Looks through an HDF5 file for Keras's attributes: model_config (a whole model) or only layer_names (weights). */
export async function readKerasH5(file: string): Promise<Reading> {
  const handle = await fs.open(file, 'r');
  let text = '';
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(CHUNK, size));
    // Latin-1 keeps one character per byte; an overlap keeps a name cut between chunks findable.
    for (let at = 0; at < size; at += CHUNK) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
      text = text.slice(-64 * 1024) + buffer.subarray(0, bytesRead).toString('latin1');
      const found = kerasInText(text);
      if (found) return found;
    }
  } finally {
    await handle.close();
  }
  if (text.includes('layer_names') || text.includes('weight_names')) {
    return reading('keras-h5', ['HDF5 file with layer_names but no model_config (model.save_weights)'], {
      label: 'Keras HDF5 weights only (TensorFlow)',
      needsModelCode: true,
      blocker: 'it holds weights only; save the whole model (model.save("model.keras") or .h5) to convert it.',
    });
  }
  return reading('unknown', ['an HDF5 file without Keras attributes (no model_config, no layer_names)']);
}

function kerasInText(text: string): Reading | null {
  const at = text.indexOf('model_config');
  if (at < 0) return null;
  const json = text.indexOf('{"class_name"', at);
  const config = json >= 0 ? jsonObjectAt(text, json) : null;
  if (json >= 0 && config === null && text.length - json < 16 * 1024 * 1024) return null; // cut: read on
  const version = /keras_version[\s\S]{0,64}?(\d+\.\d+\.\d+)/.exec(text.slice(at - 4096 < 0 ? 0 : at - 4096, at + 65536));
  const evidence = ['HDF5 file with a Keras model_config (model.save)'];
  if (version) evidence.push(`saved by Keras ${version[1]}`);
  const declaredInputs = config ? kerasInputs(config) : [];
  if (config) evidence.push(`${(config as { class_name?: string }).class_name ?? 'model'} with ${declaredInputs.length} input(s)`);
  return reading('keras-h5', evidence, { declaredInputs });
}

export function readKerasV3(config: Buffer | undefined): Reading {
  const parsed = config ? jsonObjectAt(config.toString('utf8'), config.indexOf('{')) : null;
  const declaredInputs = parsed ? kerasInputs(parsed) : [];
  const evidence = ['ZIP with config.json and model.weights.h5 (Keras v3)'];
  if (parsed) evidence.push(`${(parsed as { class_name?: string }).class_name ?? 'model'} with ${declaredInputs.length} input(s)`);
  return reading('keras-v3', evidence, { declaredInputs });
}

/** A SavedModel folder: saved_model.pb (or .pbtxt) and variables/. */
export async function readSavedModel(dir: string): Promise<Reading | null> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const pb = names.find((n) => n === 'saved_model.pb' || n === 'saved_model.pbtxt');
  if (!pb) return null;
  const evidence = [`folder with ${pb}${names.includes('variables') ? ' and variables/' : ''}`];
  if (names.includes('keras_metadata.pb')) evidence.push('keras_metadata.pb: saved from Keras');
  const graph = await fs.readFile(path.join(dir, pb)).catch(() => null);
  if (graph?.includes('serving_default')) evidence.push('has a serving_default signature');
  return reading('tf-savedmodel', evidence);
}

export function readTflite(): Reading {
  return reading('tflite', ['FlatBuffer with the TFL3 identifier at byte 4']);
}
