/**
 * The Convert card's form as text the person types (shapes like `1, 3, 224, 224` or `batch, sequence`,
 * example sizes, the model's code for a state_dict) and the conversion request it becomes. Pure, so the
 * rules are tested without a page.
 */
import type { ConvertRequest, InputSpec, ModelCode, PythonEnv, ShapeDim, SourceIdentity } from '../../../shared/domain/convert';

export type InputDtype = InputSpec['dtype'];

export const INPUT_DTYPES: readonly InputDtype[] = ['float32', 'float16', 'float64', 'int64', 'int32', 'bool', 'uint8', 'int8'];

/** One input as typed: its name, its shape as text, its element type. */
export interface InputRow {
  name: string;
  shape: string;
  dtype: InputDtype;
}

export interface ModelCodeDraft {
  kind: ModelCode['kind'];
  module: string;
  className: string;
  kwargsJson: string;
  script: string;
}

export interface ConvertDraft {
  inputs: InputRow[];
  /** Named dim → the size the check feeds it, as typed. */
  exampleSizes: Record<string, string>;
  code: ModelCodeDraft;
  trust: boolean;
}

const DIM_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const CLASS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that say an axis is a sequence: the check feeds them 8 unless told (as the conversion does). */
const SEQUENCE_LIKE = /seq|len|time|token|step|frame|word|char|sample/i;

export type ShapeParse = { ok: true; dims: ShapeDim[] } | { ok: false; error: string };

/** `1, 3, 224, 224`, `[batch, sequence]`, `1×3×32×32`: numbers are fixed sizes, names are axes kept dynamic. */
export function parseShape(text: string): ShapeParse {
  const inner = text
    .trim()
    .replace(/^[[(]\s*/, '')
    .replace(/\s*[\])]$/, '');
  if (inner === '') return { ok: false, error: 'Give the shape, e.g. 1, 3, 224, 224 (a name such as batch keeps that axis dynamic).' };
  const tokens = inner.split(/\s*[,×xX*]\s*|\s+/).filter((token) => token !== '');
  if (tokens.length > 16) return { ok: false, error: 'At most 16 dims.' };
  const dims: ShapeDim[] = [];
  for (const token of tokens) {
    if (/^\d+$/.test(token)) {
      const size = Number(token);
      if (size < 1 || !Number.isSafeInteger(size)) return { ok: false, error: `${token}: a size is a whole number from 1.` };
      dims.push(size);
    } else if (DIM_NAME.test(token) && token.length <= 64) {
      dims.push(token);
    } else {
      return { ok: false, error: `“${token}” is neither a size nor a name (letters, digits, _ and .).` };
    }
  }
  return { ok: true, dims };
}

export function formatShape(dims: readonly ShapeDim[]): string {
  return dims.join(', ');
}

/** The rows the form starts with: what the file declares, or one empty row to fill in. */
export function rowsFromDeclared(declared: readonly InputSpec[]): InputRow[] {
  if (declared.length === 0) return [{ name: 'input', shape: '', dtype: 'float32' }];
  return declared.map((input) => ({ name: input.name, shape: formatShape(input.shape), dtype: input.dtype }));
}

/** The size the check feeds a named dim unless told: 8 for a sequence-like name, else 1. */
export function defaultExampleSize(name: string): number {
  return SEQUENCE_LIKE.test(name) ? 8 : 1;
}

/** Every named (dynamic) dim across the rows, in order of first appearance. */
export function namedDims(rows: readonly InputRow[]): string[] {
  const names: string[] = [];
  for (const row of rows) {
    const parsed = parseShape(row.shape);
    if (!parsed.ok) continue;
    for (const dim of parsed.dims) if (typeof dim === 'string' && !names.includes(dim)) names.push(dim);
  }
  return names;
}

/** What the Python needs that it lacks (by package name), or why it cannot be used at all. */
export function missingPackages(env: PythonEnv, packages: readonly string[]): string[] {
  return packages.filter((name) => !env.packages[name]);
}

export function pythonUsable(env: PythonEnv, packages: readonly string[]): boolean {
  return env.error === null && env.version !== null && missingPackages(env, packages).length === 0;
}

/** The interpreter chosen unless the person picks another: the first that starts and has every package. */
export function defaultPython(pythons: readonly PythonEnv[], packages: readonly string[]): string | null {
  return pythons.find((env) => pythonUsable(env, packages))?.path ?? null;
}

export const EMPTY_CODE: ModelCodeDraft = { kind: 'class', module: '', className: '', kwargsJson: '{}', script: '' };

export function initialDraft(identity: SourceIdentity): ConvertDraft {
  const inputs = rowsFromDeclared(identity.declaredInputs);
  const exampleSizes = Object.fromEntries(namedDims(inputs).map((name) => [name, String(defaultExampleSize(name))]));
  return { inputs, exampleSizes, code: { ...EMPTY_CODE }, trust: false };
}

/** Field → what is wrong with it: `input-<i>-name`, `input-<i>-shape`, `size-<dim>`, `code-module`, … */
export type DraftErrors = Record<string, string>;

