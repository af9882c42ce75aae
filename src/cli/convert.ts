/**
 * `inferscope convert`: a PyTorch or TensorFlow model → ONNX with the user's own Python, checked
 * against the original on the same seeded inputs before it is used. `inspect`, `bench` and `quantize`
 * take such files too: `prepareModel` converts them first (or reuses the conversion of the same
 * content) and says so. Everything goes through the contract's `convert.*` commands, as the app does.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Help, InvalidArgumentError, Option, type Command } from 'commander';
import type { Handlers } from '../shared/contract';
import {
  CONVERT_TOLERANCE,
  InputSpecSchema,
  type ConvertedModel,
  type ConvertInstructions,
  type ConvertProgress,
  type InputSpec,
  type ModelCode,
  type PythonEnv,
  type ShapeDim,
  type SourceIdentity,
} from '../shared/domain/convert';
import { InferscopeError } from '../shared/errors';
import { formatBytes, formatMs } from '../shared/stats';
import { ioError } from '../core/store/atomic';
import { dataLayout, defaultUserDataDir } from '../core/store/paths';
import { shellQuote } from '../core/hardware/python-platform';
import { parseDuration } from './bench';
import { ProgressLine } from './progress';
import { call } from './run';
import { renderTable } from './table';

/** The flags every command that takes a PyTorch / TensorFlow file shares. */
export interface ConvertFlags {
  /** --shape NAME=DIMS, repeatable, in the order the model takes its inputs. */
  shape: InputSpec[];
  python?: string;
  trust?: boolean;
  /** --model-class FILE_OR_MODULE:Class (a state_dict's model). */
  modelClass?: ModelClassFlag;
  modelKwargs?: string;
  factory?: string;
  opset?: number;
  exampleSize: Record<string, number>;
  /** --timeout: milliseconds before the conversion is stopped. */
  timeout?: number;
}

export interface ConvertCliOptions extends ConvertFlags {
  output?: string;
  force?: boolean;
  json?: boolean;
}

export interface ModelClassFlag {
  module: string;
  className: string;
}

/** Where the command's words go: `out` is the command's answer, `err` its notes (stderr, or the only place when stdout is JSON). */
export interface ConvertIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

// ---- option parsers (commander)

const DTYPES = InputSpecSchema.shape.dtype.unwrap().options;

function parseDims(text: string, whole: string): ShapeDim[] {
  if (text === '()' || text === 'scalar') return [];
  const parts = text.includes(',') ? text.split(',') : /^\d+(?:[x×]\d+)+$/.test(text) ? text.split(/[x×]/) : [text];
  return parts.map((raw) => {
    const part = raw.trim();
    if (/^\d+$/.test(part) && Number(part) > 0) return Number(part);
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(part)) return part;
    throw new InvalidArgumentError(
      `"${part}" in --shape ${whole} is neither a size (a positive whole number) nor a name for a dynamic axis (batch, sequence, …)`,
    );
  });
}

/**
 * --shape NAME=DIMS, repeatable: `x=1x3x224x224`, `x=batch,3,224,224` (names stay dynamic in the ONNX
 * model), `ids=int64:1,sequence` (a dtype first), `t=()` (a scalar).
 */
export function parseShape(value: string, previous: InputSpec[] = []): InputSpec[] {
  const match = /^([^=]+)=(?:([a-z0-9]+):)?(.+)$/.exec(value.trim());
  if (!match?.[1] || !match[3]) {
    throw new InvalidArgumentError(`expected NAME=DIMS like x=1x3x224x224, x=batch,3,224,224 or ids=int64:1,sequence, got "${value}"`);
  }
  const name = match[1].trim();
  const dtype = match[2] ?? 'float32';
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new InvalidArgumentError(`unknown type "${dtype}" in --shape ${value}: one of ${DTYPES.join(', ')}`);
  }
  if (previous.some((s) => s.name === name)) throw new InvalidArgumentError(`--shape ${name}=… is given twice`);
  const spec = InputSpecSchema.safeParse({ name, shape: parseDims(match[3].trim(), value), dtype });
  if (!spec.success) throw new InvalidArgumentError(`--shape ${value}: ${spec.error.issues[0]?.message ?? 'not a shape'}`);
  return [...previous, spec.data];
}

