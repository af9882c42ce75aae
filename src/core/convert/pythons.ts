/**
 * The Pythons that could convert: a chosen interpreter first, then an active virtualenv and conda
 * environment, then every python3/python on PATH (shims resolved: each is asked which interpreter
 * it really is). Each is probed once with a short child process; results are kept until refreshed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { PythonEnv } from '../../shared/domain/convert';
import { InferscopeError } from '../../shared/errors';
import { runTool } from '../hardware/exec';
import { interpreterIn, PYTHON_NAMES } from '../hardware/python-platform';
import { PROBE_SCRIPT } from './python/probe-script';

/** Starting Python and reading a few files takes well under a second; a cold disk or a conda shim, more. */
export const PROBE_TIMEOUT_MS = 15_000;

const ProbeSchema = z.object({
  executable: z.string(),
  prefix: z.string(),
  version: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  exporterMaxOpset: z.object({ torch: z.number().int().nullable(), tf2onnx: z.number().int().nullable() }),
});

interface Candidate {
  path: string;
  origin: PythonEnv['origin'];
}

interface Probed extends PythonEnv {
  /** Same interpreter, same environment: two PATH entries that are one Python list once. */
  key: string;
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function candidates(env: NodeJS.ProcessEnv, chosen?: string): Promise<Candidate[]> {
  const found: Candidate[] = [];
  if (chosen) found.push({ path: path.resolve(chosen), origin: 'chosen' });
  const prefixes: [string | undefined, Candidate['origin']][] = [
    [env.VIRTUAL_ENV, 'virtualenv'],
    [env.CONDA_PREFIX, 'conda'],
  ];
  for (const [prefix, origin] of prefixes) {
    if (!prefix) continue;
    for (const file of interpreterIn(prefix)) if (await isExecutable(file)) found.push({ path: file, origin });
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of PYTHON_NAMES) {
      const file = path.resolve(dir, name);
      if (await isExecutable(file)) found.push({ path: file, origin: 'path' });
    }
  }
  return found.filter((c, i) => found.findIndex((other) => other.path === c.path) === i);
}

const emptyPackages = { torch: null, onnx: null, tensorflow: null, tf2onnx: null };

async function probe(candidate: Candidate, timeoutMs: number): Promise<Probed> {
  const failed = (error: string): Probed => ({
    ...candidate,
    key: candidate.path,
    version: null,
    packages: { ...emptyPackages },
    exporterMaxOpset: { torch: null, tf2onnx: null },
    error,
  });
  if (!(await isExecutable(candidate.path))) return failed(`There is no Python at ${candidate.path}.`);
  const result = await runTool(candidate.path, ['-c', PROBE_SCRIPT], timeoutMs);
  if (!result.ok) return failed(`${candidate.path} did not run as Python: ${result.message}.`);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let parsed: z.infer<typeof ProbeSchema>;
  try {
    parsed = ProbeSchema.parse(JSON.parse(line));
  } catch {
    return failed(`${candidate.path} did not answer as Python 3 does (it printed: ${line.slice(0, 200) || 'nothing'}).`);
  }
  const real = await fs.realpath(parsed.executable).catch(() => parsed.executable);
  // A shim (pyenv, asdf) is a script: the interpreter it starts is the one to list and to run.
  const shim = !(await fs.realpath(candidate.path).then(
    (p) => p === real,
    () => false,
  ));
  return {
    path: shim && parsed.executable ? parsed.executable : candidate.path,
    origin: candidate.origin,
    key: `${real}\0${parsed.prefix}`,
    version: parsed.version,
    packages: parsed.packages,
    exporterMaxOpset: parsed.exporterMaxOpset,
    error: null,
  };
}

export interface PythonFinderOptions {
  env?: NodeJS.ProcessEnv;
  probeTimeoutMs?: number;
}

export class PythonFinder {
  private readonly probes = new Map<string, Promise<Probed>>();

  constructor(private readonly options: PythonFinderOptions = {}) {}

  /** Every Python found, each once, in the order above. */
  async list(request: { python?: string; refresh?: boolean } = {}): Promise<PythonEnv[]> {
    if (request.refresh) this.probes.clear();
    const found = await candidates(this.options.env ?? process.env, request.python);
    const probed = await Promise.all(found.map((c) => this.probeOnce(c)));
    const seen = new Set<string>();
    const out: PythonEnv[] = [];
    for (const env of probed) {
      if (seen.has(env.key)) continue;
      seen.add(env.key);
      const { key: _key, ...rest } = env;
      out.push(rest);
    }
    return out;
  }

  private probeOnce(candidate: Candidate): Promise<Probed> {
    const cacheKey = `${candidate.origin}\0${candidate.path}`;
    let probed = this.probes.get(cacheKey);
    if (!probed) {
      probed = probe(candidate, this.options.probeTimeoutMs ?? PROBE_TIMEOUT_MS);
      this.probes.set(cacheKey, probed);
    }
    return probed;
  }
}

export const missingPackages = (env: PythonEnv, packages: readonly string[]): string[] => packages.filter((name) => !env.packages[name]);

/**
 * The Python to convert with: the chosen one (refused when it does not run), else the first found
 * that has every package needed, else the first that runs (the caller reports what it lacks).
 */
export function choosePython(envs: readonly PythonEnv[], packages: readonly string[], chosen?: string): PythonEnv {
  if (chosen) {
    const env = envs.find((e) => e.origin === 'chosen');
    if (!env || env.error) {
      throw new InferscopeError('CONVERT_NO_PYTHON', env?.error ?? `There is no Python at ${chosen}.`, { detail: chosen });
    }
    return env;
  }
  const running = envs.filter((e) => !e.error);
  const ready = running.find((e) => missingPackages(e, packages).length === 0);
  if (ready) return ready;
  const first = running[0];
  if (!first) {
    throw new InferscopeError(
      'CONVERT_NO_PYTHON',
      'No Python was found (none on PATH, no active virtualenv or conda environment). Install Python 3, or choose the interpreter to use.',
    );
  }
  return first;
}
