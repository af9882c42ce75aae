/**
 * The inputs a conversion runs the original on: the user's shapes with each named dim at its
 * example size, and (when there are named dims) a second set at other sizes, so the check proves
 * the exported axes really are dynamic. Also the opset rule: the newest both sides support.
 */
import type { InputSpec } from '../../shared/domain/convert';
import { InferscopeError } from '../../shared/errors';

/** Dim names that usually mean a sequence: fed 8 unless the user says otherwise. */
const SEQUENCE_LIKE = /seq|len|time|token|step|frame|word|char|position/i;
export const SEQUENCE_EXAMPLE = 8;

/** onnxruntime-node 1.30 runs models up to opset 27 (src/core/onnx/inspect.ts warns past the same number). */
export const ORT_MAX_OPSET = 27;
/** When the exporter's own limit could not be read: opsets every supported exporter writes (torch ≥ 1.13, tf2onnx ≥ 1.13). */
export const FALLBACK_OPSET = { torch: 17, tf2onnx: 15 } as const;

export function exampleSize(name: string, exampleSizes: Record<string, number>): number {
  return exampleSizes[name] ?? (SEQUENCE_LIKE.test(name) ? SEQUENCE_EXAMPLE : 1);
}

/** The second set's size: smaller for large dims (a model may cap a sequence), larger for 1 and 2. */
export const otherSize = (size: number): number => (size > 2 ? Math.ceil(size / 2) : size + 1);

export function sampleShapes(inputs: readonly InputSpec[], exampleSizes: Record<string, number>): number[][][] {
  const first = inputs.map((input) => input.shape.map((d) => (typeof d === 'number' ? d : exampleSize(d, exampleSizes))));
  const dynamic = inputs.some((input) => input.shape.some((d) => typeof d === 'string'));
  if (!dynamic) return [first];
  const second = inputs.map((input) => input.shape.map((d) => (typeof d === 'number' ? d : otherSize(exampleSize(d, exampleSizes)))));
  return [first, second];
}

/** Every input needs a shape and a distinct name before Python is started. */
export function checkInputs(inputs: readonly InputSpec[], declared: readonly InputSpec[]): void {
  if (inputs.length === 0) {
    const names = declared.map((i) => i.name);
    const hint = names.length > 0 ? ` The file names ${names.length === 1 ? 'it' : 'them'}: ${names.join(', ')}.` : '';
    throw new InferscopeError(
      'CONVERT_SHAPES_REQUIRED',
      `Give the shape of each input (e.g. ${names[0] ?? 'input'}=batch,3,224,224; a name keeps that axis dynamic).${hint}`,
    );
  }
  const seen = new Set<string>();
  for (const input of inputs) {
    if (seen.has(input.name)) throw new InferscopeError('CONVERT_SHAPES_REQUIRED', `The input ${input.name} is given twice.`);
    seen.add(input.name);
    if (input.shape.length === 0) {
      throw new InferscopeError(
        'CONVERT_SHAPES_REQUIRED',
        `The input ${input.name} has no shape: give its dims (e.g. ${input.name}=batch,3,224,224; a name keeps that axis dynamic).`,
      );
    }
  }
}

/**
 * The opset to export: the one asked for, else the newest both the exporter and this onnxruntime
 * support. Asking for more than either supports is refused before anything runs.
 */
export function chooseOpset(exporterMax: number | null, fallback: number, asked: number | undefined, exporter: string): number {
  const limit = Math.min(exporterMax ?? fallback, ORT_MAX_OPSET);
  if (asked === undefined) return limit;
  if (exporterMax !== null && asked > exporterMax) {
    throw new InferscopeError('BAD_REQUEST', `Opset ${asked} is newer than ${exporter} writes (up to ${exporterMax}).`);
  }
  if (asked > ORT_MAX_OPSET) {
    throw new InferscopeError('BAD_REQUEST', `Opset ${asked} is newer than this onnxruntime runs (up to ${ORT_MAX_OPSET}).`);
  }
  return asked;
}