/** --example-size NAME=N: the size the check feeds a dynamic axis. */
export function parseExampleSize(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^([A-Za-z_][A-Za-z0-9_.]*)=(\d+)$/.exec(value.trim());
  const size = Number(match?.[2]);
  if (!match?.[1] || !Number.isSafeInteger(size) || size <= 0) {
    throw new InvalidArgumentError(`expected NAME=N with a positive whole number, e.g. sequence=16, got "${value}"`);
  }
  return { ...previous, [match[1]]: size };
}

/** --model-class FILE_OR_MODULE:Class: `model_def.py:Net` (a file) or `mypkg.models:Net` (a module the Python imports). */
export function parseModelClass(value: string): ModelClassFlag {
  const colon = value.lastIndexOf(':');
  const module = colon > 0 ? value.slice(0, colon).trim() : '';
  const className = colon > 0 ? value.slice(colon + 1).trim() : '';
  if (!module || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(className)) {
    throw new InvalidArgumentError(`expected FILE.py:Class or module.name:Class, e.g. model_def.py:Net, got "${value}"`);
  }
  const isFile = module.endsWith('.py') || module.includes('/') || module.includes(path.sep);
  return { module: isFile ? path.resolve(module) : module, className };
}

/** --model-kwargs JSON: the class's keyword arguments, a JSON object. */
export function parseModelKwargs(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`expected a JSON object of keyword arguments, e.g. '{"hidden": 64}', got ${value}`);
  }
  return value;
}

export function parseOpset(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 7 || n > 30) throw new InvalidArgumentError(`expected an opset between 7 and 30, got "${value}"`);
  return n;
}

/**
 * Adds the conversion flags to a command: convert itself, and inspect / bench / quantize, which convert
 * a PyTorch or TensorFlow file first (there the flags have a help section of their own).
 */
export function addConvertOptions(command: Command, group?: string): Command {
  const options = [
    new Option(
      '--shape <name=dims>',
      'an input and its shape (repeatable, in the order the model takes them), e.g. x=1x3x224x224, ' +
        'x=batch,3,224,224 (names stay dynamic) or ids=int64:1,sequence',
    )
      .argParser(parseShape)
      .default([], 'none'),
    new Option('--python <path>', 'the Python that converts (default: the first found with the packages it needs)'),
    new Option('--trust', 'load a pickle that runs code it names (only a file you made or trust)'),
    new Option('--model-class <file_or_module:Class>', "a state_dict's model class, e.g. model_def.py:Net").argParser(parseModelClass),
    new Option('--model-kwargs <json>', "the model class's keyword arguments, e.g. '{\"hidden\": 64}'").argParser(parseModelKwargs),
    new Option('--factory <script>', "a state_dict's model from a .py file defining make_model()"),
    new Option('--opset <n>', 'the ONNX opset (default: the newest both the exporter and onnxruntime support)').argParser(parseOpset),
    new Option('--example-size <name=n>', 'the size the check feeds a dynamic axis (repeatable), e.g. sequence=16')
      .argParser(parseExampleSize)
      .default({}, '1, or 8 for a name like sequence or tokens'),
    new Option('--timeout <duration>', 'stop the conversion after this long, e.g. 10m').argParser(parseDuration),
  ];
  for (const option of options) command.addOption(group ? option.helpGroup(group) : option);
  if (group) {
    // These flags are added before the command's own: list their section after them all the same.
    command.configureHelp({
      ...command.configureHelp(),
      groupItems<T extends Command | Option>(unsorted: T[], visible: T[], getGroup: (item: T) => string): Map<string, T[]> {
        const sections = new Help().groupItems(unsorted, visible, getGroup);
        const section = sections.get(group);
        if (section) {
          sections.delete(group);
          sections.set(group, section);
        }
        return sections;
      },
    });
  }
  return command;
}

/** The help section inspect, bench and quantize list the conversion flags under. */
export const CONVERT_OPTIONS_GROUP = 'Options for a PyTorch or TensorFlow file (converted to ONNX first):';