export type DraftCheck =
  | { ok: true; inputs: InputSpec[]; exampleSizes: Record<string, number>; modelCode: ModelCode | undefined }
  | { ok: false; errors: DraftErrors };

function checkInputs(rows: readonly InputRow[], errors: DraftErrors): InputSpec[] {
  const inputs: InputSpec[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const name = row.name.trim();
    if (name === '') errors[`input-${i}-name`] = 'Name the input (as the model names it).';
    else if (seen.has(name)) errors[`input-${i}-name`] = `${name} is named twice.`;
    seen.add(name);
    const shape = parseShape(row.shape);
    if (!shape.ok) errors[`input-${i}-shape`] = shape.error;
    else if (name !== '') inputs.push({ name, shape: shape.dims, dtype: row.dtype });
  });
  if (rows.length === 0) errors.inputs = 'Add the model’s inputs: converting runs the model once on inputs of these shapes.';
  return inputs;
}

function checkSizes(rows: readonly InputRow[], typed: Record<string, string>, errors: DraftErrors): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const name of namedDims(rows)) {
    const text = (typed[name] ?? '').trim();
    if (text === '') {
      sizes[name] = defaultExampleSize(name);
      continue;
    }
    const size = Number(text);
    if (!/^\d+$/.test(text) || size < 1 || !Number.isSafeInteger(size)) errors[`size-${name}`] = 'A whole number from 1.';
    else sizes[name] = size;
  }
  return sizes;
}

function checkCode(code: ModelCodeDraft, errors: DraftErrors): ModelCode | undefined {
  if (code.kind === 'factory') {
    const script = code.script.trim();
    if (script === '') errors['code-script'] = 'The path of a .py file that defines make_model().';
    return script === '' ? undefined : { kind: 'factory', script };
  }
  const module = code.module.trim();
  const className = code.className.trim();
  if (module === '') errors['code-module'] = 'A .py file, or a module the chosen Python can import (mypkg.models).';
  if (!CLASS_NAME.test(className))
    errors['code-class'] = className === '' ? 'The model’s class name.' : 'A Python class name (Net, ResNet18).';
  const kwargsJson = code.kwargsJson.trim() || '{}';
  try {
    const kwargs: unknown = JSON.parse(kwargsJson);
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
      errors['code-kwargs'] = 'A JSON object, e.g. {"num_classes": 10}.';
  } catch {
    errors['code-kwargs'] = 'Not valid JSON: a JSON object, e.g. {"num_classes": 10}.';
  }
  return { kind: 'class', module, className, kwargsJson };
}

/** The draft as the conversion's inputs, sizes and model code, or every field that is wrong. */
export function checkDraft(identity: SourceIdentity, draft: ConvertDraft): DraftCheck {
  const errors: DraftErrors = {};
  const inputs = checkInputs(draft.inputs, errors);
  const exampleSizes = checkSizes(draft.inputs, draft.exampleSizes, errors);
  const modelCode = identity.needsModelCode ? checkCode(draft.code, errors) : undefined;
  if (identity.runsStoredCode && !draft.trust) errors.trust = 'Tick the box to load this pickle.';
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, inputs, exampleSizes, modelCode };
}

/** A job id the progress events and Cancel name before the conversion answers. */
export function newJobId(now = Date.now(), random = Math.random()): string {
  return `convert-${now.toString(36)}-${Math.floor(random * 36 ** 6).toString(36)}`;
}

export function buildRequest(
  identity: SourceIdentity,
  checked: Extract<DraftCheck, { ok: true }>,
  options: { jobId: string; python: string | null; trust: boolean; force: boolean },
): ConvertRequest {
  return {
    jobId: options.jobId,
    path: identity.path,
    ...(options.python ? { python: options.python } : {}),
    inputs: checked.inputs,
    exampleSizes: checked.exampleSizes,
    trust: identity.runsStoredCode ? options.trust : false,
    ...(checked.modelCode ? { modelCode: checked.modelCode } : {}),
    force: options.force,
  };
}

/** The file to write for a state_dict: the class its weights were saved from. */
export function classTemplate(className: string): string {
  const name = CLASS_NAME.test(className) ? className : 'Net';
  return [
    '# model_def.py: the class your state_dict was saved from (copy it from your training code).',
    'import torch',
    'from torch import nn',
    '',
    '',
    `class ${name}(nn.Module):`,
    '    def __init__(self, num_classes=10):',
    '        super().__init__()',
    '        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))',
    '        self.head = nn.Linear(16, num_classes)',
    '',
    '    def forward(self, x):',
    '        return self.head(torch.flatten(self.features(x), 1))',
    '',
  ].join('\n');
}

/** The other way to give the code: a script whose make_model() builds the model (Inferscope loads the weights into it). */
export function factoryTemplate(): string {
  return [
    '# make_model.py: builds the model the state_dict belongs to.',
    'from my_project.models import Net  # where your model class lives',
    '',
    '',
    'def make_model():',
    '    # The same arguments as when the weights were saved; Inferscope loads the file’s weights into it.',
    '    return Net(num_classes=10)',
    '',
  ].join('\n');
}
