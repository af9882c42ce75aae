/**
 * Each source format in the user's words: its label, framework, the Python packages converting it
 * needs, and the one sentence that says what it is and what converting it takes.
 */
import type { Framework, InputSpec, SourceFormat, SourceIdentity } from '../../shared/domain/convert';

export const TORCH_PACKAGES = ['torch', 'onnx'] as const;
export const TF_PACKAGES = ['tensorflow', 'tf2onnx'] as const;

interface FormatInfo {
  label: string;
  framework: Framework | null;
  packages: readonly string[];
}

export const FORMATS: Record<SourceFormat, FormatInfo> = {
  onnx: { label: 'ONNX model', framework: null, packages: [] },
  torchscript: { label: 'TorchScript module (PyTorch)', framework: 'pytorch', packages: TORCH_PACKAGES },
  'torch-module': { label: 'pickled nn.Module (PyTorch)', framework: 'pytorch', packages: TORCH_PACKAGES },
  'torch-state-dict': { label: 'state_dict, weights only (PyTorch)', framework: 'pytorch', packages: TORCH_PACKAGES },
  'torch-pickle': { label: 'Python pickle (PyTorch checkpoint or other)', framework: 'pytorch', packages: TORCH_PACKAGES },
  'keras-h5': { label: 'Keras HDF5 model (TensorFlow)', framework: 'tensorflow', packages: TF_PACKAGES },
  'keras-v3': { label: 'Keras v3 model (TensorFlow)', framework: 'tensorflow', packages: TF_PACKAGES },
  'tf-savedmodel': { label: 'TensorFlow SavedModel', framework: 'tensorflow', packages: TF_PACKAGES },
  tflite: { label: 'TensorFlow Lite model', framework: 'tensorflow', packages: TF_PACKAGES },
  unknown: { label: 'not a model format Inferscope knows', framework: null, packages: [] },
};

/** What identification found, before hashing and the cache lookup. */
export interface Reading {
  format: SourceFormat;
  /** Overrides the format's label ("Keras HDF5 weights only (TensorFlow)"). */
  label?: string;
  evidence: string[];
  runsStoredCode: boolean;
  needsModelCode: boolean;
  pickledClasses: string[];
  declaredInputs: InputSpec[];
  /** Why it cannot be converted at all (Keras weights without the model); null when it can. */
  blocker?: string | null;
}

export const reading = (format: SourceFormat, evidence: string[], more: Partial<Reading> = {}): Reading => ({
  format,
  evidence,
  runsStoredCode: false,
  needsModelCode: false,
  pickledClasses: [],
  declaredInputs: [],
  ...more,
});

const shapeText = (input: InputSpec): string => `${input.name} [${input.shape.join(', ')}]`;

/** "model.pt is a TorchScript module (PyTorch): converting it needs torch and onnx, and the shape of image." */
export function summaryOf(name: string, found: Reading, label: string): string {
  if (found.format === 'onnx') return `${name} is an ONNX model: it opens as it is.`;
  if (found.format === 'unknown') return `${name} is ${label}${found.evidence[0] ? ` (${found.evidence[0]})` : ''}.`;
  if (found.blocker) return `${name} is a ${label}: ${found.blocker}`;
  const needs = [`Python with ${FORMATS[found.format].packages.join(' and ')}`];
  if (found.needsModelCode) needs.push("the model's Python class (or a factory script)");
  const declared = found.declaredInputs;
  const unshaped = declared.filter((i) => i.shape.length === 0).map((i) => i.name);
  if (declared.length === 0) needs.push("its inputs' shapes");
  else if (unshaped.length > 0) needs.push(`the shape of ${unshaped.join(', ')}`);
  else needs.push(`its inputs (declared: ${declared.map(shapeText).join('; ')})`);
  const consent = found.runsStoredCode ? ' Loading it runs code the pickle names: convert it only if you trust where it came from.' : '';
  return `${name} is a ${label}: converting it to ONNX needs ${joinWords(needs)}.${consent}`;
}

function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

export function identityLabel(found: Reading): string {
  return found.label ?? FORMATS[found.format].label;
}

export type IdentityCore = Omit<SourceIdentity, 'path' | 'name' | 'isFolder' | 'sha256' | 'sizeBytes' | 'converted'>;

export function identityCore(name: string, found: Reading): IdentityCore {
  const label = identityLabel(found);
  const info = FORMATS[found.format];
  return {
    format: found.format,
    label,
    framework: info.framework,
    evidence: found.evidence,
    runsStoredCode: found.runsStoredCode,
    needsModelCode: found.needsModelCode,
    pickledClasses: found.pickledClasses,
    packages: [...info.packages],
    declaredInputs: found.declaredInputs,
    summary: summaryOf(name, found, label),
  };
}