// ---- what the file is, and which Python converts it

const ORIGIN: Record<PythonEnv['origin'], string> = {
  chosen: 'chosen with --python',
  virtualenv: 'the active virtualenv',
  conda: 'the active conda environment',
  path: 'found on PATH',
};

export function printIdentity(identity: SourceIdentity): string {
  const lines = [`${identity.name}: ${identity.label}`, `  ${identity.summary}`];
  if (identity.converted) lines.push(`  Converted before: ${identity.converted.path} (${verificationText(identity.converted)})`);
  if (identity.evidence.length > 0) lines.push(`  Found from its content: ${identity.evidence.join('; ')}`);
  if (identity.pickledClasses.length > 0) lines.push(`  Classes the pickle names: ${identity.pickledClasses.join(', ')}`);
  if (identity.declaredInputs.length > 0) lines.push(`  Inputs it declares: ${identity.declaredInputs.map(specText).join(', ')}`);
  return lines.join('\n');
}

function pythonLine(env: PythonEnv, needed: readonly string[]): string {
  const packages = needed.map((p) => `${p} ${env.packages[p] ?? 'missing'}`).join(', ');
  return `Python: ${env.path} (${env.version ?? 'version unknown'}, ${ORIGIN[env.origin]}) — ${packages}`;
}

const lacks = (env: PythonEnv, needed: readonly string[]): string[] => needed.filter((p) => !env.packages[p]);

/** The Python that converts: the chosen one, else the first found with every package the file needs. */
async function choosePython(handlers: Handlers, identity: SourceIdentity, flags: ConvertFlags, io: ConvertIo): Promise<PythonEnv> {
  const envs = await call(handlers, 'convert.pythons', flags.python ? { python: flags.python } : {});
  const chosen = flags.python ? envs.find((e) => e.origin === 'chosen') : undefined;
  if (flags.python && (!chosen || chosen.error)) {
    throw new InferscopeError(
      'CONVERT_NO_PYTHON',
      `The Python ${flags.python} cannot be used: ${(chosen?.error ?? 'it was not found').replace(/\.$/, '')}.`,
    );
  }
  const usable = envs.filter((e) => !e.error);
  const ready = usable.find((e) => lacks(e, identity.packages).length === 0);
  if (!chosen && ready) return ready;
  if (chosen && lacks(chosen, identity.packages).length === 0) return chosen;
  // The one to install into: the chosen Python, else the first found (PATH's python3, the active environment).
  const target = chosen ?? usable[0];
  const code = modelCode(flags);
  const instructions = await call(handlers, 'convert.instructions', {
    path: identity.path,
    ...(target ? { python: target.path } : {}),
    inputs: flags.shape,
    ...(code ? { modelCode: code } : {}),
  });
  const byHand = await saveScript(instructions);
  io.out(
    [
      target
        ? `${pythonLine(target, identity.packages)}${usable.length > 1 ? ` (no other Python found has them either)` : ''}`
        : 'No Python 3 was found (on PATH, or an active virtualenv or conda environment). Install Python 3, then:',
      '',
      'Install what converting needs:',
      ...instructions.install.map((c) => `  ${c}`),
      '',
      'Then run this command again (--python PATH picks another interpreter), or convert by hand, without Inferscope:',
      ...(byHand
        ? [`  ${byHand.command}`, `  (the script is ${byHand.file}; it writes the ONNX model into the folder you run it in)`]
        : ['', instructions.script.trimEnd(), '', `  ${instructions.command}`]),
    ].join('\n'),
  );
  if (!target) throw new InferscopeError('CONVERT_NO_PYTHON', 'No Python 3 interpreter was found to convert with.');
  const missing = lacks(target, identity.packages);
  throw new InferscopeError(
    'CONVERT_PACKAGES_MISSING',
    `The Python ${target.path} lacks ${missing.join(' and ')}: install ${missing.length === 1 ? 'it' : 'them'} ` +
      '(the commands are printed above) and run the command again.',
    { detail: instructions.install.join('\n') },
  );
}

