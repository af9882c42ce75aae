/**
 * What a user runs by hand: the commands installing what converting needs into their Python, and
 * the conversion script with this source's config written in (the same script the app runs).
 */
import path from 'node:path';
import type { ConvertInstructions, InputSpec, ModelCode, PythonEnv, SourceIdentity } from '../../shared/domain/convert';
import { TF_PACKAGES } from './formats';
import { chooseOpset, FALLBACK_OPSET, sampleShapes } from './inputs';
import { isDebianLike, shellQuote, SYSTEM_PYTHONS } from '../hardware/python-platform';
import { handScript, type ScriptConfig } from './python';
import { missingPackages } from './pythons';

/** Seed of the inputs both the original and the converted model run on. */
export const CHECK_SEED = 1234;

/** The starting point for a state_dict's model code (shown when it is missing). */
export const FACTORY_TEMPLATE = `# make_model.py: how to build the model whose weights the state_dict holds.
# Inferscope loads the weights into what make_model() returns (load_state_dict), then exports it.
from my_project.models import MyNet  # the class the weights were trained with


def make_model():
    return MyNet(num_classes=10)  # the same arguments as when it was trained
`;

/** Debian's packages for the system Python (pip refuses to install into it: PEP 668). */
const DEBIAN_PACKAGES: Record<string, string> = { torch: 'python3-torch', onnx: 'python3-onnx', numpy: 'python3-numpy' };

/**
 * The commands installing `packages` for `python`: pip into it; for Debian's own Python, apt
 * (where it has them) or a virtualenv, since pip may not install into the system's Python.
 */
export function installCommands(python: string, packages: readonly string[], debian = isDebianLike()): string[] {
  if (packages.length === 0) return [];
  const py = shellQuote(python);
  const list = packages.join(' ');
  if (!debian || !SYSTEM_PYTHONS.includes(python)) return [`${py} -m pip install ${list}`];
  const commands: string[] = [];
  if (packages.every((p) => DEBIAN_PACKAGES[p])) commands.push(`sudo apt install ${packages.map((p) => DEBIAN_PACKAGES[p]).join(' ')}`);
  commands.push(`${py} -m venv ~/.venvs/inferscope && ~/.venvs/inferscope/bin/python -m pip install ${list}`);
  return commands;
}

/** "CONVERT_PACKAGES_MISSING" text: what is missing, where, and the first command that installs it. */
export function missingMessage(env: PythonEnv, missing: readonly string[]): string {
  const where = `Python ${env.version ?? ''} at ${env.path}`.replace('  ', ' ');
  const [first] = installCommands(env.path, missing);
  return `${where} lacks ${missing.join(' and ')}, which converting needs. Install ${missing.length === 1 ? 'it' : 'them'}: ${first}`;
}

export interface ScriptInputs {
  identity: SourceIdentity;
  inputs: InputSpec[];
  exampleSizes: Record<string, number>;
  modelCode: ModelCode | null;
  trust: boolean;
  opset: number;
  output: string;
  workdir: string;
}

export function scriptConfig(given: ScriptInputs): ScriptConfig {
  const { identity } = given;
  if (identity.framework === null || identity.format === 'onnx' || identity.format === 'unknown') {
    throw new Error(`${identity.name} is not a PyTorch or TensorFlow model.`);
  }
  return {
    framework: identity.framework,
    format: identity.format,
    source: identity.path,
    output: given.output,
    workdir: given.workdir,
    inputs: given.inputs,
    sampleShapes: sampleShapes(given.inputs, given.exampleSizes),
    seed: CHECK_SEED,
    opset: given.opset,
    trust: given.trust,
    modelCode: given.modelCode,
  };
}

export function instructionsFor(
  identity: SourceIdentity,
  env: PythonEnv | null,
  request: { inputs: InputSpec[]; modelCode?: ModelCode | undefined },
): ConvertInstructions {
  const python = env && !env.error ? env.path : 'python3';
  const missing = env && !env.error ? missingPackages(env, identity.packages) : [...identity.packages];
  const stem =
    path
      .basename(identity.name)
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_]/g, '_') || 'model';
  const inputs = request.inputs.length > 0 ? request.inputs : identity.declaredInputs;
  const tf = identity.packages.includes(TF_PACKAGES[0]);
  const exporterMax = tf ? (env?.exporterMaxOpset.tf2onnx ?? null) : (env?.exporterMaxOpset.torch ?? null);
  const opset = chooseOpset(exporterMax, tf ? FALLBACK_OPSET.tf2onnx : FALLBACK_OPSET.torch, undefined, 'the exporter');
  const config: ScriptConfig = scriptConfig({
    identity,
    inputs,
    exampleSizes: {},
    modelCode: request.modelCode ?? null,
    trust: identity.runsStoredCode,
    opset,
    output: `${stem}.onnx`,
    workdir: `${stem}-check`,
  });
  config.checkHere = true;
  const notes = [`Converts ${identity.name} (${identity.label}) to ${stem}.onnx, opset ${opset}.`];
  if (inputs.length === 0 || inputs.some((i) => i.shape.length === 0)) notes.push('Set each input\'s shape in CONFIG["inputs"] first.');
  if (identity.needsModelCode && !request.modelCode) notes.push('Set CONFIG["modelCode"] to the model\'s class or factory script first.');
  if (identity.runsStoredCode) notes.push('Loading it runs code the pickle names: run this only for a file you trust.');
  return {
    install: installCommands(python, missing),
    script: handScript(config, notes.join('\n# ')),
    command: `${shellQuote(python)} convert_${stem}.py`,
  };
}
