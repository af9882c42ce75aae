/**
 * One conversion, start to end: what the source is, the refusals that come before any Python runs
 * (a pickle without the go-ahead, a state_dict without its class, missing packages, missing
 * shapes), the script in the user's Python, the check in onnxruntime, and the cache.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type {
  ConversionCheck,
  ConvertedModel,
  ConvertProgress,
  ConvertRequest,
  PythonEnv,
  SourceIdentity,
} from '../../shared/domain/convert';
import { describeAgreement, toleranceText } from '../../shared/convert/check';
import { InferscopeError } from '../../shared/errors';
import { writeFileAtomic } from '../store/atomic';
import { ensureDir } from '../store/safe-fs';
import { identifySource } from './identify';
import { checkInputs, chooseOpset, FALLBACK_OPSET } from './inputs';
import { FACTORY_TEMPLATE, missingMessage, installCommands, scriptConfig } from './instructions';
import { conversionScript } from './python';
import { choosePython, missingPackages, type PythonFinder } from './pythons';
import { runScript } from './run-python';
import { convertedId, convertedName, type ConvertedStore } from './store';

export interface ConvertJobDeps {
  store: ConvertedStore;
  finder: PythonFinder;
  /** Runs the converted model in onnxruntime (in a worker process) against the original's outputs. */
  check(modelPath: string, manifestPath: string, signal: AbortSignal): Promise<ConversionCheck>;
  timeoutMs: number;
}

export interface ConvertJobContext {
  signal: AbortSignal;
  onProgress(progress: ConvertProgress): void;
}

/** The refusals that need no Python: not a source, no go-ahead for a pickle, no code for weights. */
export function refuseEarly(identity: SourceIdentity, request: ConvertRequest): void {
  if (identity.format === 'onnx') {
    throw new InferscopeError('BAD_REQUEST', `${identity.name} is an ONNX model already: open it as it is.`);
  }
  if (identity.format === 'unknown' || identity.framework === null) {
    throw new InferscopeError('MODEL_UNSUPPORTED', identity.summary);
  }
  if (identity.runsStoredCode && !request.trust) {
    const names = identity.pickledClasses.length > 0 ? ` (${identity.pickledClasses.slice(0, 4).join(', ')})` : '';
    throw new InferscopeError(
      'CONVERT_NOT_TRUSTED',
      `${identity.name} is a pickle: loading it runs code the file names${names}. Convert it only if you trust where it came ` +
        'from, and say so (trust) to go ahead.',
    );
  }
  // Keras weights without the model: Inferscope has no way to take a Keras model's code.
  if (identity.needsModelCode && identity.framework === 'tensorflow') throw new InferscopeError('CONVERT_NEEDS_CODE', identity.summary);
  if (identity.needsModelCode && !request.modelCode) {
    throw new InferscopeError(
      'CONVERT_NEEDS_CODE',
      `${identity.name} holds weights only (a state_dict): give the model's Python class (a .py file or module, and the class ` +
        'name) or a factory script defining make_model().',
      { detail: FACTORY_TEMPLATE },
    );
  }
}

/** The Python to use and the opset, or CONVERT_NO_PYTHON / CONVERT_PACKAGES_MISSING with the install command. */
export async function pythonFor(
  finder: PythonFinder,
  identity: SourceIdentity,
  request: ConvertRequest,
): Promise<{ env: PythonEnv; opset: number }> {
  const envs = await finder.list(request.python ? { python: request.python } : {});
  const env = choosePython(envs, identity.packages, request.python);
  const missing = missingPackages(env, identity.packages);
  if (missing.length > 0) {
    throw new InferscopeError('CONVERT_PACKAGES_MISSING', missingMessage(env, missing), {
      detail: installCommands(env.path, missing).join('\n'),
    });
  }
  const tf = identity.framework === 'tensorflow';
  const exporter = tf ? `tf2onnx ${env.packages.tf2onnx}` : `torch ${env.packages.torch}'s exporter`;
  const max = tf ? env.exporterMaxOpset.tf2onnx : env.exporterMaxOpset.torch;
  const opset = chooseOpset(max, tf ? FALLBACK_OPSET.tf2onnx : FALLBACK_OPSET.torch, request.opset, exporter);
  return { env, opset };
}

function mismatch(identity: SourceIdentity, check: ConversionCheck): InferscopeError {
  return new InferscopeError(
    'CONVERT_MISMATCH',
    `The ONNX model made from ${identity.name} does not compute what the original computes on the same inputs ` +
      `(${describeAgreement(check)}; allowed: ${toleranceText(check.tolerance)}). It is not used.`,
    { detail: JSON.stringify(check) },
  );
}

export async function convertSource(deps: ConvertJobDeps, request: ConvertRequest, context: ConvertJobContext): Promise<ConvertedModel> {
  const started = Date.now();
  const progress = (stage: ConvertProgress['stage'], message: string, fraction: number | null = null): void =>
    context.onProgress({ jobId: request.jobId, stage, message, fraction, elapsedMs: Date.now() - started });
  progress('starting', `Reading ${path.basename(request.path)}`);
  const identity = { ...(await identifySource(request.path)), converted: null };
  const cached = request.force ? null : await deps.store.find(identity.sha256);
  if (cached) {
    progress('done', `${identity.name} was converted before (${cached.exporter}): using ${cached.fileName}`, 1);
    return cached;
  }
  refuseEarly(identity, request);
  checkInputs(request.inputs, identity.declaredInputs);
  const { env, opset } = await pythonFor(deps.finder, identity, request);
  const work = await deps.store.workDir(request.jobId);
  try {
    const modelDir = path.join(work, 'model');
    await ensureDir(modelDir);
    const fileName = convertedName(identity.name);
    const config = scriptConfig({
      identity,
      inputs: request.inputs,
      exampleSizes: request.exampleSizes,
      modelCode: request.modelCode ?? null,
      trust: request.trust,
      opset,
      output: path.join(modelDir, fileName),
      workdir: work,
    });
    await writeFileAtomic(path.join(work, 'convert.py'), conversionScript());
    await writeFileAtomic(path.join(work, 'config.json'), JSON.stringify(config, null, 2));
    progress('starting', `Starting Python ${env.version} (${env.path})`);
    const result = await runScript({
      python: env.path,
      args: [path.join(work, 'convert.py'), path.join(work, 'config.json')],
      cwd: work,
      timeoutMs: deps.timeoutMs,
      signal: context.signal,
      onProgress: (p) => progress(p.stage, p.message, p.fraction),
    });
    progress('checking', `Checking the ONNX model in onnxruntime against the original (${config.sampleShapes.length} input set(s))`);
    const check = await deps.check(config.output, path.join(work, 'manifest.json'), context.signal);
    if (!check.passed) throw mismatch(identity, check);
    const { size } = await fs.stat(config.output);
    const model = await deps.store.keep(modelDir, {
      id: convertedId(identity.sha256),
      fileName,
      sizeBytes: size,
      source: { name: identity.name, path: identity.path, format: identity.format, label: identity.label, sha256: identity.sha256 },
      opset: result.opset,
      inputs: request.inputs,
      python: { path: env.path, version: env.version ?? '', packages: env.packages },
      exporter: result.exporter,
      check,
      convertedAt: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
    });
    progress('done', `Converted and checked: ${describeAgreement(check)}`, 1);
    return model;
  } finally {
    await fs.rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}