/**
 * The by-hand script, saved in the data folder so the command to run it is one line to copy. Null when
 * it cannot be saved (the script is then printed whole).
 */
async function saveScript(instructions: ConvertInstructions): Promise<{ file: string; command: string } | null> {
  const name = /convert_[A-Za-z0-9_]+\.py$/.exec(instructions.command)?.[0];
  if (!name) return null;
  const file = path.join(dataLayout(defaultUserDataDir()).converted, 'by-hand', name);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, instructions.script);
  } catch {
    return null;
  }
  return { file, command: `${instructions.command.slice(0, -name.length)}${shellQuote(file)}` };
}

// ---- what converting needs from the user

export function modelCode(flags: ConvertFlags): ModelCode | undefined {
  if (flags.modelClass && flags.factory) throw new InferscopeError('BAD_REQUEST', 'Give --model-class or --factory, not both.');
  if (flags.modelKwargs && !flags.modelClass) throw new InferscopeError('BAD_REQUEST', '--model-kwargs goes with --model-class.');
  if (flags.factory) return { kind: 'factory', script: path.resolve(flags.factory) };
  if (flags.modelClass) return { kind: 'class', ...flags.modelClass, kwargsJson: flags.modelKwargs ?? '{}' };
  return undefined;
}

/** A model file for a state_dict, printed when one is needed: the class and a make_model() factory. */
export const MODEL_CODE_TEMPLATE = `# model_def.py — the code of the model whose weights the state_dict holds.
# Inferscope imports this file with your Python, builds the model, loads the weights into it
# (load_state_dict, strict) and exports it to ONNX. The layers must have the names and shapes
# of the state_dict's keys, as in your training code.
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, hidden: int = 64):
        super().__init__()
        self.fc1 = nn.Linear(16, hidden)
        self.fc2 = nn.Linear(hidden, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def make_model():
    # Used with --factory model_def.py: return the model (with or without its weights loaded).
    return Net(hidden=64)
`;

/** A state_dict without its model's code is refused with a template to fill in. */
function checkModelCode(identity: SourceIdentity, flags: ConvertFlags, io: ConvertIo): ModelCode | undefined {
  const code = modelCode(flags);
  if (identity.needsModelCode && !code) {
    io.out(`Save this as model_def.py, with your model's layers, and give it to Inferscope:\n\n${MODEL_CODE_TEMPLATE}`);
    throw new InferscopeError(
      'CONVERT_NEEDS_CODE',
      `${identity.name} holds weights only (a state_dict): Inferscope needs the model's Python class to load them into. ` +
        'Give --model-class model_def.py:Net (with --model-kwargs JSON when it takes arguments) or --factory model_def.py ' +
        '(a make_model() function); a template is printed above.',
    );
  }
  return code;
}

/** A pickle that runs code when loaded goes ahead only with --trust, or a yes on a terminal. */
async function confirmTrust(identity: SourceIdentity, flags: ConvertFlags, io: ConvertIo): Promise<boolean> {
  if (!identity.runsStoredCode || flags.trust) return flags.trust ?? false;
  const classes = identity.pickledClasses.length > 0 ? ` (it names ${identity.pickledClasses.join(', ')})` : '';
  io.err(
    `${identity.name} is a Python pickle: loading it runs code the file names${classes}. Inferscope never loads it in its own ` +
      'process; your Python loads it in a separate process. Go ahead only for a file you made or trust.',
  );
  if (await askYesNo(`Load ${identity.name} with Python? [y/N] `)) return true;
  throw new InferscopeError(
    'CONVERT_NOT_TRUSTED',
    `${identity.name} is a pickle that runs code when loaded: add --trust to convert it (only a file you made or trust).`,
  );
}

function specText(spec: InputSpec): string {
  if (spec.shape.length === 0) return spec.name;
  return `${spec.name}${spec.dtype === 'float32' ? '' : ` ${spec.dtype}`}[${spec.shape.join(', ')}]`;
}

