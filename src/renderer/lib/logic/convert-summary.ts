/**
 * How a conversion and its check read: the figures (max |Δ|, cosine, tolerance), the line naming a converted
 * model's source wherever the model is named, and the progress stages. Pure, tested without a page.
 */
import {
  ConversionCheckSchema,
  type ConversionCheck,
  type ConvertedModel,
  type ConvertProgress,
  type OutputAgreement,
  type PythonEnv,
} from '../../../shared/domain/convert';
import type { ModelInfo } from '../../../shared/domain/model';
import type { ErrorInfo } from '../../../shared/errors';

/** A difference as people compare them: 0, 3.1e-7, 0.0042, 1.5. */
export function formatDiff(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e5) return value.toExponential(1).replace('e+', 'e');
  return Number(value.toPrecision(3)).toString();
}

/** Cosine close to 1 shown with enough digits that 0.99999 and 1 differ. */
export function formatCosine(value: number): string {
  return value.toFixed(6);
}

/** The largest max |Δ| this output may have: abs + rel × max |original|. */
export function allowedDiff(output: OutputAgreement, tolerance: ConversionCheck['tolerance']): number {
  return tolerance.abs + tolerance.rel * output.maxAbsOriginal;
}

export function toleranceText(tolerance: ConversionCheck['tolerance']): string {
  return `max |Δ| ≤ ${formatDiff(tolerance.abs)} + ${formatDiff(tolerance.rel)} × max |original|, cosine ≥ ${tolerance.minCosine}`;
}

/** "verified: max |Δ| 3.1e-7, cosine 1.000000" — or what failed. */
export function checkLine(check: ConversionCheck): string {
  const figures = `max |Δ| ${formatDiff(check.maxAbsDiff)}, cosine ${formatCosine(check.minCosine)}`;
  return check.passed ? `verified: ${figures}` : `did not agree: ${figures}`;
}

/** "on 2 input sets (seed 1234) in onnxruntime 1.22.0 (CPU): x float32[1, 3, 32, 32]" */
export function checkInputsLine(check: ConversionCheck): string {
  const inputs = check.inputs.map((input) => `${input.name} ${input.dtype}[${input.shape.join(', ')}]`).join(', ');
  const sets = `${check.samples} input set${check.samples === 1 ? '' : 's'}`;
  return `Both ran on ${sets} (seed ${check.seed}) — the original in its framework, the ONNX model in ${check.runtime}: ${inputs}.`;
}

/** "Python 3.11.2 / torch 2.1.0" from the Python that converted it and the packages that did the work. */
export function pythonLine(python: ConvertedModel['python']): string {
  const packages = ['torch', 'tensorflow', 'tf2onnx']
    .map((name) => (python.packages[name] ? `${name} ${python.packages[name]}` : null))
    .filter((text): text is string => text !== null);
  return [`Python ${python.version}`, ...packages].join(' / ');
}

export function envPackagesLine(env: PythonEnv, needed: readonly string[]): string {
  const names = needed.length > 0 ? needed : Object.keys(env.packages);
  return names.map((name) => (env.packages[name] ? `${name} ${env.packages[name]}` : `${name} missing`)).join(' · ');
}

/** What the model view knows of where an ONNX model came from: the core's record on the model, else the converted list. */
export interface ConvertedOrigin {
  name: string;
  label: string;
  check: ConversionCheck | null;
  converted: ConvertedModel | null;
}

/** The conversion an open model came from: by its path in the converted list, else by the source the model names. */
export function originOf(info: ModelInfo, converted: readonly ConvertedModel[]): ConvertedOrigin | null {
  const named = info.convertedFrom ?? null;
  const match =
    converted.find((entry) => entry.path === info.path) ??
    (named ? converted.find((entry) => entry.source.sha256 === named.sha256) : undefined) ??
    null;
  if (match) return { name: match.source.name, label: match.source.label, check: match.check, converted: match };
  if (named) return { name: named.name, label: named.label, check: null, converted: null };
  return null;
}

/** "Converted from model.pt (TorchScript module (PyTorch)) · verified: max |Δ| 3.1e-7, cosine 1.000000" */
export function originLine(origin: ConvertedOrigin): string {
  const from = `Converted from ${origin.name} · ${origin.label}`;
  return origin.check ? `${from} · ${checkLine(origin.check)}` : from;
}

export const STAGES: readonly { stage: ConvertProgress['stage']; label: string }[] = [
  { stage: 'starting', label: 'Starting Python' },
  { stage: 'loading', label: 'Loading the model' },
  { stage: 'running-original', label: 'Running the original' },
  { stage: 'exporting', label: 'Exporting to ONNX' },
  { stage: 'checking', label: 'Checking in onnxruntime' },
  { stage: 'done', label: 'Done' },
];

export type StageState = 'done' | 'current' | 'waiting';

export function stageStates(current: ConvertProgress['stage'] | null): StageState[] {
  const at = current === null ? 0 : STAGES.findIndex((entry) => entry.stage === current);
  return STAGES.map((_, i) => (i < at ? 'done' : i === at ? 'current' : 'waiting'));
}

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${String(seconds % 60).padStart(2, '0')} s` : `${seconds} s`;
}

/**
 * A refused conversion's figures: CONVERT_MISMATCH carries the check as its detail, shown as the table a
 * passed check gets; the error itself then needs no detail. Anything else is shown as it came.
 */
export function mismatchOf(error: ErrorInfo): { error: ErrorInfo; check: ConversionCheck | null } {
  if (error.code !== 'CONVERT_MISMATCH' || !error.detail) return { error, check: null };
  try {
    const parsed = ConversionCheckSchema.safeParse(JSON.parse(error.detail));
    if (!parsed.success) return { error, check: null };
    return { error: { code: error.code, message: error.message }, check: parsed.data };
  } catch {
    return { error, check: null };
  }
}