/** The inputs to convert with: the user's --shape, else the shapes the file declares (a Keras config), else a refusal. */
function inputsFor(identity: SourceIdentity, given: readonly InputSpec[]): InputSpec[] {
  const declared = identity.declaredInputs.map((i) => i.name);
  if (given.length > 0) {
    const unknown = given.filter((s) => declared.length > 0 && !declared.includes(s.name)).map((s) => s.name);
    if (unknown.length > 0) {
      throw new InferscopeError(
        'CONVERT_SHAPES_REQUIRED',
        `${identity.name} takes the inputs ${declared.join(', ')}, not ${unknown.join(', ')}: give --shape for each by its name.`,
      );
    }
    return [...given];
  }
  if (declared.length > 0 && identity.declaredInputs.every((i) => i.shape.length > 0)) return identity.declaredInputs;
  const name = declared[0] ?? 'x';
  const example =
    `e.g. --shape ${name}=1x3x224x224 (a name instead of a number keeps that axis dynamic: ${name}=batch,3,224,224; ` +
    `integers: ${name}=int64:1,sequence)`;
  throw new InferscopeError(
    'CONVERT_SHAPES_REQUIRED',
    declared.length > 0
      ? `${identity.name} takes the inputs ${declared.join(', ')} but does not say all their shapes: give each with ` +
          `${declared.map((n) => `--shape ${n}=DIMS`).join(' ')}, ${example}.`
      : `${identity.name} does not say what its inputs are: give each, in the order the model takes them, with --shape NAME=DIMS, ` +
          `${example}.`,
  );
}

async function askYesNo(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

// ---- running the conversion

const STAGE_LABEL: Record<ConvertProgress['stage'], string> = {
  starting: 'starting Python',
  loading: 'loading the original',
  'running-original': 'running the original',
  exporting: 'exporting to ONNX',
  checking: 'checking the ONNX model against the original',
  done: 'done',
};

/** Same inputs and opset as the cached conversion: it can be reused as it is. */
function sameRequest(converted: ConvertedModel, flags: ConvertFlags): boolean {
  if (flags.opset !== undefined && flags.opset !== converted.opset) return false;
  if (flags.shape.length === 0) return true;
  const key = (specs: readonly InputSpec[]): string => JSON.stringify(specs.map((s) => [s.name, s.shape, s.dtype]));
  return key(flags.shape) === key(converted.inputs);
}

/** What one conversion runs: decided before Python starts. */
interface ConversionJob {
  identity: SourceIdentity;
  env: PythonEnv;
  inputs: InputSpec[];
  code: ModelCode | undefined;
  trusted: boolean;
  force: boolean;
}

/** Runs `convert.run` with progress on stderr; Ctrl+C and --timeout cancel it. */
async function runConversion(handlers: Handlers, job: ConversionJob, flags: ConvertFlags, quiet: boolean): Promise<ConvertedModel> {
  const jobId = `cli-${process.pid}-${Date.now().toString(36)}`;
  const line = new ProgressLine(quiet);
  let stage: ConvertProgress['stage'] | null = null;
  let timedOut = false;
  const cancel = (): void => void call(handlers, 'convert.cancel', { jobId }).catch(() => undefined);
  const onSigint = (): void => {
    line.note('Cancelling the conversion… (nothing half-made is kept)');
    cancel();
  };
  const timer =
    flags.timeout !== undefined
      ? setTimeout(() => {
          timedOut = true;
          cancel();
        }, flags.timeout)
      : null;
  process.once('SIGINT', onSigint);
  try {
    return await call(
      handlers,
      'convert.run',
      {
        request: {
          jobId,
          path: job.identity.path,
          python: job.env.path,
          inputs: job.inputs,
          exampleSizes: flags.exampleSize,
          trust: job.trusted,
          ...(job.code ? { modelCode: job.code } : {}),
          ...(flags.opset !== undefined ? { opset: flags.opset } : {}),
          force: job.force,
        },
      },
      (event, payload) => {
        if (event !== 'convert.progress') return;
        const p = payload as ConvertProgress;
        if (p.jobId !== jobId) return;
        if (p.stage !== stage) line.note(`${STAGE_LABEL[p.stage]} (${formatMs(p.elapsedMs)}): ${p.message}`);
        stage = p.stage;
        line.show(p.fraction, `${STAGE_LABEL[p.stage]} · ${p.message}`);
      },
    );
  } catch (error) {
    if (timedOut) {
      throw new InferscopeError(
        'CONVERT_TIMEOUT',
        `Converting ${job.identity.name} took longer than ${formatMs(flags.timeout ?? 0)} (--timeout) and was stopped.`,
      );
    }
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSigint);
    line.clear();
  }
}

/** Identify → choose a Python → refuse what needs the user → convert (or reuse the same content's conversion). */
export async function convertSource(
  handlers: Handlers,
  identity: SourceIdentity,
  flags: ConvertFlags & { force?: boolean },
  io: ConvertIo & { quiet: boolean },
): Promise<{ converted: ConvertedModel; reused: boolean }> {
  if (identity.format === 'onnx') {
    throw new InferscopeError('BAD_REQUEST', `${identity.name} is an ONNX model already: there is nothing to convert.`);
  }
  if (identity.framework === null) {
    throw new InferscopeError(
      'MODEL_UNSUPPORTED',
      `${identity.summary.replace(/\.$/, '')}. Inferscope opens ONNX models and converts PyTorch and TensorFlow ones.`,
    );
  }
  modelCode(flags);
  const cached = identity.converted;
  if (cached && !flags.force && sameRequest(cached, flags)) return { converted: cached, reused: true };
  // What blocks most comes first: a Python with the packages (the by-hand script needs nothing more),
  // then the model's code and the shapes, and last the go-ahead, asked only when it can run at once.
  const env = await choosePython(handlers, identity, flags, io);
  io.err(pythonLine(env, identity.packages));
  const code = checkModelCode(identity, flags, io);
  const inputs = inputsFor(identity, flags.shape);
  const trusted = await confirmTrust(identity, flags, io);
  // The conversion of this content with other inputs is replaced.
  const job: ConversionJob = { identity, env, inputs, code, trusted, force: Boolean(cached) || Boolean(flags.force) };
  if (cached && !flags.force) io.err(`Converted before with other inputs (${cached.inputs.map(specText).join(', ')}): converting again.`);
  return { converted: await runConversion(handlers, job, flags, io.quiet), reused: false };
}

// ---- printing

/** "2.4e-7", "0", "1.3". */
export function figure(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) >= 0.01 && Math.abs(value) < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(1);
}

/** "verified: max |Δ| 2.4e-7, cosine 1.000000". */
export function verificationText(converted: ConvertedModel): string {
  const { check } = converted;
  return `${check.passed ? 'verified' : 'NOT verified'}: max |Δ| ${figure(check.maxAbsDiff)}, cosine ${check.minCosine.toFixed(6)}`;
}

/** The line inspect / bench / quantize print: "Converted model.pt (TorchScript module (PyTorch)) → …/x.onnx, verified: …". */
export function convertedLine(converted: ConvertedModel, reused: boolean): string {
  const when = reused ? ` (converted earlier, ${converted.convertedAt.slice(0, 16).replace('T', ' ')})` : '';
  return `Converted ${converted.source.name} (${converted.source.label}) → ${converted.path}, ${verificationText(converted)}${when}`;
}

export function printCheck(converted: ConvertedModel): string {
  const { check } = converted;
  const inputs = check.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape.join(', ')}]`).join(', ');
  const rows = check.outputs.map((o) => [
    o.name,
    `[${o.shape.join(', ')}]`,
    figure(o.maxAbsDiff),
    figure(o.maxAbsOriginal),
    o.cosine.toFixed(6),
    o.ok ? 'yes' : 'NO',
  ]);
  const t = check.tolerance;
  return [
    `Check: the original and the ONNX model (${check.runtime}) on the same seeded inputs (seed ${check.seed}, ` +
      `${check.samples} input set${check.samples === 1 ? '' : 's'}; first: ${inputs})`,
    renderTable(['output', 'shape', 'max |Δ|', 'max |original|', 'cosine', 'within tolerance'], rows, { indent: '  ' }),
    `  Tolerance per output: max |Δ| ≤ ${t.abs} + ${t.rel} × max |original|, cosine ≥ ${t.minCosine}`,
    `${check.passed ? 'Verified' : 'Not verified'}: max |Δ| ${figure(check.maxAbsDiff)}, cosine ${check.minCosine.toFixed(6)}`,
  ].join('\n');
}

export function printConverted(converted: ConvertedModel, reused: boolean, output: string | null): string {
  const lines = [
    printCheck(converted),
    '',
    `ONNX model: ${converted.path} (${formatBytes(converted.sizeBytes)}, opset ${converted.opset})`,
    `  from ${converted.source.path} (${converted.source.label})`,
    `  inputs: ${converted.inputs.map(specText).join(', ')}`,
    `  by ${converted.exporter} with Python ${converted.python.version} (${converted.python.path}), ${formatMs(converted.seconds * 1000)}`,
  ];
  if (reused) lines.push(`  converted earlier (${converted.convertedAt}); --force converts it again`);
  if (output) lines.push(`Written to ${output}`);
  return lines.join('\n');
}

export function printConvertedList(list: readonly ConvertedModel[]): string {
  if (list.length === 0) return 'No converted models yet. Convert one with: inferscope convert model.pt --shape x=1x3x224x224';
  return renderTable(
    ['id', 'source', 'what', 'converted', 'check', 'ONNX model'],
    list.map((c) => [
      c.id,
      c.source.path,
      c.source.label,
      c.convertedAt.slice(0, 16).replace('T', ' '),
      `max |Δ| ${figure(c.check.maxAbsDiff)}, cosine ${c.check.minCosine.toFixed(6)}`,
      c.path,
    ]),
  );
}

// ---- the commands

const stdio = (json: boolean): ConvertIo & { quiet: boolean } => ({
  out: (text) => (json ? process.stderr : process.stdout).write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  quiet: false,
});

/** `inferscope convert MODEL`: what it is, which Python, the conversion's progress, the check and where the ONNX model is. */
export async function convertCommand(handlers: Handlers, model: string, opts: ConvertCliOptions): Promise<ConvertedModel | null> {
  const io = stdio(Boolean(opts.json));
  const identity = await call(handlers, 'convert.identify', { path: path.resolve(model) });
  io.out(printIdentity(identity));
  if (identity.format === 'onnx') {
    io.out(`${identity.name} is an ONNX model already: inspect, bench and quantize take it as it is.`);
    return null;
  }
  const { converted, reused } = await convertSource(handlers, identity, opts, io);
  const output = opts.output ? path.resolve(opts.output) : null;
  if (output) {
    await copyFile(converted.path, output).catch((error: unknown) => {
      throw ioError(error, output);
    });
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(converted, null, 2)}\n`);
  else io.out(`\n${printConverted(converted, reused, output)}`);
  return converted;
}

/**
 * For inspect / bench / quantize: a PyTorch or TensorFlow file is converted first (or its earlier
 * conversion reused) and the command goes on with the ONNX model, saying so; anything else goes on as
 * given. `sample:` names and `.onnx` files are not looked at (the command reads them itself).
 */
export async function prepareModel(
  handlers: Handlers,
  argument: string,
  flags: ConvertFlags,
  options: { json: boolean },
): Promise<{ argument: string; converted: ConvertedModel | null }> {
  if (argument.startsWith('sample:') || argument.toLowerCase().endsWith('.onnx')) return { argument, converted: null };
  const identity = await call(handlers, 'convert.identify', { path: path.resolve(argument) });
  if (identity.format === 'onnx' || identity.framework === null) return { argument, converted: null };
  const io = stdio(options.json);
  const { converted, reused } = await convertSource(handlers, identity, flags, io);
  io.out(convertedLine(converted, reused));
  return { argument: converted.path, converted };
}

/** Tolerance in words, for help texts. */
export const TOLERANCE_TEXT =
  `max |Δ| ≤ ${CONVERT_TOLERANCE.abs} + ${CONVERT_TOLERANCE.rel} × max |original| and cosine ≥ ` +
  `${CONVERT_TOLERANCE.minCosine}, per output`;
